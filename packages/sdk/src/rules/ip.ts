// Addresses and CIDR blocks of a token's `allowedIps` (SPEC §2 "Fields"), with ipaddr.js (browser-safe).
import ipaddr from 'ipaddr.js';

/**
 * A parsed address: IPv4 or IPv6.
 *
 * @example
 * const address: IpAddress | null = parseIpAddress('203.0.113.7');
 */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * A parsed CIDR block: the network address and its prefix length.
 *
 * @example
 * const range: IpRange | null = parseIpRange('10.0.0.0/8');
 */
export type IpRange = [IpAddress, number];

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`, as Node reports IPv4 clients on a dual-stack socket) is IPv4. */
function normalize(address: IpAddress): IpAddress {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (address as ipaddr.IPv6).toIPv4Address();
  }
  return address;
}

/**
 * The text forms accepted: IPv4 only as four decimal parts without leading zeros (`010.0.0.1` is
 * octal to some parsers and decimal to others, `10.1` and `167772161` are shorthand few people
 * recognise), IPv6 as RFC 4291 writes it (with an optional zone, which matching ignores).
 */
function isPlainAddress(text: string): boolean {
  if (!text.includes(':')) return ipaddr.IPv4.isValidFourPartDecimal(text);
  if (!ipaddr.IPv6.isValid(text)) return false;
  // An embedded IPv4 address (`::ffff:10.0.0.1`) follows the IPv4 rule too.
  const zone = text.indexOf('%');
  const plain = zone === -1 ? text : text.slice(0, zone);
  const embedded = plain.slice(plain.lastIndexOf(':') + 1);
  return !embedded.includes('.') || ipaddr.IPv4.isValidFourPartDecimal(embedded);
}

const PREFIX_LENGTH = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Parses an `allowedIps` entry: `203.0.113.0/24`, `2001:db8::/32` or a single address; null when it
 * is neither. An IPv4-mapped IPv6 address is its IPv4 address, and a mapped block of `/96` or longer
 * is the IPv4 block it covers (`::ffff:10.0.0.0/104` is `10.0.0.0/8`). A shorter mapped block
 * (`::ffff:10.0.0.1/64`) stays an IPv6 block, which no IPv4 client matches. IPv4 is accepted only
 * as four decimal parts without leading zeros.
 *
 * @example
 * parseIpRange('::ffff:10.0.0.0/104'); // [10.0.0.0, 8]
 * parseIpRange('010.0.0.1'); // null
 */
export function parseIpRange(text: string): IpRange | null {
  if (typeof text !== 'string') return null;
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  if (!isPlainAddress(addressText)) return null;
  try {
    if (slash !== -1) {
      if (!PREFIX_LENGTH.test(text.slice(slash + 1))) return null;
      const [address, bits] = ipaddr.parseCIDR(text);
      if (address.kind() === 'ipv6' && bits >= 96) {
        const mapped = normalize(address);
        if (mapped.kind() === 'ipv4') return [mapped, bits - 96];
      }
      return [address, bits];
    }
    const address = normalize(ipaddr.parse(text));
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

/**
 * Parses a client address; an IPv4-mapped IPv6 address is its IPv4 address. Null when it is not an
 * address in the forms {@link parseIpRange} accepts.
 *
 * @example
 * parseIpAddress('::ffff:10.1.2.3')?.toString(); // '10.1.2.3'
 */
export function parseIpAddress(text: string): IpAddress | null {
  if (typeof text !== 'string' || !isPlainAddress(text)) return null;
  try {
    return normalize(ipaddr.parse(text));
  } catch {
    return null;
  }
}

/**
 * Whether an address lies in one of the blocks (an IPv4 address never matches an IPv6 block).
 *
 * @example
 * addressInRanges(parseIpAddress('10.1.2.3')!, [parseIpRange('10.0.0.0/8')!]); // true
 */
export function addressInRanges(address: IpAddress, ranges: readonly IpRange[]): boolean {
  for (const [network, bits] of ranges) {
    if (network.kind() === address.kind() && address.match(network, bits)) return true;
  }
  return false;
}

/**
 * Parses an `allowedIps` list; entries that do not parse are left out (they allow nothing).
 *
 * @example
 * const ranges = parseIpRanges(['10.0.0.0/8', '2001:db8::1']);
 */
export function parseIpRanges(list: readonly string[]): IpRange[] {
  const ranges: IpRange[] = [];
  for (const entry of list) {
    const range = parseIpRange(entry);
    if (range !== null) ranges.push(range);
  }
  return ranges;
}

/**
 * Parsed lists, per list object: a cached token record asks about the same list on every request. The
 * entries are kept beside the ranges, so a list changed in place is parsed again.
 */
const parsedLists = new WeakMap<readonly string[], { entries: string[]; ranges: IpRange[] }>();

function sameEntries(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether a client address is allowed by an `allowedIps` list (a list, even empty, restricts; an
 * address that does not parse is refused), with the server's semantics.
 *
 * @example
 * ipAllowed(['10.0.0.0/8'], '::ffff:10.1.2.3'); // true
 * ipAllowed(['::ffff:10.0.0.1/64'], '10.0.0.1'); // false
 */
export function ipAllowed(list: readonly string[], ip: string): boolean {
  const address = parseIpAddress(ip);
  if (address === null) return false;
  let parsed = parsedLists.get(list);
  if (parsed === undefined || !sameEntries(parsed.entries, list)) {
    parsed = { entries: [...list], ranges: parseIpRanges(list) };
    parsedLists.set(list, parsed);
  }
  return addressInRanges(address, parsed.ranges);
}

/**
 * Whether every address of block `inner` lies in block `outer` (same family, at least as long a
 * prefix, inside the network): what "at least as narrow" means for `allowedIps`.
 *
 * @example
 * rangeWithin(parseIpRange('10.0.0.128/25')!, parseIpRange('10.0.0.0/24')!); // true
 */
export function rangeWithin(inner: IpRange, outer: IpRange): boolean {
  const [innerAddress, innerBits] = inner;
  const [outerAddress, outerBits] = outer;
  if (innerAddress.kind() !== outerAddress.kind() || innerBits < outerBits) return false;
  return innerAddress.match(outerAddress as never, outerBits);
}
