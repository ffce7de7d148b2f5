import type { Kysely, Transaction } from 'kysely';
import type { Database, WebhookEndpointRow } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertEndpoint(db: Db, row: WebhookEndpointRow): Promise<void> {
  await db.insertInto('webhookEndpoints').values(row).execute();
}

export function findEndpoint(db: Db, orgId: string, id: string): Promise<WebhookEndpointRow | undefined> {
  return db
    .selectFrom('webhookEndpoints')
    .selectAll()
    .where('orgId', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export function findEndpointById(db: Db, id: string): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhookEndpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listEndpoints(db: Db, orgId: string): Promise<WebhookEndpointRow[]> {
  return db.selectFrom('webhookEndpoints').selectAll().where('orgId', '=', orgId).orderBy('id').execute();
}

export function enabledEndpointsOfOrg(db: Db, orgId: string) {
  return db
    .selectFrom('webhookEndpoints')
    .select(['id', 'events'])
    .where('orgId', '=', orgId)
    .where('enabled', '=', 1)
    .execute();
}

export async function updateEndpoint(
  db: Db,
  id: string,
  changes: Partial<
    Pick<WebhookEndpointRow, 'url' | 'description' | 'events' | 'enabled' | 'disabledReason' | 'updatedAt'>
  >,
): Promise<void> {
  await db.updateTable('webhookEndpoints').set(changes).where('id', '=', id).execute();
}

/** Disables an enabled endpoint; true for the one caller (of any process) that did it. */
export async function disableEndpoint(db: Db, id: string, reason: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('webhookEndpoints')
    .set({ enabled: 0, disabledReason: reason, updatedAt: now })
    .where('id', '=', id)
    .where('enabled', '=', 1)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function deleteEndpoint(db: Db, orgId: string, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('webhookEndpoints')
    .where('orgId', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
