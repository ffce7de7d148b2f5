import { readBearer } from '@latchkey/sdk/rules';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csrfMatches, resolveSession } from '../auth/auth.service.ts';
import type { Deps, Principal, RequestContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { type OrgAccess, orgAccess } from '../orgs/access.ts';

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function sessionCookieName(deps: Pick<Deps, 'config'>): string {
  // Behind HTTPS the __Host- prefix pins the cookie to this host, path / and Secure.
  return deps.config.publicUrl.startsWith('https://') ? '__Host-lk_session' : 'lk_session';
}

export function setSessionCookie(deps: Deps, reply: FastifyReply, sessionId: string): void {
  reply.setCookie(sessionCookieName(deps), sessionId, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.config.publicUrl.startsWith('https://'),
    maxAge: Math.floor(deps.config.sessionTtlMs / 1000),
  });
}

export function clearSessionCookie(deps: Deps, reply: FastifyReply): void {
  reply.clearCookie(sessionCookieName(deps), { path: '/' });
}

const unauthenticated = () =>
  new AppError('UNAUTHENTICATED', 'sign in, or send a valid token as Authorization: Bearer <token>');

/**
 * Who is calling: a bearer token (checked like a verification, without a permission) or a session cookie.
 * Unknown, revoked and expired tokens get one and the same answer.
 */
export async function authenticate(deps: Deps, request: FastifyRequest): Promise<Principal> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const bearer = readBearer(authorization);
    if (bearer === undefined) throw unauthenticated();
    // Used like a verification without a question: same throttling, checks, failure counting and usage.
    const outcome = await deps.verifier.verify({ token: bearer }, request.ip);
    if ('throttled' in outcome) {
      throw new AppError('RATE_LIMITED', 'too many failed attempts; retry later', undefined, {
        'retry-after': String(outcome.retryAfterSeconds),
      });
    }
    if (!outcome.valid) {
      if (outcome.code === 'RATE_LIMITED')
        throw new AppError('RATE_LIMITED', "this token's rate limit is reached");
      throw unauthenticated();
    }
    const { token } = outcome;
    return { type: 'token', token };
  }
  const sessionId = request.cookies[sessionCookieName(deps)];
  if (sessionId === undefined || sessionId === '') throw unauthenticated();
  const session = await resolveSession(deps, sessionId, request.ip);
  if (session === null) throw unauthenticated();
  if (unsafe.has(request.method)) checkBrowserOrigin(deps, request, session.sessionHash);
  return { type: 'user', user: session.user, sessionHash: session.sessionHash, viaSso: session.viaSso };
}

/** Cookies ride along on cross-site requests; the CSRF header and the Origin check stop them. */
function checkBrowserOrigin(deps: Deps, request: FastifyRequest, sessionHash: string): void {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    const host = request.headers.host;
    let sameHost = false;
    try {
      const url = new URL(origin);
      sameHost = url.host === host || url.origin === new URL(deps.config.publicUrl).origin;
    } catch {
      sameHost = false;
    }
    if (!sameHost) throw new AppError('FORBIDDEN', 'cross-origin request refused');
  }
  const header = request.headers['x-csrf-token'];
  if (!csrfMatches(deps, sessionHash, typeof header === 'string' ? header : undefined)) {
    throw new AppError('FORBIDDEN', 'missing or wrong X-CSRF-Token header (GET /v1/auth/session gives it)');
  }
}

export function contextOf(request: FastifyRequest, principal: Principal): RequestContext {
  const agent = request.headers['user-agent'];
  return {
    principal,
    ip: request.ip,
    userAgent: typeof agent === 'string' ? agent.slice(0, 500) : null,
    requestId: request.id,
  };
}

export async function requestContext(deps: Deps, request: FastifyRequest): Promise<RequestContext> {
  return contextOf(request, await authenticate(deps, request));
}

/** The caller and their standing in the org named by the path. */
export async function orgRequest(
  deps: Deps,
  request: FastifyRequest,
  orgId: string,
): Promise<{ ctx: RequestContext; access: OrgAccess }> {
  const ctx = await requestContext(deps, request);
  return { ctx, access: await orgAccess(deps, ctx.principal, orgId) };
}
