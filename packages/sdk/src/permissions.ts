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

/** `::ffff:1.2.3.4`, as Node reports IPv4 clients on a dual-stack socket, is the IPv4 address. */
function normalizeAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped?.[1] ?? ip;
}

function ipAllowed(allowed: readonly string[], rawIp: string): boolean {
  const ip = normalizeAddress(rawIp);
  const family = isIP(ip);
  if (family === 0) return false;
  const list = new BlockList();
  for (const entry of allowed) {
    const [rawAddress = '', bits] = entry.split('/');
    const address = normalizeAddress(rawAddress);
    const entryFamily = isIP(address);
    if (entryFamily === 0) continue;
    const type = entryFamily === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else if (address !== rawAddress) list.addSubnet(address, Math.max(0, Number(bits) - 96), type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Checks a verified token record against a question locally, the way the server does: the value's
 * own end (a rotation's grace), expiry, allowed addresses (when the record carries them and `ip` is
 * given; a list, even empty, restricts), permission, then resource. Returns `null` when the token
 * passes, or the failure code.
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
