// The CSV of a revealed token, built in the browser (never sent anywhere).
import type { IssuedToken } from './types';

export const CSV_HEADER = ['client_id', 'token', 'name', 'permissions', 'resources', 'expires_at'] as const;

/**
 * Quotes a field per RFC 4180 and defuses spreadsheet formulas: a value that
 * starts with = + - @ or a tab/CR is prefixed with a single quote (OWASP CSV
 * injection advice), since names are user-chosen.
 */
export function csvField(value: string): string {
  let out = value;
  if (/^[=+\-@\t\r]/.test(out)) out = `'${out}`;
  if (/[",\r\n]/.test(out)) out = `"${out.replace(/"/g, '""')}"`;
  return out;
}

/**
 * permissions: space-separated keys, `*` for full access, `role:<id>` for a
 * role-based token whose permissions are not listed; resources: space-separated
 * resource ids, `*` for every resource; expires_at: RFC 3339 or empty for never.
 */
export function tokenCsv(issued: IssuedToken): string {
  const info = issued.tokenInfo;
  let permissions: string;
  if (info.access === 'full') permissions = '*';
  else if (info.permissions && info.permissions.length > 0) permissions = info.permissions.join(' ');
  else if (info.roleId) permissions = `role:${info.roleId}`;
  else permissions = '';
  const resources = info.resourceIds === null ? '*' : info.resourceIds.join(' ');
  const row = [issued.clientId, issued.token, info.name, permissions, resources, info.expiresAt ?? ''];
  return `${CSV_HEADER.join(',')}\r\n${row.map(csvField).join(',')}\r\n`;
}

export function csvFileName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `latchkey-token-${slug || 'token'}.csv`;
}
