// A token's life as people read it: what a row says instead of "expires in…" once it is revoked, and the
// timeline of the per-token page, from its audit trail (or from the record alone without audit:read).
import { absoluteTime, relativeTime } from './format';
import type { AuditEvent, TokenInfo } from './types';

export interface TimelineEntry {
  at: string;
  kind: 'created' | 'updated' | 'rotated' | 'revoked' | 'expired' | 'grace';
  title: string;
  detail?: string;
}

/** Who did it, as the page names people: "You", a member's name, or the id. */
export type NameOf = (actor: { type: string; id: string | null }) => string;

/** The reason as a sentence part: the default "revoked" says nothing. */
export function reasonText(reason: string | null): string | null {
  if (!reason || reason === 'revoked') return null;
  if (reason === 'owner_removed') return 'its owner left the organization';
  if (reason === 'leaked') return 'reported as leaked';
  return reason;
}

/** The state line of a list row: revoked and expired tokens say when (and by whom, why), not "expires in". */
export function lifeLine(
  token: TokenInfo,
  nameOf: NameOf,
  now: number = Date.now(),
): { main: string; title: string; sub?: string } {
  if (token.status === 'revoked' && token.revokedAt) {
    const by = token.revokedBy
      ? nameOf({ type: token.revokedBy.startsWith('tok_') ? 'token' : 'user', id: token.revokedBy })
      : null;
    const reason = reasonText(token.revokedReason);
    return {
      main: `Revoked ${relativeTime(token.revokedAt, now)}`,
      title: absoluteTime(token.revokedAt),
      sub:
        [by ? `by ${by}` : null, reason ? `reason: ${reason}` : null].filter(Boolean).join(', ') || undefined,
    };
  }
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) {
    return { main: `Expired ${relativeTime(token.expiresAt, now)}`, title: absoluteTime(token.expiresAt) };
  }
  if (!token.expiresAt) return { main: 'Never expires', title: 'No expiry' };
  return {
    main: `Expires ${relativeTime(token.expiresAt, now)}`,
    title: absoluteTime(token.expiresAt),
    sub: absoluteTime(token.expiresAt),
  };
}

const FIELD_NAMES: Record<string, string> = {
  name: 'name',
  description: 'description',
  access: 'access',
  permissions: 'permissions',
  roleId: 'role',
  resourceIds: 'resources',
  allowedIps: 'allowed IPs',
  rateLimit: 'rate limit',
  expiresAt: 'expiry',
};

function changedFields(details: unknown): string[] {
  if (typeof details !== 'object' || details === null) return [];
  const d = details as {
    before?: Record<string, unknown>;
    after?: Record<string, unknown>;
    name?: unknown;
    description?: unknown;
    previousName?: unknown;
  };
  const out: string[] = [];
  if (typeof d.name === 'string' && d.name !== d.previousName) out.push('name');
  if (typeof d.description === 'string') out.push('description');
  if (d.before && d.after) {
    for (const key of Object.keys(d.after)) {
      if (JSON.stringify(d.before[key]) !== JSON.stringify(d.after[key])) out.push(FIELD_NAMES[key] ?? key);
    }
  }
  return [...new Set(out)];
}

/**
 * The timeline, oldest first: created, edited, rotated (with the end of the old value's grace), revoked
 * (by whom, why), expired. `events` is the token's audit trail; null when the caller cannot read it.
 */
export function timelineOf(
  token: TokenInfo,
  events: AuditEvent[] | null,
  nameOf: NameOf,
  now: number = Date.now(),
): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  if (events === null) {
    out.push({
      at: token.createdAt,
      kind: 'created',
      title: 'Created',
      detail: token.createdBy ? `by ${nameOf({ type: 'user', id: token.createdBy })}` : undefined,
    });
  } else {
    for (const event of events) {
      const by = `by ${nameOf(event.actor)}`;
      const details = (event.details ?? {}) as Record<string, unknown>;
      if (event.action === 'token.created')
        out.push({ at: event.at, kind: 'created', title: 'Created', detail: by });
      else if (event.action === 'token.updated') {
        const fields = changedFields(event.details);
        out.push({
          at: event.at,
          kind: 'updated',
          title: fields.length > 0 ? `Edited: ${fields.join(', ')}` : 'Edited',
          detail: by,
        });
      } else if (event.action === 'token.rotated') {
        const end =
          typeof details.previousValueExpiresAt === 'string' ? details.previousValueExpiresAt : null;
        out.push({
          at: event.at,
          kind: 'rotated',
          title: 'Rotated: a new value',
          detail: `${by}; ${end ? `the old value works until ${absoluteTime(end)}` : 'the old value stopped at once'}`,
        });
        if (end && Date.parse(end) <= now) {
          out.push({
            at: end,
            kind: 'grace',
            title: 'The old value stopped working',
            detail: 'end of the grace period',
          });
        }
      } else if (event.action === 'token.revoked') {
        const reason = reasonText(typeof details.reason === 'string' ? details.reason : null);
        out.push({
          at: event.at,
          kind: 'revoked',
          title: 'Revoked',
          detail: `${by}${reason ? `; reason: ${reason}` : ''}`,
        });
      }
    }
  }
  const hasRevoked = out.some((e) => e.kind === 'revoked');
  if (token.status === 'revoked' && token.revokedAt && !hasRevoked) {
    const reason = reasonText(token.revokedReason);
    out.push({
      at: token.revokedAt,
      kind: 'revoked',
      title: 'Revoked',
      detail: [
        token.revokedBy
          ? `by ${nameOf({ type: token.revokedBy.startsWith('tok_') ? 'token' : 'user', id: token.revokedBy })}`
          : null,
        reason ? `reason: ${reason}` : null,
      ]
        .filter(Boolean)
        .join('; '),
    });
  }
  if (token.status !== 'revoked' && token.expiresAt && Date.parse(token.expiresAt) <= now) {
    out.push({ at: token.expiresAt, kind: 'expired', title: 'Expired' });
  }
  return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}
