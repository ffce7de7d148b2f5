import type { Context, MiddlewareHandler } from 'hono';
import { authorizeRequest, type RequireTokenOptions } from './middleware.ts';
import type { VerifiedToken } from './types.ts';

/**
 * The context variables `requireToken()` sets: `c.get('latchkey')` is the verified token.
 *
 * @example
 * const app = new Hono<{ Variables: LatchkeyVariables }>();
 */
export interface LatchkeyVariables {
  latchkey: VerifiedToken;
}

/**
 * Options of the Hono `requireToken()`; getters receive the Hono `Context`.
 *
 * @example
 * const options: HonoRequireTokenOptions = { client: latchkey, permission: 'chunks:read' };
 */
export type HonoRequireTokenOptions = RequireTokenOptions<Context>;

function nodeAddress(c: Context): string | undefined {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return undefined;
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } }).incoming;
  return incoming?.socket?.remoteAddress;
}

/**
 * Hono middleware that lets a request through only with a valid `Authorization: Bearer` token
 * allowed the permission (and resource). It answers 401 with `WWW-Authenticate: Bearer` for a
 * missing or bad token, 403 for a missing permission or resource, in the
 * `{error: {code, message, details}}` envelope, and sets `c.get('latchkey')`. The client address
 * defaults to the socket's on `@hono/node-server`; elsewhere pass `ip` (for example from
 * `getConnInfo`).
 *
 * @example
 * import { Hono } from 'hono';
 * import { Latchkey } from '@latchkey/sdk';
 * import { requireToken, type LatchkeyVariables } from '@latchkey/sdk/hono';
 *
 * const latchkey = new Latchkey({ baseUrl: 'http://127.0.0.1:4000', token: process.env.LATCHKEY_TOKEN, cache: true });
 * const app = new Hono<{ Variables: LatchkeyVariables }>();
 * app.get('/chunks/:id', requireToken({ client: latchkey, permission: 'chunks:read' }), (c) =>
 *   c.json({ caller: c.get('latchkey').id }),
 * );
 */
export function requireToken(
  options: HonoRequireTokenOptions,
): MiddlewareHandler<{ Variables: LatchkeyVariables }> {
  return async function latchkeyRequireToken(c, next) {
    const ip = options.ip ? options.ip(c) : nodeAddress(c);
    const outcome = await authorizeRequest(options, c.req.header('authorization'), c, ip);
    if (!outcome.ok) {
      return new Response(JSON.stringify(outcome.body), {
        status: outcome.status,
        headers: { ...outcome.headers, 'content-type': 'application/json; charset=utf-8' },
      });
    }
    c.set('latchkey', outcome.token);
    await next();
  };
}

export type { RequireTokenOptions, ValueOrGetter } from './middleware.ts';
