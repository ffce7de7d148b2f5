import ipaddr from 'ipaddr.js';

export type IpRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses "203.0.113.0/24", "2001:db8::/32" or a single address; returns null when it is neither. */
export function parseRange(text: string): IpRange | null {
  try {
    if (text.includes('/')) {
      const [address, bits] = ipaddr.parseCIDR(text);
      if (address.kind() === 'ipv6' && bits >= 96) {
        const mapped = normalize(address);
        if (mapped.kind() === 'ipv4') return [mapped, bits - 96];
      }
      return [address, bits];
    }
    if (!ipaddr.isValid(text)) return null;
    const address = normalize(ipaddr.parse(text));
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

/** IPv4-mapped IPv6 (::ffff:1.2.3.4), as Node reports IPv4 clients on a dual-stack socket, becomes IPv4. */
function normalize(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (address as ipaddr.IPv6).toIPv4Address();
  }
  return address;
}

export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(text)) return null;
  return normalize(ipaddr.parse(text));
}

export function addressInRanges(address: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly IpRange[]): boolean {
  for (const [network, bits] of ranges) {
    if (network.kind() === address.kind() && address.match(network, bits)) return true;
  }
  return false;
}
