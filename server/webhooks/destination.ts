// Where a webhook may go: public unicast addresses only, unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=true.
// Checked when an endpoint is saved (literal addresses, and hostnames as they resolve then) and again at
// every delivery, on the very addresses the connection is made to (a DNS answer that changed since, a
// rebinding, cannot slip through). Without it the delivery log is a scanner of the server's own network.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** The deprecated IPv4-compatible form (`::a.b.c.d`) and the rest of ::/8 that ipaddr.js calls unicast. */
const [reservedV6, reservedV6Bits] = ipaddr.parseCIDR('::/8');
/** The well-known NAT64 prefix, whose last 32 bits are the IPv4 address it reaches. */
const [nat64, nat64Bits] = ipaddr.parseCIDR('64:ff9b::/96');

const lastIPv4 = (v6: ipaddr.IPv6): ipaddr.IPv4 => {
  const [high = 0, low = 0] = v6.parts.slice(6);
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
};

/**
 * The ipaddr.js range an address falls in, looking through the IPv6 forms that reach an IPv4 address
 * (mapped, translated, NAT64, 6to4). `unicast` is the only one a webhook may go to.
 */
export function rangeOf(address: Address): string {
  if (address.kind() === 'ipv4') return address.range();
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return rangeOf(lastIPv4(v6));
    case 'rfc6052':
      // 64:ff9b::/96 embeds the IPv4 address; the local-use 64:ff9b:1::/48 translates to anything.
      return v6.match(nat64, nat64Bits) ? rangeOf(lastIPv4(v6)) : range;
    case '6to4': {
      const [, high = 0, low = 0] = v6.parts;
      return rangeOf(new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]));
    }
    case 'unicast':
      return v6.match(reservedV6, reservedV6Bits) ? 'reserved' : range;
    default:
      return range;
  }
}

/** Why an address may not receive webhooks (its range), or null for a public unicast address. */
export function refusedRange(text: string): string | null {
  if (!ipaddr.isValid(text)) return 'invalid';
  const range = rangeOf(ipaddr.parse(text));
  return range === 'unicast' ? null : range;
}

/** The error a refused address gives, at creation (as a 400's message) and at delivery (in the log). */
export class DestinationRefused extends Error {
  readonly code = 'EDESTINATIONREFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(
      `${host === address ? address : `${host} resolves to ${address}, which`} is a ${describe(range)} address; ` +
        'webhooks go only to public addresses (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true lifts this)',
    );
    this.name = 'DestinationRefused';
  }
}

function describe(range: string): string {
  const names: Record<string, string> = {
    loopback: 'loopback',
    private: 'private-network',
    uniqueLocal: 'private-network (unique local)',
    linkLocal: 'link-local',
    carrierGradeNat: 'carrier-grade NAT',
    unspecified: 'unspecified',
    multicast: 'multicast',
    broadcast: 'broadcast',
  };
  return names[range] ?? `non-public (${range})`;
}

/** The host part of a URL as an address when it is a literal one (`[::1]` → `::1`), else undefined. */
export function literalAddress(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return ipaddr.isValid(host) ? host : undefined;
}

/** Throws when a literal host is not public; a name is checked where it is resolved. */
export function checkLiteralHost(url: URL): void {
  const literal = literalAddress(url);
  if (literal === undefined) return;
  const range = refusedRange(literal);
  if (range !== null) throw new DestinationRefused(literal, literal, range);
}

/** The first address of a resolution that may not receive webhooks, with its range. */
function firstRefused(addresses: readonly LookupAddress[]): { address: string; range: string } | undefined {
  for (const { address } of addresses) {
    const range = refusedRange(address);
    if (range !== null) return { address, range };
  }
  return undefined;
}

const RESOLVE_TIMEOUT_MS = 5_000;

/**
 * At creation: every address the host resolves to now must be public. A host that does not resolve
 * (yet, or not from here) is accepted: each delivery resolves and checks again.
 */
export async function checkResolvedHost(url: URL): Promise<void> {
  checkLiteralHost(url);
  if (literalAddress(url) !== undefined) return;
  const addresses = await new Promise<LookupAddress[]>((resolve) => {
    const timer = setTimeout(() => resolve([]), RESOLVE_TIMEOUT_MS);
    dnsLookup(url.hostname, { all: true, verbatim: true }, (error, found) => {
      clearTimeout(timer);
      resolve(error ? [] : found);
    });
  });
  const refused = firstRefused(addresses);
  if (refused) throw new DestinationRefused(url.hostname, refused.address, refused.range);
}

/**
 * A `lookup` for sockets: resolves every address of the host, refuses the connection when any of them
 * is not public, and hands the socket exactly the addresses it checked.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options: LookupOptions, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, '', 0);
      return;
    }
    const refused = firstRefused(addresses);
    if (refused) {
      callback(new DestinationRefused(hostname, refused.address, refused.range), '', 0);
      return;
    }
    const [first] = addresses;
    if (options.all) callback(null, addresses);
    else if (first === undefined)
      callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
    else callback(null, first.address, first.family);
  });
};
