import type { Kysely, Transaction } from 'kysely';
import type { Deps } from '../context.ts';
import { actorOf, type RequestContext } from '../context.ts';
import type { AuditEventRow, Database } from '../db/schema.ts';
import { toPage } from '../http/page.ts';
import { newId } from '../ids.ts';
import { type OrgAccess, requirePermission } from '../orgs/access.ts';
import { emitWebhookEvent, eventsOfAudit } from '../webhooks/events.ts';
import { insertAuditEvent, listAuditEvents } from './audit.repository.ts';

export interface AuditEntry {
  orgId: string;
  action: string;
  target: { type: string; id: string };
  /** Names and settings only: callers never pass a token value, password or invite secret here. */
  details?: Record<string, unknown>;
}

/** Writes an audit event inside the transaction of the change it records. */
export async function recordAudit(
  db: Kysely<Database> | Transaction<Database>,
  ctx: RequestContext | SystemContext,
  entry: AuditEntry,
): Promise<void> {
  const actor = 'principal' in ctx ? actorOf(ctx.principal) : { type: 'system', id: ctx.system };
  const id = newId('evt');
  const at = Date.now();
  await insertAuditEvent(db, {
    id,
    orgId: entry.orgId,
    action: entry.action,
    actorType: actor.type,
    actorId: actor.id,
    targetType: entry.target.type,
    targetId: entry.target.id,
    at,
    ip: ctx.ip ?? null,
    userAgent: ctx.userAgent ?? null,
    requestId: ctx.requestId ?? null,
    details: entry.details === undefined ? null : JSON.stringify(entry.details),
  });
  // The webhook deliveries of the event are queued in the same transaction (server/webhooks/events.ts).
  for (const type of eventsOfAudit(entry.action, entry.details)) {
    await emitWebhookEvent(
      db,
      {
        id,
        type,
        createdAt: new Date(at).toISOString(),
        orgId: entry.orgId,
        data: { actor, target: entry.target, details: entry.details ?? null },
      },
      at,
    );
  }
}

/** Changes made by the server itself (a leak report from a scanner, a cleanup job). */
export interface SystemContext {
  readonly system: string;
  readonly ip?: string;
  readonly userAgent?: string | null;
  readonly requestId?: string;
}

export function auditEventView(row: AuditEventRow) {
  return {
    id: row.id,
    orgId: row.orgId,
    action: row.action,
    actor: { type: row.actorType, id: row.actorId },
    target: { type: row.targetType, id: row.targetId },
    at: new Date(Number(row.at)).toISOString(),
    ip: row.ip,
    userAgent: row.userAgent,
    requestId: row.requestId,
    details: row.details === null ? null : (JSON.parse(row.details) as unknown),
  };
}

export async function listAudit(
  deps: Deps,
  access: OrgAccess,
  query: { limit: number; cursor?: string; tokenId?: string; action?: string },
) {
  requirePermission(access, 'audit:read');
  const { limit, cursor, tokenId, action } = query;
  const rows = await listAuditEvents(deps.db, {
    orgId: access.orgId,
    limit: limit + 1,
    ...(cursor !== undefined && { cursor }),
    ...(tokenId !== undefined && { tokenId }),
    ...(action !== undefined && { action }),
  });
  return toPage(rows, limit, (row) => row.id, auditEventView);
}
