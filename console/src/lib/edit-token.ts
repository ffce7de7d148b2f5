// The edit dialog's values for a token, and the PATCH body holding only what changed: pure, unit-tested.
import { type RenewedSettings, renewedSettings } from './renew';
import type { PatchTokenBody, TokenInfo } from './types';
import { splitList } from './validation';

export type EditTokenValues = Omit<RenewedSettings, 'kind'> & {
  /** YYYY-MM-DD of a new, earlier expiry; empty keeps the current one. */
  expiresOn: string;
};

/** The form's starting values: the token as it is. */
export function editableSettings(token: TokenInfo): EditTokenValues {
  const { kind: _kind, ...settings } = renewedSettings(token, true);
  return { ...settings, name: token.name, expiresOn: '' };
}

const sameList = (a: readonly string[] | null, b: readonly string[] | null) =>
  a === b ||
  (a !== null &&
    b !== null &&
    a.length === b.length &&
    [...a].sort().join('\n') === [...b].sort().join('\n'));

/**
 * What changed between `token` and the form's values, as a PATCH body (empty when nothing did). A new
 * expiry keeps the time of day of the current one (or of `now` for a token without expiry).
 */
export function toPatchTokenBody(
  token: TokenInfo,
  values: EditTokenValues,
  now: Date = new Date(),
): PatchTokenBody {
  const body: PatchTokenBody = {};
  const name = values.name.trim();
  if (name !== token.name) body.name = name;
  const description = values.description.trim();
  if (description !== (token.description ?? '')) body.description = description;

  const access = token.access === 'full' ? 'full' : token.roleId ? 'role' : 'granular';
  if (values.access !== access) {
    body.access = values.access === 'full' ? 'full' : 'granular';
    if (values.access === 'granular') body.permissions = values.permissions;
    if (values.access === 'role') body.roleId = values.roleId;
  } else if (values.access === 'granular' && !sameList(values.permissions, token.permissions ?? [])) {
    body.access = 'granular';
    body.permissions = values.permissions;
  } else if (values.access === 'role' && values.roleId !== token.roleId) {
    body.access = 'granular';
    body.roleId = values.roleId;
  }

  const resourceIds = values.resourceMode === 'all' ? null : values.resourceIds;
  if (!sameList(resourceIds, token.resourceIds)) body.resourceIds = resourceIds;

  const ips = splitList(values.allowedIps);
  const allowedIps = ips.length > 0 ? ips : null;
  if (!sameList(allowedIps, token.allowedIps?.length ? token.allowedIps : null)) body.allowedIps = allowedIps;

  const rateLimit = values.rateLimit.trim()
    ? { limit: Number(values.rateLimit.trim()), windowSeconds: Number(values.rateWindow.trim()) }
    : null;
  const current = token.rateLimit;
  if (
    (rateLimit === null) !== (current === null) ||
    (rateLimit !== null &&
      current !== null &&
      (rateLimit.limit !== current.limit || rateLimit.windowSeconds !== current.windowSeconds))
  ) {
    body.rateLimit = rateLimit;
  }

  if (values.expiresOn) {
    const base = token.expiresAt ? new Date(token.expiresAt) : now;
    const [y, m, d] = values.expiresOn.split('-').map(Number);
    const at = new Date(base.getTime());
    at.setFullYear(y ?? 1970, (m ?? 1) - 1, d ?? 1);
    body.expiresAt = at.toISOString();
  }
  return body;
}
