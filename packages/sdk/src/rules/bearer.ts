// The `Authorization: Bearer <token>` header (RFC 6750 §2.1).

/**
 * `Bearer` (any case), whitespace, then a b64token (RFC 6750: `1*( ALPHA / DIGIT / "-" / "." / "_"
 * / "~" / "+" / "/" ) *"="`), optionally surrounded by spaces or tabs.
 */
const BEARER = /^[ \t]*Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i;

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined: no header, another scheme,
 * no token, a token with characters RFC 6750 does not allow, or the header given more than once.
 *
 * @example
 * readBearer('Bearer lk_abc'); // 'lk_abc'
 * readBearer('bearer   lk_abc'); // 'lk_abc'
 * readBearer('Basic dXNlcg=='); // undefined
 */
export function readBearer(header: string | readonly string[] | null | undefined): string | undefined {
  let value: string | null | undefined;
  if (Array.isArray(header)) {
    if (header.length !== 1) return undefined;
    value = header[0];
  } else value = header as string | null | undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  return BEARER.exec(value)?.[1];
}
