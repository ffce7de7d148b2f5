// IP and CIDR matching is one of the shared rules (`@latchkey/sdk/rules`: parseIpRange, parseIpAddress,
// addressInRanges), one implementation for the server, the SDK's cache and the console. The server's
// callers keep these names.
export {
  addressInRanges,
  type IpRange,
  parseIpAddress as parseAddress,
  parseIpRange as parseRange,
} from '@latchkey/sdk/rules';
