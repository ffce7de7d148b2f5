import type { Kysely, Transaction } from 'kysely';
import type { Database, RoleRow } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export function listCustomRoles(db: Db, orgId: string): Promise<RoleRow[]> {
  return db.selectFrom('roles').selectAll().where('orgId', '=', orgId).orderBy('id').execute();
}

export function findCustomRole(db: Db, orgId: string, id: string): Promise<RoleRow | undefined> {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('orgId', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export function findCustomRoleByName(db: Db, orgId: string, name: string): Promise<RoleRow | undefined> {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('orgId', '=', orgId)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function insertRole(db: Db, row: RoleRow): Promise<void> {
  await db.insertInto('roles').values(row).execute();
}

export async function updateRole(
  db: Db,
  id: string,
  changes: Partial<Pick<RoleRow, 'name' | 'description' | 'permissions'>>,
): Promise<void> {
  await db.updateTable('roles').set(changes).where('id', '=', id).execute();
}

export async function deleteRole(db: Db, id: string): Promise<void> {
  await db.deleteFrom('roles').where('id', '=', id).execute();
}

export async function countActiveTokensWithRole(db: Db, orgId: string, roleId: string): Promise<number> {
  const row = await db
    .selectFrom('tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('orgId', '=', orgId)
    .where('roleId', '=', roleId)
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
