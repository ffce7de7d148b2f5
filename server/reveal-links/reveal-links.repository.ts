import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, RevealLinksTable } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type RevealLinkRow = Selectable<RevealLinksTable>;

export async function insertRevealLink(db: Db, row: RevealLinkRow): Promise<void> {
  await db.insertInto('revealLinks').values(row).execute();
}

/** The link a key's hash names. */
export function findRevealLinkByKeyHash(db: Db, keyHash: string): Promise<RevealLinkRow | undefined> {
  return db.selectFrom('revealLinks').selectAll().where('keyHash', '=', keyHash).executeTakeFirst();
}

/**
 * Marks the link opened and deletes its ciphertext, if nobody did first: answers whether this call did.
 * The condition on the ciphertext makes two openers racing on one link see one success.
 */
export async function consumeRevealLink(
  db: Db,
  id: string,
  opened: { at: number; ip: string },
): Promise<boolean> {
  const result = await db
    .updateTable('revealLinks')
    .set({ ciphertext: null, openedAt: opened.at, openedIp: opened.ip })
    .where('id', '=', id)
    .where('ciphertext', 'is not', null)
    .where('openedAt', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Expired links keep their record (the creator sees it expired) but not their ciphertext. */
export async function dropExpiredCiphertexts(db: Db, now: number): Promise<void> {
  await db
    .updateTable('revealLinks')
    .set({ ciphertext: null })
    .where('expiresAt', '<=', now)
    .where('ciphertext', 'is not', null)
    .execute();
}

export function revealLinksOfToken(db: Db, tokenId: string): Promise<RevealLinkRow[]> {
  return db
    .selectFrom('revealLinks')
    .selectAll()
    .where('tokenId', '=', tokenId)
    .orderBy('id', 'desc')
    .limit(100)
    .execute();
}
