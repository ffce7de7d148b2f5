import type { FastifyReply, FastifyRequest } from 'fastify';
import { authorizeRequest, type RequireTokenOptions } from './middleware.ts';
import type { VerifiedToken } from './types.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The token verified by `requireToken()`; set on every request the hook let through. */
    latchkey?: VerifiedToken;
  }
}

/**
 * Options of the Fastify `requireToken()`; getters receive the `FastifyRequest`.
 *
 * @example
 * const options: FastifyRequireTokenOptions = { client: latchkey, permission: 'blocks:read' };
 */
export type FastifyRequireTokenOptions = RequireTokenOptions<FastifyRequest>;

/**
 * A Fastify `preHandler` hook that lets a request through only with a valid
 * `Authorization: Bearer` token allowed the permission (and resource). It answers 401 with
 * `WWW-Authenticate: Bearer` for a missing or bad token, 403 for a missing permission or resource,
 * in the `{error: {code, message, details}}` envelope, and puts the verified token on
 * `request.latchkey`. The client address defaults to `request.ip` (set `trustProxy` behind a proxy).
 *
 * @example
 * import Fastify from 'fastify';
 * import { Latchkey } from '@latchkey/sdk';
 * import { requireToken } from '@latchkey/sdk/fastify';
 *
 * const latchkey = new Latchkey({ baseUrl: 'http://127.0.0.1:4000', token: process.env.LATCHKEY_TOKEN, cache: true });
 * const app = Fastify();
 * app.addHook('onClose', async () => latchkey.close());
 * app.get('/blocks', { preHandler: requireToken({ client: latchkey, permission: 'blocks:read' }) }, async (request) => {
 *   return { caller: request.latchkey?.id, blocks: [] };
 * });
 */
export function requireToken(
  options: FastifyRequireTokenOptions,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async function latchkeyRequireToken(request, reply) {
    const ip = options.ip ? options.ip(request) : request.ip;
    const outcome = await authorizeRequest(options, request.headers.authorization, request, ip);
    if (outcome.ok) {
      request.latchkey = outcome.token;
      return undefined;
    }
    // Fastify's way to answer from an async hook: send, then return the reply.
    return reply.code(outcome.status).headers(outcome.headers).send(outcome.body);
  };
}

export type { RequireTokenOptions, ValueOrGetter } from './middleware.ts';
