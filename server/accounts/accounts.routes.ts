import { Type } from 'typebox';
import { requestInfo, signedIn } from '../auth/auth.routes.ts';
import { SessionSchema as SignedInSchema } from '../auth/auth.schema.ts';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { clearSessionCookie, orgRequest, requestContext } from '../http/request-context.ts';
import { Email, errorResponses, Id, noContent, Password, readErrors, refusals } from '../http/schemas.ts';
import { acceptMyInvitation, declineMyInvitation, myInvitations } from '../members/invitations.service.ts';
import { resendInvite } from '../members/members.service.ts';
import { requireSession } from '../orgs/access.ts';
import { confirmEmail, sendVerificationMail } from './email-verification.ts';
import {
  changePassword,
  completePasswordReset,
  RESET_LINK_TTL_MS,
  requestPasswordReset,
  resetLinkOwner,
} from './password-reset.ts';
import { endOtherSessions, endSession, listSessions } from './sessions.ts';
import {
  completeSecondStep,
  confirmEnrolment,
  disableTwoFactor,
  startEnrolment,
  twoFactorStatus,
} from './two-factor.ts';

const LinkSecret = Type.String({ minLength: 1, maxLength: 200 });

/**
 * A person's own account: password reset and change, address verification, sessions, invitations
 * addressed to them (docs/api.md "Accounts").
 */
export function accountsRoutes(app: App, deps: Deps): void {
  const tags = ['accounts'];
  const limited = { rateLimit: { max: deps.config.loginAttemptsPerMinute, timeWindow: 60_000 } };

  app.post(
    '/v1/auth/password-reset',
    {
      config: limited,
      schema: {
        tags,
        operationId: 'requestPasswordReset',
        security: [],
        summary:
          'Mail a one-time reset link (30 minutes) to an address; the same answer whether or not it has an account',
        body: Type.Object({ email: Email }, { additionalProperties: false }),
        response: { 202: Type.Object({ message: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(deps, request.body.email);
      return reply.code(202).send({
        message: `If ${request.body.email} has an account, a link to choose a new password is on its way. It works once, for ${RESET_LINK_TTL_MS / 60_000} minutes.`,
      });
    },
  );

  app.post(
    '/v1/auth/password-reset/inspect',
    {
      config: limited,
      schema: {
        tags,
        operationId: 'inspectPasswordReset',
        security: [],
        summary: 'Whose reset link this is (404 for unknown, used or expired links)',
        body: Type.Object({ token: LinkSecret }, { additionalProperties: false }),
        response: { 200: Type.Object({ email: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return resetLinkOwner(deps, request.body.token);
    },
  );

  app.post(
    '/v1/auth/password-reset/complete',
    {
      config: limited,
      schema: {
        tags,
        operationId: 'completePasswordReset',
        security: [],
        summary: 'Set a new password with a reset link; every session of the account ends',
        body: Type.Object({ token: LinkSecret, password: Password }, { additionalProperties: false }),
        response: { ...noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      await completePasswordReset(deps, request.body, requestInfo(request));
      clearSessionCookie(deps, reply);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/auth/password',
    {
      config: limited,
      schema: {
        tags,
        operationId: 'changePassword',
        summary: 'Change your password (the current one is needed); your other sessions end',
        body: Type.Object(
          { currentPassword: Type.String({ maxLength: 200 }), newPassword: Password },
          { additionalProperties: false },
        ),
        response: { ...noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      await changePassword(deps, ctx.principal, request.body, requestInfo(request));
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/auth/email-verification',
    {
      schema: {
        tags,
        operationId: 'requestEmailVerification',
        summary: 'Mail yourself a link that confirms your address (three an hour)',
        response: {
          200: Type.Object({
            emailVerified: Type.Boolean(),
            sent: Type.Boolean(),
            delivery: Type.Union([
              Type.Object({ email: Type.Union([Type.Literal('smtp'), Type.Literal('outbox')]) }),
              Type.Null(),
            ]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      return sendVerificationMail(deps, ctx.principal.user);
    },
  );

  app.post(
    '/v1/auth/verify-email',
    {
      config: limited,
      schema: {
        tags,
        operationId: 'verifyEmail',
        security: [],
        summary: 'Open a verification link: the address it was mailed to is confirmed',
        body: Type.Object({ token: LinkSecret }, { additionalProperties: false }),
        response: {
          200: Type.Object({ email: Type.String(), emailVerified: Type.Boolean() }),
          ...errorResponses,
        },
      },
    },
    async (request) => ({
      ...(await confirmEmail(deps, request.body.token, requestInfo(request))),
      emailVerified: true,
    }),
  );

  const SessionSchema = Type.Object({
    id: Type.String(),
    current: Type.Boolean(),
    createdAt: Type.String(),
    lastSeenAt: Type.String(),
    expiresAt: Type.String(),
    ip: Type.Union([Type.String(), Type.Null()]),
    userAgent: Type.Union([Type.String(), Type.Null()]),
  });

  app.get(
    '/v1/auth/sessions',
    {
      schema: {
        tags,
        operationId: 'listSessions',
        summary: 'Your active console sessions: browser, address, last seen',
        response: { 200: Type.Object({ items: Type.Array(SessionSchema) }), ...readErrors },
      },
    },
    async (request, reply) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      reply.header('cache-control', 'no-store');
      return { items: await listSessions(deps, ctx.principal.user.id, ctx.principal.sessionHash) };
    },
  );

  app.delete(
    '/v1/auth/sessions/:session',
    {
      schema: {
        tags,
        operationId: 'endSession',
        summary: 'End one of your sessions (ending the current one signs you out)',
        params: Type.Object({ session: Type.String({ pattern: '^ses_[A-Za-z0-9_-]{1,40}$' }) }),
        response: { ...noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      const ended = await endSession(
        deps,
        ctx.principal.user.id,
        request.params.session,
        ctx.principal.sessionHash,
      );
      if (ended.current) clearSessionCookie(deps, reply);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/v1/auth/sessions',
    {
      schema: {
        tags,
        operationId: 'endOtherSessions',
        summary: 'End every session of yours but this one',
        response: { 200: Type.Object({ ended: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      return { ended: await endOtherSessions(deps, ctx.principal.user.id, ctx.principal.sessionHash) };
    },
  );

  const MyInvitation = Type.Object({
    id: Type.String(),
    orgId: Type.String(),
    orgName: Type.String(),
    inviterName: Type.Union([Type.String(), Type.Null()]),
    roleId: Type.String(),
    roleName: Type.String(),
    createdAt: Type.String(),
    expiresAt: Type.String(),
  });

  app.get(
    '/v1/auth/invitations',
    {
      schema: {
        tags,
        operationId: 'listMyInvitations',
        summary: 'Pending invitations addressed to you (none until your address is confirmed)',
        response: {
          200: Type.Object({ items: Type.Array(MyInvitation), emailVerified: Type.Boolean() }),
          ...readErrors,
        },
      },
    },
    async (request) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      const { user } = ctx.principal;
      return { items: await myInvitations(deps, user), emailVerified: user.emailVerifiedAt !== null };
    },
  );

  const InvitationParams = Type.Object({ inv: Id('inv') });

  app.post(
    '/v1/auth/invitations/:inv/accept',
    {
      schema: {
        tags,
        operationId: 'acceptInvitation',
        summary: 'Join the org of an invitation addressed to you (your address must be confirmed)',
        params: InvitationParams,
        response: { ...noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      await acceptMyInvitation(deps, ctx, ctx.principal.user, request.params.inv);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/v1/auth/invitations/:inv',
    {
      schema: {
        tags,
        operationId: 'declineInvitation',
        summary: 'Decline an invitation addressed to you; its link stops working',
        params: InvitationParams,
        response: { ...noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      await declineMyInvitation(deps, ctx, ctx.principal.user, request.params.inv);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/orgs/:org/invites/:inv/resend',
    {
      schema: {
        tags: ['members'],
        operationId: 'resendInvite',
        summary: 'Send a new link for a pending invitation; the old link stops working',
        params: Type.Object({ org: Id('org'), inv: Id('inv') }),
        response: { 200: Type.Unknown(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      const answer = await resendInvite(deps, ctx, access, request.params.inv);
      reply.header('cache-control', 'no-store');
      return answer;
    },
  );

  app.post(
    '/v1/auth/login/two-factor',
    {
      config: limited,
      schema: {
        tags,
        operationId: 'loginTwoFactor',
        security: [],
        summary:
          'The second step of a sign-in: the challenge from /v1/auth/login and a code of the authenticator app (or a recovery code)',
        body: Type.Object(
          { challenge: LinkSecret, code: Type.String({ minLength: 1, maxLength: 20 }) },
          { additionalProperties: false },
        ),
        response: { 200: SignedInSchema, 400: refusals[400], 401: refusals[401], 429: refusals[429] },
      },
    },
    async (request, reply) =>
      signedIn(deps, reply, await completeSecondStep(deps, request.body, requestInfo(request))),
  );

  app.get(
    '/v1/auth/two-factor',
    {
      schema: {
        tags,
        operationId: 'getTwoFactor',
        summary: 'Whether your second factor is on, and how many recovery codes are left',
        response: {
          200: Type.Object({
            enabled: Type.Boolean(),
            enabledAt: Type.Union([Type.String(), Type.Null()]),
            recoveryCodesLeft: Type.Integer(),
          }),
          ...readErrors,
        },
      },
    },
    async (request) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      return twoFactorStatus(deps, ctx.principal.user);
    },
  );

  app.post(
    '/v1/auth/two-factor/enrol',
    {
      schema: {
        tags,
        operationId: 'enrolTwoFactor',
        summary:
          'Start setting up an authenticator app: a new secret as a QR code and text (not in force until confirmed)',
        response: {
          200: Type.Object({ otpauthUrl: Type.String(), secret: Type.String(), qrSvg: Type.String() }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      reply.header('cache-control', 'no-store');
      return startEnrolment(deps, ctx.principal.user);
    },
  );

  app.post(
    '/v1/auth/two-factor/confirm',
    {
      config: limited,
      schema: {
        tags,
        operationId: 'confirmTwoFactor',
        summary:
          'Confirm the enrolment with a code of the app; answers ten one-time recovery codes, shown once',
        body: Type.Object(
          { code: Type.String({ minLength: 1, maxLength: 20 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ recoveryCodes: Type.Array(Type.String()) }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      reply.header('cache-control', 'no-store');
      return confirmEnrolment(deps, ctx.principal.user, request.body.code, requestInfo(request));
    },
  );

  app.post(
    '/v1/auth/two-factor/disable',
    {
      config: limited,
      schema: {
        tags,
        operationId: 'disableTwoFactor',
        summary: 'Turn the second factor off: needs your password and a code (or a recovery code)',
        body: Type.Object(
          { password: Type.String({ maxLength: 200 }), code: Type.String({ minLength: 1, maxLength: 20 }) },
          { additionalProperties: false },
        ),
        response: { ...noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      await disableTwoFactor(deps, ctx.principal.user, request.body, requestInfo(request));
      return reply.code(204).send();
    },
  );
}
