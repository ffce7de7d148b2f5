import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { orgRequest } from '../http/request-context.ts';
import { errorResponses, OrgParams } from '../http/schemas.ts';
import { TokenParams } from '../tokens/tokens.schema.ts';
import {
  getInsightSettings,
  INSIGHT_DAYS,
  orgInsights,
  patchInsightSettings,
  tokenUse,
} from './insights.service.ts';

const Keys = Type.Array(Type.String());
const TokenUseSchema = Type.Object(
  {
    tokenId: Type.String(),
    days: Type.Integer(),
    permissions: Type.Object({ granted: Keys, used: Keys, unknown: Type.Boolean() }),
    resources: Type.Object({ all: Type.Boolean(), granted: Keys, used: Keys, unknown: Type.Boolean() }),
    narrow: Type.Union([
      Type.Object({ permissions: Type.Optional(Keys), resourceIds: Type.Optional(Keys) }),
      Type.Null(),
    ]),
    summary: Type.String(),
  },
  { $id: 'TokenUse' },
);
const Finding = Type.Union([
  Type.Literal('exceeds_use'),
  Type.Literal('never_used'),
  Type.Literal('no_expiry'),
  Type.Literal('past_age'),
]);
const Iso = Type.String({ format: 'date-time' });
const NullableIso = Type.Union([Iso, Type.Null()]);
const Days = Type.Object(
  { days: Type.Integer({ minimum: 1, maximum: 90, default: INSIGHT_DAYS }) },
  { additionalProperties: false },
);
const Settings = Type.Object({ weeklyDigest: Type.Boolean(), maxAgeDays: Type.Integer() });

/** Least privilege from observed use (issue 17; docs/api.md "Insights"). */
export function insightsRoutes(app: App, deps: Deps): void {
  const tags = ['insights'];
  app.addSchema(TokenUseSchema);

  app.get(
    '/v1/orgs/:org/tokens/:tok/use',
    {
      schema: {
        tags,
        operationId: 'getTokenUse',
        summary:
          'Which of its permissions and resources a token used in the last days, and the edit that narrows it to them',
        params: TokenParams,
        querystring: Days,
        response: { 200: Type.Ref('TokenUse'), ...errorResponses },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return tokenUse(deps, access, request.params.tok, request.query.days);
    },
  );

  app.get(
    '/v1/orgs/:org/insights',
    {
      schema: {
        tags,
        operationId: 'getInsights',
        summary:
          'Active tokens whose grants exceed their use, never used, without expiry, or past the configured age, with owners',
        params: OrgParams,
        querystring: Days,
        response: {
          200: Type.Object({
            generatedAt: Iso,
            days: Type.Integer(),
            maxAgeDays: Type.Integer(),
            counts: Type.Object({
              exceeds_use: Type.Integer(),
              never_used: Type.Integer(),
              no_expiry: Type.Integer(),
              past_age: Type.Integer(),
            }),
            items: Type.Array(
              Type.Object({
                token: Type.Object({
                  id: Type.String(),
                  name: Type.String(),
                  kind: Type.Union([Type.Literal('personal'), Type.Literal('application')]),
                  hint: Type.String(),
                  createdAt: Iso,
                  expiresAt: NullableIso,
                  lastUsedAt: NullableIso,
                }),
                owner: Type.Union([
                  Type.Object({ id: Type.String(), name: Type.String(), email: Type.String() }),
                  Type.Null(),
                ]),
                findings: Type.Array(Finding),
                use: Type.Ref('TokenUse'),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return orgInsights(deps, access, request.query.days);
    },
  );

  app.get(
    '/v1/orgs/:org/insights/settings',
    {
      schema: {
        tags,
        operationId: 'getInsightSettings',
        summary: 'The age past which tokens are reported, and whether administrators get the weekly digest',
        params: OrgParams,
        response: { 200: Settings, ...errorResponses },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return getInsightSettings(deps, access);
    },
  );

  app.patch(
    '/v1/orgs/:org/insights/settings',
    {
      schema: {
        tags,
        operationId: 'updateInsightSettings',
        summary: 'Opt in to the weekly digest, or change the age past which tokens are reported',
        params: OrgParams,
        body: Type.Object(
          {
            weeklyDigest: Type.Optional(Type.Boolean()),
            maxAgeDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Settings, ...errorResponses },
      },
    },
    async (request) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      return patchInsightSettings(deps, ctx, access, request.body);
    },
  );
}
