import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import { AppError } from '../errors.ts';
import type { App } from '../http/app-type.ts';
import { errorResponses } from '../http/schemas.ts';
import { revokeLeaked } from '../tokens/tokens.service.ts';

const Value = Type.String({ minLength: 1, maxLength: 1000 });
/** GitHub's secret-scanning shape: [{token, type, url, source}]; or simply {tokens: [...]}. */
const LeakReport = Type.Union([
  Type.Array(
    Type.Object({
      token: Value,
      type: Type.Optional(Type.String({ maxLength: 200 })),
      url: Type.Optional(Type.String({ maxLength: 2000 })),
      source: Type.Optional(Type.String({ maxLength: 200 })),
    }),
    { minItems: 1, maxItems: 100 },
  ),
  Type.Object({ tokens: Type.Array(Value, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false }),
]);

export function leaksRoutes(app: App, deps: Deps): void {
  app.post(
    '/v1/leaks',
    {
      schema: {
        tags: ['leaks'],
        summary:
          'Report leaked token values; each live one is revoked (reason "leaked") and its owner e-mailed',
        body: LeakReport,
        response: {
          200: Type.Array(
            Type.Object({
              token_hint: Type.String(),
              label: Type.Union([Type.Literal('true_positive'), Type.Literal('false_positive')]),
            }),
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      // Anyone may report a value (holding it is the proof), so unknown values count as guesses.
      const now = Date.now();
      const retryAfter = deps.verifier.throttledFor(request.ip, now);
      if (retryAfter > 0) {
        throw new AppError(
          'RATE_LIMITED',
          'too many unknown values from this address; retry later',
          undefined,
          {
            'retry-after': String(retryAfter),
          },
        );
      }
      const values = Array.isArray(request.body) ? request.body.map((r) => r.token) : request.body.tokens;
      const agent = request.headers['user-agent'];
      const results = await revokeLeaked(
        deps,
        {
          system: 'leak-report',
          ip: request.ip,
          userAgent: typeof agent === 'string' ? agent.slice(0, 500) : null,
          requestId: request.id,
        },
        values,
      );
      for (const result of results) {
        if (result.label === 'false_positive') await deps.verifier.recordFailure(request.ip, now);
      }
      return results.map((r) => ({ token_hint: r.hint, label: r.label }));
    },
  );
}
