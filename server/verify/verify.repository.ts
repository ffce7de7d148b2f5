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

/** One page of stored value hashes in key order, after `after` (the primary key's index: no sort). */
export async function tokenHashesAfter(
  db: Kysely<Database>,
  after: string,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('tokenSecrets')
    .select('hash')
    .where('hash', '>', after)
    .orderBy('hash')
    .limit(limit)
    .execute();
  return rows.map((row) => row.hash);
}
