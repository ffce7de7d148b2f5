import type { Kysely, Transaction } from 'kysely';
import type { Database, OrgRow } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertOrg(db: Db, row: OrgRow): Promise<void> {
  await db.insertInto('orgs').values(row).execute();
}

export function findOrg(db: Db, id: string): Promise<OrgRow | undefined> {
  return db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateOrg(
  db: Db,
  id: string,
  changes: Partial<Pick<OrgRow, 'name' | 'maxTtlDays' | 'allowNoExpiry' | 'notifyUnused'>>,
): Promise<void> {
  await db.updateTable('orgs').set(changes).where('id', '=', id).execute();
}

/** The orgs a user belongs to, with their role in each. */
export function orgsOfUser(db: Db, userId: string) {
  return db
    .selectFrom('members as m')
    .innerJoin('orgs as o', 'o.id', 'm.orgId')
    .leftJoin('roles as r', 'r.id', 'm.roleId')
    .select([
      'o.id',
      'o.name',
      'o.maxTtlDays',
      'o.allowNoExpiry',
      'o.notifyUnused',
      'o.createdAt',
      'm.roleId',
      'r.permissions',
    ])
    .where('m.userId', '=', userId)
    .orderBy('o.id')
    .execute();
}
