import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/** How many value hashes are stored (sizes the membership filter). */
export async function countTokenHashes(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('tokenSecrets')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}
