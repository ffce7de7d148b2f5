import type { Kysely, Transaction } from 'kysely';
import { newestFirst, ofParent } from '../db/newest-first.ts';
import type { AuditEventRow, Database } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertAuditEvent(db: Db, row: AuditEventRow): Promise<void> {
  await db.insertInto('auditEvents').values(row).execute();
}

export function listAuditEvents(
  db: Db,
  filter: { orgId: string; tokenId?: string; action?: string; cursor?: string; limit: number },
): Promise<AuditEventRow[]> {
  let query = db
    .selectFrom('auditEvents')
    .selectAll()
    .where(ofParent(db, 'orgId', filter.orgId));
  if (filter.tokenId !== undefined) query = query.where('targetId', '=', filter.tokenId);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.cursor !== undefined) query = query.where('id', '<', filter.cursor);
  return query.orderBy(newestFirst('orgId')).limit(filter.limit).execute();
}
