import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { App } from './app-type.ts';

/** How to authenticate, said by every 401 (the error envelope adds it: server/http/error-handler.ts). */
export const BEARER_CHALLENGE = 'Bearer realm="latchkey"';

/**
 * The API takes JSON only: a text body is 415 UNSUPPORTED_MEDIA_TYPE, not a 400 about its shape. At the
 * root, so /v1/verify refuses text too.
 */
export function refuseTextBodies(app: App): void {
  app.removeContentTypeParser('text/plain');
}

/**
 * The HTTP manners clients and their libraries expect of an API (issue 14), in one place:
 * - a 401 says how to authenticate: `WWW-Authenticate: Bearer realm="latchkey"` ({@link BEARER_CHALLENGE});
 * - a 201 says where the new object lives: `Location`;
 * - a JSON answer to GET carries an `ETag`, and `If-None-Match` with it answers 304 without a body
 *   (answers marked `no-store`, which hold secrets or per-session data, get none);
 * - a body that is not JSON is 415 ({@link refuseTextBodies});
 * - another method on a known path is 405 with `Allow` (installMethodNotAllowed, once every route exists).
 * The `onSend` hook is installed in the scope of the management API, not at the root: /v1/verify answers
 * neither 201 nor GET, and pays for no hook (issue 13).
 */
export function installHttpManners(app: App): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    const status = reply.statusCode;
    if (status === 201 && !reply.hasHeader('location')) {
      const location = locationOf(request, payload);
      if (location !== undefined) reply.header('location', location);
    }
    if (
      (request.method === 'GET' || request.method === 'HEAD') &&
      status === 200 &&
      typeof payload === 'string' &&
      String(reply.getHeader('content-type') ?? '').startsWith('application/json') &&
      !String(reply.getHeader('cache-control') ?? '').includes('no-store')
    ) {
      const etag = `W/"${createHash('sha256').update(payload).digest('base64url').slice(0, 27)}"`;
      reply.header('etag', etag);
      if (matches(request.headers['if-none-match'], etag)) {
        reply.code(304);
        reply.removeHeader('content-length');
        done(null, '');
        return;
      }
    }
    done(null, payload);
  });
}

function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const weak = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || weak(tag) === weak(etag));
}

/** Where a created object can be read: the collection's path and its id, or what the route names. */
function locationOf(request: FastifyRequest, payload: unknown): string | undefined {
  if (typeof payload !== 'string') return undefined;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const path = (request.url.split('?')[0] ?? '').replace(/\/+$/, '');
  const route = request.routeOptions.url;
  if (route === '/v1/setup') {
    const org = (body.orgs as { id?: unknown }[] | undefined)?.[0]?.id;
    return typeof org === 'string' ? `/v1/orgs/${org}` : undefined;
  }
  if (route === '/v1/orgs/:org/members' && typeof body.inviteId === 'string') {
    return `${path.replace(/\/members$/, '/invites')}/${body.inviteId}`;
  }
  const id = body.id ?? body.clientId;
  return typeof id === 'string' ? `${path}/${encodeURIComponent(id)}` : undefined;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Records every route as it is added; `installMethodNotAllowed` then answers the other methods of each
 * path with 405 and the `Allow` header. Call `collectRoutes` before the routes, the other after them.
 */
export function collectRoutes(app: App): Map<string, Set<string>> {
  const routes = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    if (route.url.includes('*')) return;
    const methods = routes.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    routes.set(route.url, methods);
  });
  return routes;
}

export function installMethodNotAllowed(app: App, routes: Map<string, Set<string>>): void {
  for (const [url, methods] of [...routes]) {
    if (methods.has('GET')) methods.add('HEAD');
    const missing = METHODS.filter((method) => !methods.has(method));
    if (missing.length === 0) continue;
    const allowed = [...methods].sort();
    const allow = allowed.join(', ');
    app.route({
      method: missing,
      url,
      schema: { hide: true },
      exposeHeadRoute: false,
      handler: async () => {
        throw new AppError('METHOD_NOT_ALLOWED', `this path takes ${allow}`, { allow: allowed }, { allow });
      },
    });
  }
}
