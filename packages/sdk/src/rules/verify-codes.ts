// The closed list of refusals of `POST /v1/verify` (SPEC §3 "Verify").

/**
 * Every code of a `{"valid": false, "code": …}` verify answer, in the order the checks run.
 *
 * @example
 * Type.Union(VERIFY_CODES.map((code) => Type.Literal(code)));
 */
export const VERIFY_CODES = [
  'MALFORMED',
  'NOT_FOUND',
  'EXPIRED',
  'REVOKED',
  'FORBIDDEN',
  'RESOURCE_FORBIDDEN',
  'IP_NOT_ALLOWED',
  'RATE_LIMITED',
] as const;

/**
 * Why a token was refused by `POST /v1/verify`.
 *
 * @example
 * const code: VerifyCode = 'REVOKED';
 */
export type VerifyCode = (typeof VERIFY_CODES)[number];

const codes: ReadonlySet<string> = new Set(VERIFY_CODES);

/**
 * Whether a value is one of the verify refusal codes.
 *
 * @example
 * if (!isVerifyCode(answer.code)) throw new Error('unexpected verify answer');
 */
export function isVerifyCode(value: unknown): value is VerifyCode {
  return typeof value === 'string' && codes.has(value);
}
