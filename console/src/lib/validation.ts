// Client-side checks that mirror the server's, so bad input is explained
// before a round-trip. The server stays the authority.
import { parseIpRange } from '@latchkey/sdk/rules';

/** An address or CIDR block, IPv4 or IPv6: exactly what the server accepts (the shared rule). */
export function isCidr(value: string): boolean {
  return parseIpRange(value) !== null;
}

/** Splits a textarea of addresses (commas, spaces or new lines). */
export function splitList(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** undefined when every entry is an address or CIDR block, else a message naming the first bad one. */
export function checkIpList(value: string): string | undefined {
  const bad = splitList(value).find((entry) => !isCidr(entry));
  return bad === undefined ? undefined : `"${bad}" is not an IP address or CIDR block (e.g. 203.0.113.0/24).`;
}

/** The name of a role, or of a renamed token: 1 to 100 characters once trimmed (react-hook-form rule). */
export function checkName(value: string): true | string {
  return (value.trim().length > 0 && value.trim().length <= 100) || 'The name is 1 to 100 characters.';
}
