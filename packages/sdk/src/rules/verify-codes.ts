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

/**
 * How a protected route answers a refused token: `unauthenticated` (401) when the token does not work here
 * at all (malformed, unknown, expired, revoked, or from an address it does not allow: one answer, so the
 * caller learns nothing about which), `forbidden` (403) when it works but lacks the permission or the
 * resource, `rate_limited` (429) when it made too many requests. The SDK middleware, the gateway and
 * `GET /v1/verify` all answer by this.
 *
 * @example
 * const status = REFUSAL_STATUS[refusalKindOf('RESOURCE_FORBIDDEN')]; // 403
 */
export type RefusalKind = 'unauthenticated' | 'forbidden' | 'rate_limited';

/** The HTTP status of each kind of refusal. */
export const REFUSAL_STATUS = { unauthenticated: 401, forbidden: 403, rate_limited: 429 } as const;

/** The kind of answer a refusal code gets (see {@link RefusalKind}). */
export function refusalKindOf(code: VerifyCode): RefusalKind {
  switch (code) {
    case 'FORBIDDEN':
    case 'RESOURCE_FORBIDDEN':
      return 'forbidden';
    case 'RATE_LIMITED':
      return 'rate_limited';
    default:
      return 'unauthenticated';
  }
}
