// Client-side checks that mirror the server's, so bad input is explained
// before a round-trip. The server stays the authority.

function isIPv4(value: string): boolean {
  const parts = value.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(value: string): boolean {
  if (!value.includes(':') || !/^[0-9a-fA-F:.]+$/.test(value)) return false;
  try {
    new URL(`http://[${value}]/`);
    return true;
  } catch {
    return false;
  }
}

/** An address or CIDR block, IPv4 or IPv6. */
export function isCidr(value: string): boolean {
  const [addr, bits, ...rest] = value.split('/');
  if (rest.length > 0 || !addr) return false;
  const v4 = isIPv4(addr);
  const v6 = !v4 && isIPv6(addr);
  if (!v4 && !v6) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (v4 ? 32 : 128);
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
