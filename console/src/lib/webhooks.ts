// Webhook event types as the server names them (docs/notifications.md), grouped for the console's checkboxes.

export interface EventGroup {
  label: string;
  /** "token" in "All token events". */
  noun: string;
  /** The subscription that matches the whole group, now and when the server adds events to it. */
  all: string;
  events: { type: string; label: string }[];
}

export const EVENT_GROUPS: EventGroup[] = [
  {
    label: 'Tokens',
    noun: 'token',
    all: 'token.*',
    events: [
      { type: 'token.created', label: 'Created' },
      { type: 'token.revoked', label: 'Revoked' },
      { type: 'token.rotated', label: 'Rotated' },
      { type: 'token.expiring', label: 'Expiring within 7 days' },
      { type: 'token.expired', label: 'Expired' },
      { type: 'token.leaked', label: 'Revoked as leaked' },
    ],
  },
  {
    label: 'Members',
    noun: 'member',
    all: 'member.*',
    events: [
      { type: 'member.added', label: 'Added' },
      { type: 'member.invited', label: 'Invited' },
      { type: 'member.role_changed', label: 'Role changed' },
      { type: 'member.removed', label: 'Removed' },
      { type: 'member.invite_cancelled', label: 'Invitation cancelled' },
    ],
  },
  {
    label: 'Roles',
    noun: 'role',
    all: 'role.*',
    events: [
      { type: 'role.created', label: 'Created' },
      { type: 'role.updated', label: 'Updated' },
      { type: 'role.deleted', label: 'Deleted' },
    ],
  },
];

export const EVERY_EVENT = '*';

/** Whether a subscription list covers an event type (directly, by its group, or by `*`). */
export function covers(subscriptions: readonly string[], type: string): boolean {
  return subscriptions.some(
    (s) => s === type || s === EVERY_EVENT || (s.endsWith('.*') && type.startsWith(s.slice(0, -1))),
  );
}

/** Drops what a broader subscription already covers: `*` alone, or groups plus the events outside them. */
export function normalizeEvents(subscriptions: readonly string[]): string[] {
  const unique = [...new Set(subscriptions)];
  if (unique.includes(EVERY_EVENT)) return [EVERY_EVENT];
  const groups = unique.filter((s) => s.endsWith('.*'));
  return unique.filter((s) => s.endsWith('.*') || !covers(groups, s));
}

/** A short reading of a subscription list: "All events", "All token events, member.added". */
export function describeEvents(subscriptions: readonly string[]): string[] {
  return normalizeEvents(subscriptions).map((s) => {
    if (s === EVERY_EVENT) return 'All events';
    const group = EVENT_GROUPS.find((g) => g.all === s);
    return group ? `All ${group.noun} events` : s;
  });
}
