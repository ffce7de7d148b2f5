import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { orgRequest } from '../http/request-context.ts';
import { errorResponses, OrgParams, readErrors } from '../http/schemas.ts';
import { lookupTokenByValue, tokenUsage } from './token-insights.service.ts';
import { TokenParams } from './tokens.schema.ts';

const UsageDay = Type.Object({
  date: Type.String({ description: 'the UTC day, YYYY-MM-DD' }),
  valid: Type.Integer(),
  refused: Type.Integer(),
});

/** A token's verifications per day, and finding a token by a value (tokensRoutes registers TokenInfo). */
export function tokenInsightsRoutes(app: App, deps: Deps): void {
  const tags = ['tokens'];

  app.get(
    '/v1/orgs/:org/tokens/:tok/usage',
    {
      schema: {
        tags,
        operationId: 'getTokenUsage',
        summary: 'Verifications of a token per UTC day, valid and refused, oldest first (every day listed)',
        params: TokenParams,
        querystring: Type.Object(
          { days: Type.Integer({ minimum: 1, maximum: 90, default: 30 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            tokenId: Type.String(),
            days: Type.Array(UsageDay),
            totals: Type.Object({ valid: Type.Integer(), refused: Type.Integer() }),
          }),
          ...readErrors,
        },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return tokenUsage(deps, access, request.params.tok, request.query.days);
    },
  );

  app.post(
    '/v1/orgs/:org/tokens/lookup',
    {
      schema: {
        tags,
        operationId: 'lookupToken',
        summary:
          'Which token a value belongs to (hashed, never logged); 404 when unknown or not yours to see',
        params: OrgParams,
        body: Type.Object(
          { value: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            token: Type.Ref('TokenInfo'),
            match: Type.Union([Type.Literal('current'), Type.Literal('previous')]),
            valueExpiresAt: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      const answer = await lookupTokenByValue(deps, ctx, access, request.body.value);
      return reply.header('cache-control', 'no-store').send(answer);
    },
  );
}
