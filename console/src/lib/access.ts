// What the signed-in member may grant, so the create dialog can disable (and
// explain) choices the server would refuse.
import type { Permission, Role } from './types';

export interface Grantable {
  /** Permissions the member lacks, keyed by permission. */
  missing: Set<string>;
}

/** The catalog grouped by its `group` field, keeping catalog order. */
export function groupCatalog(catalog: Permission[]): [string, Permission[]][] {
  const groups = new Map<string, Permission[]>();
  for (const p of catalog) {
    const key = p.group || 'Other';
    const list = groups.get(key);
    if (list) list.push(p);
    else groups.set(key, [p]);
  }
  return [...groups.entries()];
}

/** Permissions of a role the member does not hold. */
export function roleExcess(role: Role, held: readonly string[]): string[] {
  const mine = new Set(held);
  return role.permissions.filter((p) => !mine.has(p));
}

export const LIFETIMES = [
  { value: '7', label: '7 days', days: 7 },
  { value: '30', label: '30 days', days: 30 },
  { value: '60', label: '60 days', days: 60 },
  { value: '90', label: '90 days', days: 90 },
  { value: '365', label: '1 year', days: 365 },
] as const;

/** The preset to pick by default: 30 days, or the longest one the policy allows. */
export function defaultLifetime(maxTtlDays: number): string {
  if (maxTtlDays >= 30) return '30';
  const allowed = LIFETIMES.filter((l) => l.days <= maxTtlDays);
  return allowed.length > 0 ? (allowed[allowed.length - 1]?.value ?? 'custom') : 'custom';
}
