import { ipAllowed } from './rules/ip.ts';
import { type PermissionQuery, permissionAllows } from './rules/permissions.ts';
import type { VerifiedToken, VerifyFailureCode, VerifyOptions } from './types.ts';

/**
 * Whether a list of permissions answers a permission question, as the server judges it: a key is
 * held only when listed (`'*'` is not a wildcard); `all` needs every key, `any` one of them; no
 * question is always answered yes.
 *
 * @example
 * hasPermission(['blocks:read'], { any: ['blocks:read', 'chunks:read'] }); // true
 */
export function hasPermission(granted: readonly string[], query: PermissionQuery | undefined): boolean {
  if (query === undefined) return true;
  return permissionAllows({ has: (key) => granted.includes(key) }, query);
}

/**
 * Checks a verified token record against a question locally, the way the server does: the value's
 * own end (a rotation's grace), expiry, allowed addresses (when the record carries them and `ip` is
 * given; a list, even empty, restricts), permission, then the token's resource list. Returns `null`
 * when the token passes, or the failure code. Only the server knows whether a resource exists in the
 * token's org: ask it (or use the client's cache, which does) for a resource the server has not
 * confirmed.
 *
 * @example
 * const failure = evaluateToken(record, { permission: 'blocks:read', resource: 'res_1' });
 * if (failure) console.log('refused:', failure);
 */
export function evaluateToken(
  token: VerifiedToken,
  options: VerifyOptions,
  now: number = Date.now(),
): VerifyFailureCode | null {
  if (token.valueExpiresAt && Date.parse(token.valueExpiresAt) <= now) return 'NOT_FOUND';
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now) return 'EXPIRED';
  if (options.ip !== undefined && Array.isArray(token.allowedIps)) {
    if (!ipAllowed(token.allowedIps, options.ip)) return 'IP_NOT_ALLOWED';
  }
  if (!hasPermission(token.permissions, options.permission)) return 'FORBIDDEN';
  if (options.resource !== undefined && token.resourceIds !== null) {
    if (!token.resourceIds.includes(options.resource)) return 'RESOURCE_FORBIDDEN';
  }
  return null;
}
