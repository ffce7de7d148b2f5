import { createHmac } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { newId } from '../ids.ts';
import { insertPendingJob } from '../jobs/jobs.repository.ts';
import { signalJobs } from '../jobs/signal.ts';
import { enabledEndpointsOfOrg } from './webhooks.repository.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Every event type an endpoint can subscribe to; `token.*`, `member.*`, `role.*` and `*` match groups. */
export const WEBHOOK_EVENT_TYPES = [
  'token.created',
  'token.revoked',
  'token.rotated',
  'token.expiring',
  'token.expired',
  'token.leaked',
  'token.old_value_reused',
  'member.added',
  'member.invited',
  'member.role_changed',
  'member.removed',
  'member.invite_cancelled',
  'role.created',
  'role.updated',
  'role.deleted',
] as const;

export const WEBHOOK_SUBSCRIPTIONS: readonly string[] = [
  ...WEBHOOK_EVENT_TYPES,
  'token.*',
  'member.*',
  'role.*',
  '*',
];

const known = new Set<string>(WEBHOOK_EVENT_TYPES);

export function subscribed(patterns: readonly string[], type: string): boolean {
  return patterns.some(
    (p) => p === type || p === '*' || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))),
  );
}

export interface WebhookEvent {
  /** `evt_…`: the audit event's id when the event comes from one; receivers deduplicate on it. */
  id: string;
  type: string;
  createdAt: string;
  orgId: string;
  /** Names, ids and settings; never a token's value or any other secret. */
  data: Record<string, unknown>;
}

export const deliveryId = () => `dlv_${newId('evt').slice(4)}`;

/**
 * Queues one delivery per enabled endpoint of the org subscribed to the event, in the caller's transaction:
 * the change and its deliveries are committed together, so nothing acknowledged is lost.
 */
export async function emitWebhookEvent(db: Db, event: WebhookEvent, now = Date.now()): Promise<number> {
  if (!known.has(event.type)) return 0;
  const endpoints = await enabledEndpointsOfOrg(db, event.orgId);
  let queued = 0;
  for (const endpoint of endpoints) {
    if (!subscribed(JSON.parse(endpoint.events) as string[], event.type)) continue;
    await queueDelivery(db, endpoint.id, event, now);
    queued++;
  }
  if (queued > 0) signalJobs();
  return queued;
}

export async function queueDelivery(db: Db, endpointId: string, event: WebhookEvent, now: number) {
  const id = deliveryId();
  await insertPendingJob(
    db,
    {
      id,
      kind: 'webhook',
      orgId: event.orgId,
      endpointId,
      eventType: event.type,
      payload: JSON.stringify(event),
    },
    now,
  );
  return id;
}

/** The audit actions that are webhook events, and the extra event a leak revocation is. */
export function eventsOfAudit(action: string, details: Record<string, unknown> | undefined): string[] {
  if (!known.has(action)) return [];
  if (action === 'token.revoked' && details?.reason === 'leaked') return [action, 'token.leaked'];
  return [action];
}

/** `Latchkey-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">` (docs/notifications.md). */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
