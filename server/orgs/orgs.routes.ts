import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { orgRequest, requestContext } from '../http/request-context.ts';
import { errorResponses, Name, OrgParams, readErrors } from '../http/schemas.ts';
import { createOrg, getOrg, listOrgs, patchOrg } from './orgs.service.ts';

const PolicyInput = Type.Object(
  {
    maxTtlDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
    allowNoExpiry: Type.Optional(Type.Boolean()),
    notifyUnused: Type.Optional(
      Type.Boolean({ description: 'e-mail owners about tokens unused for 90 days (default false)' }),
    ),
    requireTwoFactor: Type.Optional(
      Type.Boolean({
        description:
          'members without a second factor may only enrol one (default false; the one enabling it needs one)',
      }),
    ),
    requireSso: Type.Optional(
      Type.Boolean({
        description:
          'members reach the org only from a single sign-on session (default false; the one enabling it signed in by SSO)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const OrgSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    policy: Type.Object({
      maxTtlDays: Type.Integer(),
      allowNoExpiry: Type.Boolean(),
      notifyUnused: Type.Boolean(),
      requireTwoFactor: Type.Boolean(),
      requireSso: Type.Boolean(),
    }),
    createdAt: Type.String(),
    roleId: Type.Union([Type.String(), Type.Null()]),
    permissions: Type.Array(Type.String()),
  },
  { $id: 'Org' },
);

export function orgsRoutes(app: App, deps: Deps): void {
  app.addSchema(OrgSchema);
  const tags = ['orgs'];

  app.get(
    '/v1/orgs',
    {
      schema: {
        tags,
        operationId: 'listOrgs',
        summary: "The caller's organizations",
        response: {
          200: Type.Object({ items: Type.Array(Type.Ref('Org')), nextCursor: Type.Null() }),
          ...readErrors,
        },
      },
    },
    async (request) => {
      const ctx = await requestContext(deps, request);
      return { items: await listOrgs(deps, ctx.principal), nextCursor: null };
    },
  );

  app.post(
    '/v1/orgs',
    {
      schema: {
        tags,
        operationId: 'createOrg',
        summary: 'Create an organization; the caller becomes its administrator',
        body: Type.Object(
          { name: Name, policy: Type.Optional(PolicyInput) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref('Org'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await requestContext(deps, request);
      return reply.code(201).send(await createOrg(deps, ctx, request.body));
    },
  );

  app.get(
    '/v1/orgs/:org',
    {
      schema: {
        tags,
        operationId: 'getOrg',
        summary: 'One organization and its token policy',
        params: OrgParams,
        response: { 200: Type.Ref('Org'), ...readErrors },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return getOrg(deps, access);
    },
  );

  app.patch(
    '/v1/orgs/:org',
    {
      schema: {
        tags,
        operationId: 'updateOrg',
        summary: 'Rename the organization or change its token policy (a signed-in administrator)',
        params: OrgParams,
        body: Type.Object(
          { name: Type.Optional(Name), policy: Type.Optional(PolicyInput) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Ref('Org'), ...errorResponses },
      },
    },
    async (request) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      return patchOrg(deps, ctx, access, request.body);
    },
  );
}
