// GET /v1/verify: verification for reverse proxies (nginx `auth_request`, Traefik ForwardAuth, Caddy
// `forward_auth`). They judge by the status of a request that carries the original request's headers
// and no body, so the token comes from `Authorization: Bearer`, the question from the query string the
// proxy's configuration writes, and the answer is a status: 204 with identity headers, 401, 403 or 429.
// The same Verifier as POST /v1/verify answers it (server/verify/verifier.ts): the checks, the failure
// limits, usage and revocation are the same ones.
import {
  type PermissionQuery,
  parseIpAddress,
  readBearer,
  refusalKindOf,
  type VerifyCode,
} from '@latchkey/sdk/rules';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import type { Deps } from '../context.ts';
import { AppError, invalid } from '../errors.ts';
import type { App } from '../http/app-type.ts';
import { BEARER_CHALLENGE } from '../http/manners.ts';
import { forwardedClient, trustedProxyTest } from './trusted-proxies.ts';
import type { VerifyInput, VerifyOutcome, Vouched } from './verifier.ts';
import { OnDemandLogger, throttledVerification } from './verify.routes.ts';

/** A permission list in the query: keys joined by commas (a key has none: PERMISSION_KEY_PATTERN). */
const MAX_KEYS = 100;
const MAX_KEY_LENGTH = 100;

const keyList = (description: string) =>
  Type.String({ minLength: 1, maxLength: MAX_KEYS * (MAX_KEY_LENGTH + 1) - 1, description });

/**
 * The question, written by the proxy's configuration into the URL it asks. Never read from headers:
 * the proxies pass the end client's own headers along, so a client could ask its own question.
 */
export const ForwardAuthQuery = Type.Object(
  {
    permission: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_KEY_LENGTH,
        description: 'one permission key the token must hold',
      }),
    ),
    permissionAll: Type.Optional(keyList('keys joined by commas: the token must hold every one')),
    permissionAny: Type.Optional(keyList('keys joined by commas: the token must hold at least one')),
    resource: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'a resource id the token must be allowed on',
      }),
    ),
  },
  { additionalProperties: false },
);
type ForwardAuthQuery = Static<typeof ForwardAuthQuery>;

function keysOf(field: 'permissionAll' | 'permissionAny', list: string): string[] {
  const keys = list.split(',');
  if (keys.length > MAX_KEYS) throw invalid(`${field} names more than ${MAX_KEYS} keys`, { field });
  for (const key of keys) {
    if (key === '' || key.length > MAX_KEY_LENGTH) {
      throw invalid(`${field} must be keys of 1 to ${MAX_KEY_LENGTH} characters joined by commas`, {
        field,
      });
    }
  }
  return keys;
}

/** The permission question of the query: at most one of `permission`, `permissionAll`, `permissionAny`. */
export function permissionQueryOf(query: ForwardAuthQuery): PermissionQuery | undefined {
  const given = (['permission', 'permissionAll', 'permissionAny'] as const).filter(
    (name) => query[name] !== undefined,
  );
  if (given.length > 1) {
    throw invalid(`ask one permission question: ${given.join(' and ')} were both given`, {
      field: given[1],
    });
  }
  if (query.permission !== undefined) return query.permission;
  if (query.permissionAll !== undefined) return { all: keysOf('permissionAll', query.permissionAll) };
  if (query.permissionAny !== undefined) return { any: keysOf('permissionAny', query.permissionAny) };
  return undefined;
}

const INVALID_TOKEN = `${BEARER_CHALLENGE}, error="invalid_token"`;
const INSUFFICIENT_SCOPE = `${BEARER_CHALLENGE}, error="insufficient_scope"`;

/**
 * The refusal of a verify code. One 401 for a token that does not work here — malformed, unknown,
 * expired, revoked, or used from an address it does not allow — as the SDK middleware and the gateway
 * answer (the body's `details.reason` tells the proxy which; proxies do not pass it on by default);
 * 403 for a working token that lacks the permission or the resource; 429 for its own rate limit.
 */
export function refusalOf(code: VerifyCode): AppError {
  switch (refusalKindOf(code)) {
    case 'forbidden':
      return new AppError(
        'FORBIDDEN',
        code === 'FORBIDDEN'
          ? 'the token lacks the permission asked'
          : 'the token is not allowed on the resource asked',
        { reason: code },
        { 'www-authenticate': INSUFFICIENT_SCOPE },
      );
    case 'rate_limited':
      return new AppError('RATE_LIMITED', 'the token has reached its own rate limit', { reason: code });
    case 'unauthenticated':
      return new AppError(
        'UNAUTHENTICATED',
        'the bearer token is not valid',
        { reason: code },
        { 'www-authenticate': INVALID_TOKEN },
      );
  }
}

const IdentityHeaders = {
  'x-latchkey-token-id': Type.String({ description: 'the token’s id (`tok_…`)' }),
  'x-latchkey-org-id': Type.String({ description: 'the token’s org' }),
  'x-latchkey-token-kind': Type.String({ description: '`personal` or `application`' }),
  'x-latchkey-owner-id': Type.String({ description: 'the owner of a personal token (absent otherwise)' }),
};

export function forwardAuthRoutes(app: App, deps: Deps): void {
  const isTrustedProxy = trustedProxyTest(deps.config.verifyTrustedProxies);
  let warnedUntrusted = false;

  /** The end client a trusted proxy names (after TRUST_PROXY's hops), or undefined: the caller is judged. */
  const vouchedBy = (request: FastifyRequest): Vouched | undefined => {
    const named = forwardedClient(
      { forwardedFor: request.headers['x-forwarded-for'], realIp: request.headers['x-real-ip'] },
      (request.ips?.length ?? 1) - 1,
      isTrustedProxy,
    );
    if (named === undefined) return undefined;
    const address = parseIpAddress(named.ip);
    if (address === null) {
      throw invalid(`${named.header} must end with the client's IPv4 or IPv6 address`, {
        field: named.header,
      });
    }
    // A proxy in VERIFY_TRUSTED_PROXIES vouches for every org.
    return { ip: address.toString(), orgId: null };
  };

  const answer = (reply: FastifyReply, outcome: VerifyOutcome): FastifyReply => {
    if ('throttled' in outcome) {
      deps.metrics.verifyResult('THROTTLED');
      throw throttledVerification(outcome.retryAfterSeconds);
    }
    if (!outcome.valid) {
      deps.metrics.verifyResult(outcome.code);
      throw refusalOf(outcome.code);
    }
    deps.metrics.verifyResult('valid');
    const { token } = outcome;
    reply.code(204).header('x-latchkey-token-id', token.id).header('x-latchkey-org-id', token.orgId);
    reply.header('x-latchkey-token-kind', token.kind);
    if (token.ownerId !== null) reply.header('x-latchkey-owner-id', token.ownerId);
    return reply.send();
  };

  app.get(
    '/v1/verify',
    {
      childLoggerFactory: (logger, bindings, options) =>
        new OnDemandLogger(logger, bindings, options) as unknown as FastifyBaseLogger,
      // Like POST /v1/verify: at the root, where no session plugin or hook runs (app.ts), no log line.
      schema: {
        tags: ['verify'],
        operationId: 'verifyForProxy',
        security: [{ bearer: [] }],
        summary:
          'Verify for a reverse proxy: the bearer token judged, the answer a status (204, 401, 403, 429).',
        description:
          'For nginx `auth_request`, Traefik ForwardAuth and Caddy `forward_auth` (docs/gateway.md). The ' +
          'token is the `Authorization: Bearer` one the end client sent; the question is in the query ' +
          'string the proxy configuration writes (never in headers, which the end client controls). ' +
          "From a caller in VERIFY_TRUSTED_PROXIES the end client's address is read from X-Forwarded-For " +
          '(right to left, past trusted proxies) or X-Real-IP; from anyone else the caller is the client. ' +
          'The body of a refusal is the error envelope with `details.reason`, the verify code.',
        querystring: ForwardAuthQuery,
        response: {
          204: Type.Null({
            description: 'The token is valid and answers the question',
            headers: IdentityHeaders,
          }),
          400: Type.Ref('ErrorEnvelope'),
          401: Type.Ref('ErrorEnvelope'),
          403: Type.Ref('ErrorEnvelope'),
          429: Type.Ref('ErrorEnvelope'),
        },
      },
    },
    (request, reply) => {
      // Set here: the root scope has no request-id hook (app.ts).
      reply.header('x-request-id', request.id);
      const token = readBearer(request.headers.authorization);
      if (token === undefined) {
        throw new AppError('UNAUTHENTICATED', 'send the token to verify as "Authorization: Bearer <token>"', {
          field: 'authorization',
        });
      }
      const { query } = request;
      const permission = permissionQueryOf(query);
      const input: VerifyInput = {
        token,
        ...(permission !== undefined && { permission }),
        ...(query.resource !== undefined && { resource: query.resource }),
      };
      const callerIp = request.ip;
      let vouched: Vouched | undefined;
      if (isTrustedProxy(callerIp)) vouched = vouchedBy(request);
      else if (!warnedUntrusted && request.headers['x-forwarded-for'] !== undefined) {
        warnedUntrusted = true;
        request.log.warn(
          { callerIp },
          'verify: ignoring X-Forwarded-For from a proxy that is not in VERIFY_TRUSTED_PROXIES (its clients share its address for allowedIps and the failure limit)',
        );
      }
      const fast = deps.verifier.verifyFromMemory(input, callerIp, Date.now(), vouched);
      if (fast !== undefined) return answer(reply, fast);
      return deps.verifier.verify(input, callerIp, vouched).then((outcome) => answer(reply, outcome));
    },
  );
}
