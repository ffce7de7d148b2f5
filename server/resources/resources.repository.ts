import type { Kysely, Transaction } from 'kysely';
import type { Database, ResourceRow } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export function listResources(
  db: Db,
  orgId: string,
  page: { cursor?: string; limit: number; type?: string },
): Promise<ResourceRow[]> {
  let query = db.selectFrom('resources').selectAll().where('orgId', '=', orgId);
  if (page.type !== undefined) query = query.where('type', '=', page.type);
  if (page.cursor !== undefined) query = query.where('id', '>', page.cursor);
  return query.orderBy('id', 'asc').limit(page.limit).execute();
}

export async function resourceIdsOfOrg(db: Db, orgId: string): Promise<string[]> {
  const rows = await db.selectFrom('resources').select('id').where('orgId', '=', orgId).execute();
  return rows.map((r) => r.id);
}

export function findResource(db: Db, orgId: string, id: string): Promise<ResourceRow | undefined> {
  return db
    .selectFrom('resources')
    .selectAll()
    .where('orgId', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export function findResourceByName(db: Db, orgId: string, type: string, name: string) {
  return db
    .selectFrom('resources')
    .selectAll()
    .where('orgId', '=', orgId)
    .where('type', '=', type)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function insertResource(db: Db, row: ResourceRow): Promise<void> {
  await db.insertInto('resources').values(row).execute();
}

export async function deleteResource(db: Db, orgId: string, id: string): Promise<void> {
  await db.deleteFrom('resources').where('orgId', '=', orgId).where('id', '=', id).execute();
}
