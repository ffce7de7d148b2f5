import type { Kysely, Transaction } from 'kysely';
import type { AccountLinksTable, Database } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;
type Purpose = AccountLinksTable['purpose'];

export async function insertAccountLink(
  db: Db,
  row: {
    id: string;
    userId: string;
    purpose: Purpose;
    secretHash: string;
    email: string;
    createdAt: number;
    expiresAt: number;
  },
): Promise<void> {
  await db
    .insertInto('accountLinks')
    .values({ ...row, usedAt: null })
    .execute();
}

export function findAccountLink(db: Db, purpose: Purpose, secretHash: string) {
  return db
    .selectFrom('accountLinks')
    .selectAll()
    .where('purpose', '=', purpose)
    .where('secretHash', '=', secretHash)
    .executeTakeFirst();
}

/** Marks a link used; false when another request used it first. */
export async function useAccountLink(db: Db, id: string, at: number): Promise<boolean> {
  const result = await db
    .updateTable('accountLinks')
    .set({ usedAt: at })
    .where('id', '=', id)
    .where('usedAt', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Counts a wrong answer to a challenge; answers the count after it. */
export async function countLinkAttempt(db: Db, id: string): Promise<number> {
  await db
    .updateTable('accountLinks')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .execute();
  const row = await db.selectFrom('accountLinks').select('attempts').where('id', '=', id).executeTakeFirst();
  return Number(row?.attempts ?? 0);
}

/** Links of one purpose created for a user since a time: the per-address rate limit. */
export async function countRecentLinks(db: Db, userId: string, purpose: Purpose, since: number) {
  const row = await db
    .selectFrom('accountLinks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('userId', '=', userId)
    .where('purpose', '=', purpose)
    .where('createdAt', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Ends every unused link of one purpose of a user (a new password ends the other reset links). */
export async function endUnusedLinks(db: Db, userId: string, purpose: Purpose, at: number): Promise<void> {
  await db
    .updateTable('accountLinks')
    .set({ usedAt: at })
    .where('userId', '=', userId)
    .where('purpose', '=', purpose)
    .where('usedAt', 'is', null)
    .execute();
}

export async function deleteLapsedAccountLinks(db: Db, before: number): Promise<void> {
  await db.deleteFrom('accountLinks').where('expiresAt', '<=', before).execute();
}

export async function setEmailVerified(db: Db, userId: string, email: string, at: number): Promise<boolean> {
  // Only the address the link went to: an address changed since proves nothing.
  const result = await db
    .updateTable('users')
    .set({ emailVerifiedAt: at })
    .where('id', '=', userId)
    .where('email', '=', email)
    .where('emailVerifiedAt', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function setPasswordHash(db: Db, userId: string, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ passwordHash }).where('id', '=', userId).execute();
}

export function sessionsOfUser(db: Db, userId: string) {
  return db
    .selectFrom('sessions')
    .select(['idHash', 'createdAt', 'lastSeenAt', 'expiresAt', 'ip', 'userAgent'])
    .where('userId', '=', userId)
    .orderBy('lastSeenAt', 'desc')
    .execute();
}

/** Ends every session of a user but one (null: all of them); answers how many ended. */
export async function deleteSessionsOfUser(db: Db, userId: string, except: string | null): Promise<number> {
  let query = db.deleteFrom('sessions').where('userId', '=', userId);
  if (except !== null) query = query.where('idHash', '!=', except);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteSessionOfUser(db: Db, userId: string, idHash: string): Promise<boolean> {
  const result = await db
    .deleteFrom('sessions')
    .where('userId', '=', userId)
    .where('idHash', '=', idHash)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The orgs a user belongs to: account events are recorded in each (audit events live in an org). */
export async function orgIdsOfUser(db: Db, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('members').select('orgId').where('userId', '=', userId).execute();
  return rows.map((r) => r.orgId);
}

export async function setTotp(
  db: Db,
  userId: string,
  values: { totpSecretSealed: string | null; totpEnabledAt: number | null; totpLastStep: number | null },
): Promise<void> {
  await db.updateTable('users').set(values).where('id', '=', userId).execute();
}

/** Records the step of an accepted code; false when that step (or a later one) was already used. */
export async function advanceTotpStep(db: Db, userId: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ totpLastStep: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totpLastStep', 'is', null), eb('totpLastStep', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function replaceRecoveryCodes(
  db: Db,
  userId: string,
  hashes: string[],
  at: number,
): Promise<void> {
  await db.deleteFrom('recoveryCodes').where('userId', '=', userId).execute();
  if (hashes.length > 0) {
    await db
      .insertInto('recoveryCodes')
      .values(hashes.map((codeHash) => ({ userId, codeHash, createdAt: at, usedAt: null })))
      .execute();
  }
}

/** Uses a recovery code once; false when it is unknown or used. */
export async function useRecoveryCode(db: Db, userId: string, codeHash: string, at: number) {
  const result = await db
    .updateTable('recoveryCodes')
    .set({ usedAt: at })
    .where('userId', '=', userId)
    .where('codeHash', '=', codeHash)
    .where('usedAt', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function countUnusedRecoveryCodes(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('recoveryCodes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('userId', '=', userId)
    .where('usedAt', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
