import type { Kysely, Transaction } from 'kysely';
import type { Database, InviteRow, MemberRow } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** A member with their role's stored permissions (null for built-in roles) and the org's 2FA policy. */
export function findMembership(db: Db, orgId: string, userId: string) {
  return db
    .selectFrom('members as m')
    .innerJoin('orgs as o', 'o.id', 'm.orgId')
    .leftJoin('roles as r', 'r.id', 'm.roleId')
    .select([
      'm.orgId',
      'm.userId',
      'm.roleId',
      'm.createdAt',
      'r.permissions',
      'o.requireTwoFactor',
      'o.requireSso',
    ])
    .where('m.orgId', '=', orgId)
    .where('m.userId', '=', userId)
    .executeTakeFirst();
}

export function listMembers(db: Db, orgId: string, page: { cursor?: string; limit: number }) {
  let query = db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.userId')
    .select(['m.userId', 'u.email', 'u.name', 'm.roleId', 'm.createdAt'])
    .where('m.orgId', '=', orgId);
  if (page.cursor !== undefined) query = query.where('m.userId', '>', page.cursor);
  return query.orderBy('m.userId').limit(page.limit).execute();
}

export function findMemberView(db: Db, orgId: string, userId: string) {
  return db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.userId')
    .select(['m.userId', 'u.email', 'u.name', 'm.roleId', 'm.createdAt'])
    .where('m.orgId', '=', orgId)
    .where('m.userId', '=', userId)
    .executeTakeFirst();
}

export async function insertMember(db: Db, row: MemberRow): Promise<void> {
  await db.insertInto('members').values(row).execute();
}

export async function updateMemberRole(db: Db, orgId: string, userId: string, roleId: string): Promise<void> {
  await db
    .updateTable('members')
    .set({ roleId })
    .where('orgId', '=', orgId)
    .where('userId', '=', userId)
    .execute();
}

export async function deleteMember(db: Db, orgId: string, userId: string): Promise<void> {
  await db.deleteFrom('members').where('orgId', '=', orgId).where('userId', '=', userId).execute();
}

export async function countMembersWithRole(db: Db, orgId: string, roleId: string): Promise<number> {
  const row = await db
    .selectFrom('members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('orgId', '=', orgId)
    .where('roleId', '=', roleId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertInvite(db: Db, row: InviteRow): Promise<void> {
  await db.insertInto('invites').values(row).execute();
}

export function findInviteByHash(db: Db, tokenHash: string): Promise<InviteRow | undefined> {
  return db.selectFrom('invites').selectAll().where('tokenHash', '=', tokenHash).executeTakeFirst();
}

/** Marks an invite used; answers false when another request used it first. */
export async function consumeInvite(db: Db, id: string, at: number): Promise<boolean> {
  const result = await db
    .updateTable('invites')
    .set({ acceptedAt: at })
    .where('id', '=', id)
    .where('acceptedAt', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function deleteLapsedInvites(db: Db, now: number): Promise<void> {
  await db.deleteFrom('invites').where('expiresAt', '<=', now).execute();
}

export function listPendingInvites(
  db: Db,
  orgId: string,
  now: number,
  page: { cursor?: string; limit: number },
) {
  let query = db
    .selectFrom('invites')
    .select(['id', 'email', 'roleId', 'invitedBy', 'createdAt', 'expiresAt'])
    .where('orgId', '=', orgId)
    .where('acceptedAt', 'is', null)
    .where('expiresAt', '>', now);
  if (page.cursor !== undefined) query = query.where('id', '<', page.cursor);
  return query.orderBy('id', 'desc').limit(page.limit).execute();
}

export async function deleteInvite(db: Db, orgId: string, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('invites')
    .where('orgId', '=', orgId)
    .where('id', '=', id)
    .where('acceptedAt', 'is', null)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export function findInviteById(db: Db, id: string): Promise<InviteRow | undefined> {
  return db.selectFrom('invites').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Gives a pending invitation a new secret and lifetime: the old link stops working. */
export async function replaceInviteSecret(
  db: Db,
  id: string,
  tokenHash: string,
  expiresAt: number,
): Promise<boolean> {
  const result = await db
    .updateTable('invites')
    .set({ tokenHash, expiresAt })
    .where('id', '=', id)
    .where('acceptedAt', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Pending invitations addressed to one e-mail address, with their org's name. */
export function invitesForEmail(db: Db, email: string, now: number) {
  return db
    .selectFrom('invites as i')
    .innerJoin('orgs as o', 'o.id', 'i.orgId')
    .select(['i.id', 'i.orgId', 'o.name as orgName', 'i.roleId', 'i.invitedBy', 'i.createdAt', 'i.expiresAt'])
    .where('i.email', '=', email)
    .where('i.acceptedAt', 'is', null)
    .where('i.expiresAt', '>', now)
    .orderBy('i.id', 'desc')
    .limit(100)
    .execute();
}
