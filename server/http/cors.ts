import type { onRequestHookHandler } from 'fastify';
import type { Config } from '../config.ts';
import type { App } from './app-type.ts';

const ALLOWED_HEADERS = 'authorization, content-type, x-csrf-token';
const ALLOWED_METHODS = 'GET, HEAD, POST, PATCH, DELETE';

/**
 * CORS, off by default (docs/security.md). `CORS_ORIGINS` names the web origins whose pages may call the
 * API and /v1/verify with a bearer token: they get `Access-Control-Allow-Origin` and an answered
 * preflight, never `Access-Control-Allow-Credentials`, so a page elsewhere can never ride a console
 * session cookie. Only the console's own origin (PUBLIC_URL) is answered with credentials allowed.
 */
export function installCors(app: App, config: Config): void {
  const hook = corsHook(config);
  if (hook !== undefined) app.addHook('onRequest', hook);
}

/**
 * The CORS hook when CORS_ORIGINS names origins, else undefined. installCors adds it to the API's scope;
 * /v1/verify, registered at the root where no hook runs, takes it as a route hook of its own only when
 * configured (issue 13). Preflights of every path (OPTIONS has no route) reach the API scope's not-found
 * handler, and so this hook.
 */
export function corsHook(config: Config): onRequestHookHandler | undefined {
  if (config.corsOrigins.length === 0) return undefined;
  const named = new Set(config.corsOrigins);
  const own = new URL(config.publicUrl).origin;
  return (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin === undefined || !request.url.startsWith('/v1/')) return done();
    reply.header('vary', 'Origin');
    if (origin !== own && !named.has(origin)) return done();
    reply.header('access-control-allow-origin', origin);
    if (origin === own) reply.header('access-control-allow-credentials', 'true');
    reply.header(
      'access-control-expose-headers',
      'etag, location, retry-after, x-request-id, www-authenticate',
    );
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply
        .header('access-control-allow-methods', ALLOWED_METHODS)
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', '600')
        .code(204)
        .send();
      return;
    }
    done();
  };
}
