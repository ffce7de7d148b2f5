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
  changes: Partial<
    Pick<OrgRow, 'name' | 'maxTtlDays' | 'allowNoExpiry' | 'notifyUnused' | 'requireTwoFactor' | 'requireSso'>
  >,
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
      'o.requireTwoFactor',
      'o.requireSso',
      'o.createdAt',
      'm.roleId',
      'r.permissions',
    ])
    .where('m.userId', '=', userId)
    .orderBy('o.id')
    .execute();
}

/**
 * Serializes changes to an org's membership inside a transaction: on PostgreSQL the org row is locked
 * until the transaction ends, so two concurrent demotions cannot both see "another administrator is
 * left". SQLite transactions are already serialized (one writer).
 */
export async function lockOrgForMembershipChange(
  trx: Transaction<Database>,
  dialect: 'sqlite' | 'postgres',
  orgId: string,
): Promise<void> {
  if (dialect !== 'postgres') return;
  await trx.selectFrom('orgs').select('id').where('id', '=', orgId).forUpdate().execute();
}
