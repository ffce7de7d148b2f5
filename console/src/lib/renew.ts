// "Create from a notice": the expiry mail links to /orgs/<org>/tokens?create=<token id>, and the create
// dialog opens pre-filled with that token's settings.
import { addDays, isoDay } from './format';
import type { OrgPolicy, TokenInfo, TokenKind } from './types';

const DAY = 86_400_000;
const PRESET_DAYS: Record<number, string> = { 7: '7', 30: '30', 60: '60', 90: '90', 365: '365' };

/** "ci" → "ci (renewed)", "ci (renewed)" → "ci (renewed 2)", … within the 100-character limit. */
export function renewedName(name: string): string {
  const m = /^(.*) \(renewed(?: (\d+))?\)$/.exec(name);
  const base = m ? (m[1] ?? name) : name;
  const suffix = m ? ` (renewed ${Number(m[2] ?? 1) + 1})` : ' (renewed)';
  return base.slice(0, 100 - suffix.length).trimEnd() + suffix;
}

/** The token's whole lifetime in days (at least 1), or null when it never expires. */
export function lifetimeDays(token: Pick<TokenInfo, 'createdAt' | 'expiresAt'>): number | null {
  if (!token.expiresAt) return null;
  const ms = Date.parse(token.expiresAt) - Date.parse(token.createdAt);
  return Math.max(1, Math.round(ms / DAY));
}

/**
 * The lifetime choice for the same length: a preset when it is one, "never" when the old token never
 * expired and the policy still allows it, otherwise a custom date as far away as the old lifetime
 * (capped at the policy's maximum).
 */
export function renewedLifetime(
  token: Pick<TokenInfo, 'createdAt' | 'expiresAt'>,
  policy: Pick<OrgPolicy, 'maxTtlDays' | 'allowNoExpiry'>,
  today: Date = new Date(),
): { lifetime: string; customDate: string } {
  const days = lifetimeDays(token);
  if (days === null && policy.allowNoExpiry) return { lifetime: 'never', customDate: '' };
  const wanted = Math.min(days ?? policy.maxTtlDays, policy.maxTtlDays);
  const preset = PRESET_DAYS[wanted];
  if (preset) return { lifetime: preset, customDate: '' };
  return { lifetime: 'custom', customDate: isoDay(addDays(today, wanted)) };
}

export interface RenewedSettings {
  name: string;
  description: string;
  kind: TokenKind;
  access: 'full' | 'granular' | 'role';
  permissions: string[];
  roleId: string;
  resourceMode: 'all' | 'some';
  resourceIds: string[];
  allowedIps: string;
  rateLimit: string;
  rateWindow: string;
}

/** The create form's values for a new token like `token` (the lifetime comes from renewedLifetime). */
export function renewedSettings(token: TokenInfo, canWriteTokens: boolean): RenewedSettings {
  return {
    name: renewedName(token.name),
    description: token.description ?? '',
    kind: token.kind === 'application' && canWriteTokens ? 'application' : 'personal',
    access: token.access === 'full' ? 'full' : token.roleId ? 'role' : 'granular',
    permissions: token.access === 'granular' && !token.roleId ? [...(token.permissions ?? [])] : [],
    roleId: token.roleId ?? '',
    resourceMode: token.resourceIds === null ? 'all' : 'some',
    resourceIds: [...(token.resourceIds ?? [])],
    allowedIps: (token.allowedIps ?? []).join('\n'),
    rateLimit: token.rateLimit ? String(token.rateLimit.limit) : '',
    rateWindow: token.rateLimit ? String(token.rateLimit.windowSeconds) : '60',
  };
}
