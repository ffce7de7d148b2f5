import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export function findIdentity(db: Db, provider: string, subject: string) {
  return db
    .selectFrom('ssoIdentities')
    .selectAll()
    .where('provider', '=', provider)
    .where('subject', '=', subject)
    .executeTakeFirst();
}

export async function insertIdentity(
  db: Db,
  row: { provider: string; subject: string; userId: string; email: string; createdAt: number },
): Promise<void> {
  await db.insertInto('ssoIdentities').values(row).execute();
}
