import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/audit.service.ts';
import type { Deps, RequestContext } from '../context.ts';
import type { JobRow, WebhookEndpointRow } from '../db/schema.ts';
import { conflict, invalid, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { findJob, listJobsOfEndpoint } from '../jobs/jobs.repository.ts';
import { signalJobs } from '../jobs/signal.ts';
import { type OrgAccess, requireOrgSettingsAccess, requirePermission } from '../orgs/access.ts';
import { checkResolvedHost, DestinationRefused } from './destination.ts';
import { queueDelivery, WEBHOOK_SUBSCRIPTIONS } from './events.ts';
import {
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  listEndpoints as listEndpointRows,
  updateEndpoint,
} from './webhooks.repository.ts';

export interface EndpointView {
  id: string;
  orgId: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

function endpointView(row: WebhookEndpointRow): EndpointView {
  return {
    id: row.id,
    orgId: row.orgId,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as string[],
    enabled: row.enabled === 1,
    disabledReason: row.disabledReason,
    createdAt: iso(row.createdAt) as string,
    createdBy: row.createdBy,
    updatedAt: iso(row.updatedAt) as string,
  };
}

export function deliveryView(row: JobRow) {
  return {
    id: row.id,
    event: row.eventType,
    status: row.status === 'sending' ? ('pending' as const) : row.status,
    attempts: row.attempts,
    responseCode: row.responseCode,
    lastError: row.lastError,
    createdAt: iso(row.createdAt) as string,
    nextAttemptAt: row.status === 'pending' || row.status === 'sending' ? iso(row.nextAttemptAt) : null,
    doneAt: iso(row.doneAt),
  };
}

/** Reading endpoints and their delivery logs: `audit:read` (what they carry is the org's audit trail). */
function requireRead(access: OrgAccess) {
  requirePermission(access, 'audit:read');
}

/** Managing endpoints: a signed-in person who may manage members and roles, as for the org's policy. */
function requireManage(ctx: RequestContext, access: OrgAccess) {
  requireOrgSettingsAccess(ctx.principal, access);
}

/**
 * A well-formed http(s) URL whose host is a public address, or a name that resolves only to public
 * addresses right now (delivery checks again on every attempt); WEBHOOK_ALLOW_PRIVATE_NETWORKS lifts the
 * address rule.
 */
async function checkUrl(deps: Deps, url: string): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('url is not a URL', { field: 'url' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw invalid('url must be http:// or https://', { field: 'url' });
  if (!deps.config.webhookAllowPrivateNetworks) {
    try {
      await checkResolvedHost(parsed);
    } catch (error) {
      if (!(error instanceof DestinationRefused)) throw error;
      throw invalid(`url: ${error.message}`, { field: 'url', address: error.address, range: error.range });
    }
  }
  return parsed.toString();
}

function checkEvents(events: string[]): string[] {
  const unknown = events.filter((e) => !WEBHOOK_SUBSCRIPTIONS.includes(e));
  if (unknown.length > 0) throw invalid('unknown event types', { unknown, known: WEBHOOK_SUBSCRIPTIONS });
  if (events.length === 0) throw invalid('subscribe to at least one event type');
  return [...new Set(events)];
}

async function endpointOf(deps: Deps, access: OrgAccess, id: string): Promise<WebhookEndpointRow> {
  const row = await findEndpoint(deps.db, access.orgId, id);
  if (row === undefined) throw notFound('webhook endpoint');
  return row;
}

export async function listEndpoints(deps: Deps, access: OrgAccess) {
  requireRead(access);
  return { items: (await listEndpointRows(deps.db, access.orgId)).map(endpointView), nextCursor: null };
}

export async function getEndpoint(deps: Deps, access: OrgAccess, id: string) {
  requireRead(access);
  return endpointView(await endpointOf(deps, access, id));
}

/** The signing secret is in this answer only; the server keeps it sealed (AES-256-GCM) to sign with. */
export async function createEndpoint(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  input: { url: string; events: string[]; description?: string },
): Promise<EndpointView & { secret: string }> {
  requireManage(ctx, access);
  const now = Date.now();
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  const row: WebhookEndpointRow = {
    id: `whk_${newId('evt').slice(4)}`,
    orgId: access.orgId,
    url: await checkUrl(deps, input.url),
    description: input.description ?? '',
    events: JSON.stringify(checkEvents(input.events)),
    secretSealed: deps.sealers.webhook.seal(secret),
    enabled: 1,
    disabledReason: null,
    createdAt: now,
    createdBy: actorId(ctx),
    updatedAt: now,
  };
  await deps.db.transaction().execute(async (trx) => {
    await insertEndpoint(trx, row);
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'webhook.created',
      target: { type: 'webhook', id: row.id },
      details: { url: row.url, events: JSON.parse(row.events) },
    });
  });
  return { ...endpointView(row), secret };
}

const actorId = (ctx: RequestContext) =>
  ctx.principal.type === 'user' ? ctx.principal.user.id : ctx.principal.token.id;

export async function patchEndpoint(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  id: string,
  input: { url?: string; events?: string[]; description?: string; enabled?: boolean },
): Promise<EndpointView> {
  requireManage(ctx, access);
  const row = await endpointOf(deps, access, id);
  const url = input.url === undefined ? undefined : await checkUrl(deps, input.url);
  const now = Date.now();
  const changes = {
    ...(url !== undefined && { url }),
    ...(input.events !== undefined && { events: JSON.stringify(checkEvents(input.events)) }),
    ...(input.description !== undefined && { description: input.description }),
    ...(input.enabled !== undefined && {
      enabled: input.enabled ? 1 : 0,
      disabledReason: input.enabled ? null : 'disabled by a person',
    }),
    updatedAt: now,
  };
  await deps.db.transaction().execute(async (trx) => {
    await updateEndpoint(trx, row.id, changes);
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'webhook.updated',
      target: { type: 'webhook', id: row.id },
      details: { ...input },
    });
  });
  return endpointView({ ...row, ...changes });
}

export async function removeEndpoint(deps: Deps, ctx: RequestContext, access: OrgAccess, id: string) {
  requireManage(ctx, access);
  await deps.db.transaction().execute(async (trx) => {
    if (!(await deleteEndpoint(trx, access.orgId, id))) throw notFound('webhook endpoint');
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'webhook.deleted',
      target: { type: 'webhook', id },
    });
  });
}

/** Queues a `ping` event to the endpoint; its outcome shows in the delivery log. */
export async function pingEndpoint(deps: Deps, ctx: RequestContext, access: OrgAccess, id: string) {
  requireManage(ctx, access);
  const row = await endpointOf(deps, access, id);
  if (row.enabled !== 1) throw conflict('the endpoint is disabled; enable it first');
  const now = Date.now();
  const deliveryId = await queueDelivery(
    deps.db,
    row.id,
    {
      id: newId('evt'),
      type: 'ping',
      createdAt: new Date(now).toISOString(),
      orgId: access.orgId,
      data: { endpointId: row.id },
    },
    now,
  );
  signalJobs();
  const job = await findJob(deps.db, deliveryId);
  return deliveryView(job as JobRow);
}

export async function listDeliveries(
  deps: Deps,
  access: OrgAccess,
  id: string,
  page: { cursor?: string; limit: number },
) {
  requireRead(access);
  const row = await endpointOf(deps, access, id);
  const rows = await listJobsOfEndpoint(deps.db, row.id, { ...page, limit: page.limit + 1 });
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return { items: items.map(deliveryView), nextCursor: rows.length > page.limit && last ? last.id : null };
}
