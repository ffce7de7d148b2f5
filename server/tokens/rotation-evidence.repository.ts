import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** How long a value stopped by the new value's first use is kept, so presenting it again is recognised. */
export const RETIRED_VALUE_KEPT_MS = 30 * 86_400_000;

/** A rotation "until used": this (new) value's first successful verification ends the older values' grace. */
export async function markEndsGraceOnUse(db: Db, hash: string): Promise<void> {
  await db.updateTable('tokenSecrets').set({ endsGraceOnUse: 1 }).where('hash', '=', hash).execute();
}

/** Takes the new value's flag: true for the one caller (on any process) whose first use ends the grace. */
export async function claimFirstUse(db: Db, hash: string): Promise<boolean> {
  const result = await db
    .updateTable('tokenSecrets')
    .set({ endsGraceOnUse: 0 })
    .where('hash', '=', hash)
    .where('endsGraceOnUse', '=', 1)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Stops every older value of the token still in its grace, at once, and keeps it as retired (its end is
 * now; the lapsed-secrets sweep keeps it for {@link RETIRED_VALUE_KEPT_MS}). Answers how many it stopped.
 */
export async function retireOlderValues(
  db: Db,
  tokenId: string,
  currentHash: string,
  now: number,
): Promise<number> {
  const result = await db
    .updateTable('tokenSecrets')
    .set({ retiredAt: now, notAfter: now })
    .where('tokenId', '=', tokenId)
    .where('hash', '!=', currentHash)
    .where('notAfter', '>', now)
    .where('retiredAt', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
