/**
 * `@latchkey/sdk/rules`: the rules that the server, the SDK, the gateway, the CLI and the console
 * share, each written once. Browser-safe: no Node built-ins (its one dependency, ipaddr.js, runs
 * anywhere).
 *
 * @example
 * import { isWellFormedToken, permissionAllows, readBearer } from '@latchkey/sdk/rules';
 */
export { readBearer } from './bearer.ts';
export {
  addressInRanges,
  type IpAddress,
  type IpRange,
  ipAllowed,
  parseIpAddress,
  parseIpRange,
  parseIpRanges,
  rangeWithin,
} from './ip.ts';
export {
  isPermissionKey,
  PERMISSION_KEY_MAX_LENGTH,
  PERMISSION_KEY_PATTERN,
  type PermissionQuery,
  type PermissionSet,
  permissionAllows,
} from './permissions.ts';
export { csvCell, TOKEN_CSV_HEADER, type TokenCsvInput, tokenCsv } from './token-csv.ts';
export {
  crc32,
  isWellFormedToken,
  TOKEN_ALPHABET,
  TOKEN_CHECKSUM_LENGTH,
  TOKEN_PREFIX_PATTERN,
  TOKEN_RANDOM_LENGTH,
  tokenChecksum,
  tokenHint,
} from './token-format.ts';
export {
  isVerifyCode,
  REFUSAL_STATUS,
  type RefusalKind,
  refusalKindOf,
  VERIFY_CODES,
  type VerifyCode,
} from './verify-codes.ts';
