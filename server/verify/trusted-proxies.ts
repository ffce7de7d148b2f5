// Which verify callers may name the end client (docs/security.md, "Who may name the end client"): the
// addresses of VERIFY_TRUSTED_PROXIES, and — for GET /v1/verify, asked by a reverse proxy — which end
// client such a proxy names in X-Forwarded-For or X-Real-IP. Pure: no I/O.
import { addressInRanges, type IpRange, parseIpAddress, parseIpRange } from '@latchkey/sdk/rules';

/** Whether an address is one of VERIFY_TRUSTED_PROXIES (its blocks parsed once). */
export type TrustedProxyTest = (ip: string) => boolean;

/**
 * The test for VERIFY_TRUSTED_PROXIES. Config has already refused entries that are not addresses or
 * blocks; none trusted answers false without parsing the address.
 *
 * @example
 * trustedProxyTest(['10.0.0.0/8'])('10.1.2.3'); // true
 */
export function trustedProxyTest(cidrs: readonly string[]): TrustedProxyTest {
  const ranges = cidrs.map(parseIpRange).filter((range): range is IpRange => range !== null);
  if (ranges.length === 0) return () => false;
  return (ip) => {
    const address = parseIpAddress(ip);
    return address !== null && addressInRanges(address, ranges);
  };
}

/** The headers a reverse proxy names its client with (a repeated header is read as one joined list). */
export interface ForwardingHeaders {
  forwardedFor: string | readonly string[] | undefined;
  realIp: string | readonly string[] | undefined;
}

const joined = (header: string | readonly string[] | undefined): string | undefined =>
  typeof header === 'string' || header === undefined ? header : header.join(',');

/** Which forwarding header an address came from: a bad one is refused naming it. */
export interface ForwardedClient {
  ip: string;
  header: 'x-forwarded-for' | 'x-real-ip';
}

/**
 * The end client a trusted proxy names, or undefined when it names none. X-Forwarded-For is read from
 * its right end — the hop the nearest proxy appended — past the `consumed` hops TRUST_PROXY already
 * used for the caller's address and then past every further trusted proxy, as Fastify walks it for
 * TRUST_PROXY: what a client wrote at the left end is reached only through proxies the operator trusts.
 * X-Real-IP (one address) counts only without X-Forwarded-For. The caller must be checked as trusted
 * first; the address is returned as written (the caller parses it and refuses a bad one).
 *
 * @example
 * forwardedClient({ forwardedFor: '198.51.100.9, 203.0.113.7', realIp: undefined }, 0, () => false);
 * // { ip: '203.0.113.7', header: 'x-forwarded-for' }
 */
export function forwardedClient(
  headers: ForwardingHeaders,
  consumed: number,
  trusted: TrustedProxyTest,
): ForwardedClient | undefined {
  const forwardedFor = joined(headers.forwardedFor);
  if (forwardedFor !== undefined && forwardedFor.trim() !== '') {
    const hops = forwardedFor.split(',');
    for (let i = hops.length - 1 - consumed; i >= 0; i--) {
      const hop = (hops[i] as string).trim();
      // The left end is the client whatever it is: every hop to its right is a trusted proxy.
      if (i > 0 && trusted(hop)) continue;
      return { ip: hop, header: 'x-forwarded-for' };
    }
    return undefined;
  }
  const realIp = joined(headers.realIp)?.trim();
  return realIp === undefined || realIp === '' ? undefined : { ip: realIp, header: 'x-real-ip' };
}
