import type { Latchkey } from './client.ts';
import { LatchkeyError } from './errors.ts';
import { readBearer } from './rules/bearer.ts';
import { refusalKindOf } from './rules/verify-codes.ts';
import type { PermissionQuery, VerifiedToken } from './types.ts';

/**
 * A value given directly, or computed from the framework's request (for example the shard named in
 * the path).
 *
 * @example
 * const resource: ValueOrGetter<string | undefined, { params: { shard: string } }> = (req) => shards[req.params.shard];
 */
export type ValueOrGetter<T, Req> = T | ((request: Req) => T | Promise<T>);

/**
 * Options shared by every framework's `requireToken()`.
 *
 * @example
 * const options: RequireTokenOptions<unknown> = { client: latchkey, permission: 'blocks:read', resource: 'res_1' };
 */
export interface RequireTokenOptions<Req> {
  /** The client that verifies (give it a `cache` to answer from memory). */
  client: Latchkey;
  /** The permission the route needs; omit to accept any valid token. */
  permission?: ValueOrGetter<PermissionQuery | undefined, Req>;
  /**
   * The resource id (`res_…`) the route touches; omit when the route touches none. When set, a request
   * for which it names no resource (a getter returning `undefined`, `null` or `''`) is refused with
   * 403 (`details.reason: "RESOURCE_UNKNOWN"`), whatever the token.
   */
  resource?: ValueOrGetter<string | undefined, Req>;
  /** The end client's address; default the framework's idea of it (mind `trustProxy`). */
  ip?: (request: Req) => string | undefined;
  /** The `realm` of `WWW-Authenticate`. Default `latchkey`. */
  realm?: string;
}

/**
 * The spec's error envelope, as the middleware answers it.
 *
 * @example
 * const body: ErrorBody = { error: { code: 'UNAUTHENTICATED', message: 'A valid bearer token is required', details: null } };
 */
export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

/**
 * The outcome of checking a request: the verified token, or the answer to send.
 *
 * @example
 * const outcome: AuthorizeOutcome = await authorizeRequest(options, req.headers.authorization, req, req.ip);
 */
export type AuthorizeOutcome =
  | { ok: true; token: VerifiedToken }
  | { ok: false; status: number; headers: Record<string, string>; body: ErrorBody };

function envelope(code: string, message: string, details: unknown = null): ErrorBody {
  return { error: { code, message, details } };
}

async function resolve<T, Req>(
  value: ValueOrGetter<T, Req> | undefined,
  request: Req,
): Promise<T | undefined> {
  if (typeof value === 'function') return (value as (request: Req) => T | Promise<T>)(request);
  return value;
}

/**
 * The framework-neutral core of the middleware: verify the bearer token of a request and decide the
 * answer. One 401 for a missing, malformed, unknown, expired or revoked token, or one used from an
 * address it does not allow, so a caller learns nothing about which; 403 when the token lacks the
 * permission or the resource, or when the route asks for a resource (`resource` is set) and its
 * getter names none (`undefined`, `null` or `''`: `details.reason` is `RESOURCE_UNKNOWN`); 429 when
 * rate-limited; 503 when Latchkey cannot be reached (or a getter throws).
 *
 * @example
 * const outcome = await authorizeRequest({ client, permission: 'blocks:read' }, req.headers.authorization, req, ip);
 * if (!outcome.ok) res.writeHead(outcome.status, outcome.headers).end(JSON.stringify(outcome.body));
 */
export async function authorizeRequest<Req>(
  options: RequireTokenOptions<Req>,
  authorization: string | string[] | null | undefined,
  request: Req,
  ip: string | undefined,
): Promise<AuthorizeOutcome> {
  const realm = options.realm ?? 'latchkey';
  const token = readBearer(authorization);
  if (!token) {
    return {
      ok: false,
      status: 401,
      headers: { 'www-authenticate': `Bearer realm="${realm}"` },
      body: envelope('UNAUTHENTICATED', 'A bearer token is required'),
    };
  }
  const unauthenticated: AuthorizeOutcome = {
    ok: false,
    status: 401,
    headers: { 'www-authenticate': `Bearer realm="${realm}", error="invalid_token"` },
    body: envelope('UNAUTHENTICATED', 'The bearer token is not valid'),
  };
  try {
    const permission = await resolve(options.permission, request);
    const resource = await resolve(options.resource, request);
    // A route that asks for a resource (a getter, or a value) and cannot name one is refused: skipping
    // the resource check would let a token limited to one resource through on any other.
    const unnamed =
      options.resource !== undefined && (resource === undefined || resource === null || resource === '');
    const result = await options.client.verify(token, {
      ...(permission === undefined ? {} : { permission }),
      ...(unnamed || resource === undefined ? {} : { resource }),
      ...(ip === undefined ? {} : { ip }),
    });
    if (result.valid) {
      if (!unnamed) return { ok: true, token: result.token };
      return {
        ok: false,
        status: 403,
        headers: { 'www-authenticate': `Bearer realm="${realm}", error="insufficient_scope"` },
        body: envelope(
          'FORBIDDEN',
          'The resource this request touches could not be named, so no token is allowed on it',
          { reason: 'RESOURCE_UNKNOWN' },
        ),
      };
    }
    switch (refusalKindOf(result.code)) {
      case 'forbidden':
        return {
          ok: false,
          status: 403,
          headers: { 'www-authenticate': `Bearer realm="${realm}", error="insufficient_scope"` },
          body: envelope(
            'FORBIDDEN',
            result.code === 'FORBIDDEN'
              ? 'The token lacks the permission this route needs'
              : 'The token is not allowed on this resource',
            { reason: result.code, ...(permission === undefined ? {} : { permission }) },
          ),
        };
      case 'rate_limited':
        return {
          ok: false,
          status: 429,
          headers: {},
          body: envelope('RATE_LIMITED', 'The token has made too many requests'),
        };
      case 'unauthenticated':
        return unauthenticated;
    }
  } catch (error) {
    if (error instanceof LatchkeyError && error.code === 'RATE_LIMITED') {
      return {
        ok: false,
        status: 429,
        headers: error.retryAfter === undefined ? {} : { 'retry-after': String(error.retryAfter) },
        body: envelope('RATE_LIMITED', 'Too many failed attempts; try again later'),
      };
    }
    return {
      ok: false,
      status: 503,
      headers: {},
      body: envelope('UNAVAILABLE', 'Token verification is unavailable'),
    };
  }
}
