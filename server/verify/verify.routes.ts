import {
  addressInRanges,
  type IpRange,
  parseIpAddress,
  parseIpRange,
  readBearer,
  VERIFY_CODES,
} from '@latchkey/sdk/rules';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import { AppError, invalid } from '../errors.ts';
import type { App } from '../http/app-type.ts';
import type { CredentialOutcome, VerifyOutcome, Vouched } from './verifier.ts';

const PermissionList = Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 100 });

export const VerifyBody = Type.Object(
  {
    token: Type.String({ maxLength: 1000 }),
    permission: Type.Optional(
      Type.Union([
        Type.String({ maxLength: 100 }),
        Type.Object({ all: PermissionList }, { additionalProperties: false }),
        Type.Object({ any: PermissionList }, { additionalProperties: false }),
      ]),
    ),
    resource: Type.Optional(Type.String({ maxLength: 100 })),
    ip: Type.Optional(
      Type.String({
        maxLength: 64,
        description:
          'the end client address the calling API saw; honoured only from a trusted caller (see the description)',
      }),
    ),
  },
  { additionalProperties: false, title: 'VerifyRequest' },
);

const VerifyAnswer = Type.Union(
  [
    Type.Object({
      valid: Type.Literal(true),
      token: Type.Object({
        id: Type.String(),
        orgId: Type.String(),
        kind: Type.Union([Type.Literal('personal'), Type.Literal('application')]),
        ownerId: Type.Union([Type.String(), Type.Null()]),
        permissions: Type.Array(Type.String()),
        resourceIds: Type.Union([Type.Array(Type.String()), Type.Null()]),
        expiresAt: Type.Union([Type.String(), Type.Null()]),
        allowedIps: Type.Union([Type.Array(Type.String()), Type.Null()]),
        rateLimit: Type.Union([
          Type.Object({ limit: Type.Integer(), windowSeconds: Type.Integer() }),
          Type.Null(),
        ]),
        valueExpiresAt: Type.Union([Type.String(), Type.Null()], {
          description: 'when this value stops working: the end of a rotation grace period',
        }),
      }),
    }),
    Type.Object({
      valid: Type.Literal(false),
      code: Type.Union(VERIFY_CODES.map((c) => Type.Literal(c))),
    }),
  ],
  { title: 'VerifyResult' },
);

/** The answer to a verify caller whose own credential does not work. */
function refusedCredential(outcome: Exclude<CredentialOutcome, { ok: true }>): AppError {
  if ('throttled' in outcome) {
    return new AppError(
      'RATE_LIMITED',
      'too many failed attempts from this address; retry later',
      undefined,
      {
        'retry-after': String(outcome.retryAfterSeconds),
      },
    );
  }
  return new AppError(
    'UNAUTHENTICATED',
    "the Authorization token, which vouches for the body's ip, is not valid; send a valid token or no Authorization header",
    { field: 'authorization' },
  );
}

export function verifyRoutes(app: App, deps: Deps): void {
  const answer = (reply: FastifyReply, outcome: VerifyOutcome): FastifyReply => {
    if ('throttled' in outcome) {
      deps.metrics.verifyResult('THROTTLED');
      throw new AppError(
        'RATE_LIMITED',
        'too many failed verifications from this address; retry later',
        undefined,
        {
          'retry-after': String(outcome.retryAfterSeconds),
        },
      );
    }
    deps.metrics.verifyResult(outcome.valid ? 'valid' : outcome.code);
    return reply.type('application/json; charset=utf-8').send(outcome.body);
  };

  const trustedProxies = deps.config.verifyTrustedProxies
    .map(parseIpRange)
    .filter((range): range is IpRange => range !== null);
  const fromTrustedProxy = (ip: string): boolean => {
    if (trustedProxies.length === 0) return false;
    const address = parseIpAddress(ip);
    return address !== null && addressInRanges(address, trustedProxies);
  };
  let warnedIgnored = false;

  /** The end client named by `ip`, once the caller is known to be trusted: a valid address, normalized. */
  const vouchedFor = (ip: string, orgId: string | null): Vouched => {
    const address = parseIpAddress(ip);
    if (address === null) {
      throw invalid('ip must be an IPv4 or IPv6 address', { field: 'ip' });
    }
    return { ip: address.toString(), orgId };
  };

  app.post(
    '/v1/verify',
    {
      // The hot path: no request log lines (see quietRequests in app.ts); registered in a scope without
      // the cookie and helmet plugins (app.ts); the answer is a string put together from cached parts.
      schema: {
        tags: ['verify'],
        operationId: 'verifyToken',
        security: [],
        summary: 'Is this token valid, and may it do this? Needs no credential besides the token.',
        description:
          '`ip` is honoured only from a trusted caller: one sending `Authorization: Bearer` with a valid token of ' +
          "the verified token's org, or one at an address in VERIFY_TRUSTED_PROXIES. From anyone else it is " +
          "ignored, and the caller's own address is judged (docs/security.md).",
        body: VerifyBody,
        response: {
          200: VerifyAnswer,
          400: Type.Ref('ErrorEnvelope'),
          401: Type.Ref('ErrorEnvelope'),
          429: Type.Ref('ErrorEnvelope'),
        },
      },
    },
    (request, reply) => {
      const { body } = request;
      const authorization = request.headers.authorization;
      const now = Date.now();
      // Most verifications come without `ip`, or from a caller whose `ip` is not believed: answered as
      // the caller's own, from memory when possible, with no extra step.
      if (body.ip === undefined || (authorization === undefined && !fromTrustedProxy(request.ip))) {
        if (body.ip !== undefined && !warnedIgnored) {
          warnedIgnored = true;
          request.log.warn(
            { callerIp: request.ip },
            'verify: ignoring "ip" from a caller that is not trusted (give the SDK or gateway a token, or list it in VERIFY_TRUSTED_PROXIES)',
          );
        }
        const fast = deps.verifier.verifyFromMemory(body, request.ip, now);
        if (fast !== undefined) return answer(reply, fast);
        return deps.verifier.verify(body, request.ip).then((outcome) => answer(reply, outcome));
      }
      const ip = body.ip;
      if (authorization === undefined) return answerVouched(vouchedFor(ip, null));
      const value = readBearer(authorization);
      if (value === undefined) {
        throw new AppError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"', {
          field: 'authorization',
        });
      }
      const checked = deps.verifier.credentialFromMemory(value, request.ip, now);
      if (checked !== undefined) return answerCredential(checked);
      return deps.verifier.credential(value, request.ip).then(answerCredential);

      function answerCredential(outcome: CredentialOutcome) {
        if (!('ok' in outcome) || !outcome.ok) throw refusedCredential(outcome);
        return answerVouched(vouchedFor(ip, fromTrustedProxy(request.ip) ? null : outcome.orgId));
      }
      function answerVouched(vouched: Vouched) {
        const fast = deps.verifier.verifyFromMemory(body, request.ip, Date.now(), vouched);
        if (fast !== undefined) return answer(reply, fast);
        return deps.verifier.verify(body, request.ip, vouched).then((outcome) => answer(reply, outcome));
      }
    },
  );
}
