import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database, UserRow, UsersTable } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

export async function insertUser(db: Db, row: Insertable<UsersTable>): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

export async function anyUserExists(db: Db): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function insertSession(
  db: Db,
  row: {
    idHash: string;
    userId: string;
    createdAt: number;
    lastSeenAt: number;
    expiresAt: number;
    ip: string | null;
    userAgent: string | null;
    authMethod: string;
  },
): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export function findSessionWithUser(db: Db, idHash: string) {
  return db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.userId')
    .select([
      's.idHash',
      's.lastSeenAt',
      's.expiresAt',
      's.authMethod',
      'u.id',
      'u.email',
      'u.name',
      'u.passwordHash',
      'u.createdAt',
      'u.emailVerifiedAt',
      'u.totpSecretSealed',
      'u.totpEnabledAt',
      'u.totpLastStep',
    ])
    .where('s.idHash', '=', idHash)
    .executeTakeFirst();
}

export async function touchSession(db: Db, idHash: string, at: number, ip?: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ lastSeenAt: at, ...(ip !== undefined && { ip }) })
    .where('idHash', '=', idHash)
    .execute();
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('idHash', '=', idHash).execute();
}

export async function deleteLapsedSessions(db: Db, now: number, idleBefore: number): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expiresAt', '<=', now), eb('lastSeenAt', '<=', idleBefore)]))
    .execute();
}
