import { VERIFY_CODES } from '@latchkey/sdk/rules';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import { AppError } from '../errors.ts';
import type { App } from '../http/app-type.ts';
import type { VerifyOutcome } from './verifier.ts';

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
      Type.String({ maxLength: 64, description: 'the end client address the calling API saw' }),
    ),
  },
  { additionalProperties: false },
);

const VerifyAnswer = Type.Union([
  Type.Object({
    valid: Type.Literal(true),
    token: Type.Object({
      id: Type.String(),
      orgId: Type.String(),
      kind: Type.String(),
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
]);

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

  app.post(
    '/v1/verify',
    {
      // The hot path: no request log lines (see quietRequests in app.ts), no helmet headers, and the
      // answer is pre-serialized per token.
      helmet: false,
      schema: {
        tags: ['verify'],
        summary: 'Is this token valid, and may it do this? Needs no credential besides the token.',
        body: VerifyBody,
        response: { 200: VerifyAnswer, 429: Type.Ref('ErrorEnvelope') },
      },
    },
    (request, reply) => {
      // Most verifications are answered from memory, synchronously; the rest wait for the database.
      const fast = deps.verifier.verifyFromMemory(request.body, request.ip, Date.now());
      if (fast !== undefined) return answer(reply, fast);
      return deps.verifier.verify(request.body, request.ip).then((outcome) => answer(reply, outcome));
    },
  );
}
