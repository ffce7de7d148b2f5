import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { startSecondStep } from '../accounts/two-factor.ts';
import type { Deps } from '../context.ts';
import { AppError } from '../errors.ts';
import type { App } from '../http/app-type.ts';
import {
  authenticate,
  clearSessionCookie,
  contextOf,
  sessionCookieName,
  setSessionCookie,
} from '../http/request-context.ts';
import { Email, errorResponses, Name, noContent, Password, refusals, urlRefusals } from '../http/schemas.ts';
import { invitePreview } from '../members/invitations.service.ts';
import { SessionSchema } from './auth.schema.ts';
import {
  acceptInvite,
  checkPassword,
  logout,
  type NewSession,
  resolveSession,
  sessionView,
  setup,
  setupNeeded,
  startSession,
} from './auth.service.ts';

export const requestInfo = (request: { ip: string; id: string; headers: Record<string, unknown> }) => ({
  ip: request.ip,
  userAgent:
    typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'].slice(0, 500) : null,
  requestId: request.id,
});

/** The signed-in person when the request carries a valid session (and, being unsafe, its CSRF header). */
async function optionalSession(deps: Deps, request: FastifyRequest) {
  if (!request.cookies[sessionCookieName(deps)]) return null;
  try {
    const principal = await authenticate(deps, request);
    return principal.type === 'user' ? principal : null;
  } catch (error) {
    if (error instanceof AppError && error.code === 'UNAUTHENTICATED') return null;
    throw error;
  }
}

export async function signedIn(deps: Deps, reply: FastifyReply, session: NewSession) {
  setSessionCookie(deps, reply, session.sessionId);
  reply.header('cache-control', 'no-store');
  return sessionView(deps, { type: 'user', user: session.user, sessionHash: session.sessionHash });
}

export function authRoutes(app: App, deps: Deps): void {
  const tags = ['auth'];
  const loginLimit = {
    rateLimit: { max: deps.config.loginAttemptsPerMinute, timeWindow: 60_000 },
  };

  app.get(
    '/v1/setup',
    {
      schema: {
        tags,
        operationId: 'getSetupStatus',
        security: [],
        summary: 'Whether the first-run setup is still open',
        response: { 200: Type.Object({ needed: Type.Boolean() }), ...urlRefusals },
      },
    },
    async () => ({ needed: await setupNeeded(deps) }),
  );

  app.post(
    '/v1/setup',
    {
      config: loginLimit,
      schema: {
        tags,
        operationId: 'setup',
        security: [],
        summary: 'Create the first user and their organization; only while no user exists',
        body: Type.Object(
          { email: Email, password: Password, name: Name, orgName: Name },
          { additionalProperties: false },
        ),
        response: { 201: SessionSchema, 400: refusals[400], 409: refusals[409], 429: refusals[429] },
      },
    },
    async (request, reply) => {
      const session = await setup(deps, request.body, requestInfo(request));
      return reply.code(201).send(await signedIn(deps, reply, session));
    },
  );

  app.post(
    '/v1/auth/login',
    {
      config: loginLimit,
      schema: {
        tags,
        operationId: 'login',
        security: [],
        summary: 'Sign in; sets the session cookie',
        body: Type.Object(
          { email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Union([
            SessionSchema,
            Type.Object(
              {
                twoFactorRequired: Type.Literal(true),
                challenge: Type.String({ description: 'for POST /v1/auth/login/two-factor, with the code' }),
                expiresAt: Type.String({ format: 'date-time' }),
              },
              { title: 'TwoFactorChallenge' },
            ),
          ]),
          400: refusals[400],
          401: refusals[401],
          429: refusals[429],
        },
      },
    },
    async (request, reply) => {
      // A fresh session id at every login: a cookie planted before sign-in is worthless after it.
      // The old session ends only once the new one exists: a failed attempt signs nobody out.
      const user = await checkPassword(deps, request.body);
      // With a second factor the password opens no session: a one-time challenge for the code does.
      if (user.totpEnabledAt !== null) {
        reply.header('cache-control', 'no-store');
        return startSecondStep(deps, user);
      }
      const session = await startSession(deps, user, requestInfo(request));
      const old = request.cookies[sessionCookieName(deps)];
      if (old) {
        const previous = await resolveSession(deps, old);
        if (previous) await logout(deps, previous.sessionHash);
      }
      return signedIn(deps, reply, session);
    },
  );

  app.post(
    '/v1/auth/logout',
    {
      schema: {
        tags,
        operationId: 'logout',
        summary: 'End the session on the server and clear the cookie',
        response: { ...noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = await authenticate(deps, request);
      if (principal.type === 'user') await logout(deps, principal.sessionHash);
      clearSessionCookie(deps, reply);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/auth/session',
    {
      schema: {
        tags,
        operationId: 'getSession',
        summary: 'The signed-in user, their orgs and the CSRF token',
        response: { 200: SessionSchema, 401: refusals[401], 429: refusals[429] },
      },
    },
    async (request, reply) => {
      const principal = await authenticate(deps, request);
      reply.header('cache-control', 'no-store');
      return sessionView(deps, contextOf(request, principal).principal);
    },
  );

  app.post(
    '/v1/auth/accept-invite',
    {
      config: loginLimit,
      schema: {
        tags,
        operationId: 'acceptInvite',
        security: [{}, { bearer: [] }, { session: [] }],
        summary:
          'Accept an invitation by its link: a new account sets a password and name; an existing one must be signed in',
        body: Type.Object(
          {
            inviteToken: Type.String({ minLength: 1, maxLength: 200 }),
            proof: Type.Optional(
              Type.String({
                maxLength: 200,
                description: "the mailed link's proof that the mail was opened",
              }),
            ),
            password: Type.Optional(Password),
            name: Type.Optional(Name),
          },
          { additionalProperties: false },
        ),
        response: { 200: SessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const current = await optionalSession(deps, request);
      const outcome = await acceptInvite(deps, request.body, requestInfo(request), current);
      if ('sessionId' in outcome) return signedIn(deps, reply, outcome);
      reply.header('cache-control', 'no-store');
      return sessionView(deps, { type: 'user', user: outcome.user, sessionHash: outcome.sessionHash });
    },
  );

  app.post(
    '/v1/auth/invite-preview',
    {
      config: loginLimit,
      schema: {
        tags,
        operationId: 'previewInvite',
        security: [],
        summary:
          'What an invitation link is for: the org, who invited, the address; the same 404 for any wrong secret',
        body: Type.Object(
          { inviteToken: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            email: Type.String(),
            orgName: Type.String(),
            inviterName: Type.Union([Type.String(), Type.Null()]),
            roleId: Type.String(),
            roleName: Type.String(),
            expiresAt: Type.String(),
            existingAccount: Type.Boolean(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return invitePreview(deps, request.body.inviteToken);
    },
  );
}
