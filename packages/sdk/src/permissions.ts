import { BlockList, isIP } from 'node:net';
import type { PermissionQuery, VerifiedToken, VerifyFailureCode, VerifyOptions } from './types.ts';

/**
 * Whether a set of permissions answers a permission question. A `*` entry grants everything.
 *
 * @example
 * hasPermission(['blocks:read'], { any: ['blocks:read', 'chunks:read'] }); // true
 */
export function hasPermission(granted: readonly string[], query: PermissionQuery | undefined): boolean {
  if (query === undefined) return true;
  const has = (key: string) => granted.includes(key) || granted.includes('*');
  if (typeof query === 'string') return has(query);
  if ('all' in query) return query.all.every(has);
  return query.any.some(has);
}

function ipAllowed(allowed: readonly string[], ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  const list = new BlockList();
  for (const entry of allowed) {
    const [address = '', bits] = entry.split('/');
    const entryFamily = isIP(address);
    if (entryFamily === 0) continue;
    const type = entryFamily === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Checks a verified token record against a question locally, the way the server does: expiry,
 * allowed addresses (when the record carries them), permission, then resource. Returns `null` when
 * the token passes, or the failure code.
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
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now) return 'EXPIRED';
  if (options.ip !== undefined && Array.isArray(token.allowedIps) && token.allowedIps.length > 0) {
    if (!ipAllowed(token.allowedIps, options.ip)) return 'IP_NOT_ALLOWED';
  }
  if (!hasPermission(token.permissions, options.permission)) return 'FORBIDDEN';
  if (options.resource !== undefined && token.resourceIds !== null) {
    if (!token.resourceIds.includes(options.resource)) return 'RESOURCE_FORBIDDEN';
  }
  return null;
}
