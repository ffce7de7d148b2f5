import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { orgRequest } from '../http/request-context.ts';
import { errorResponses, OrgParams, Page, readErrors } from '../http/schemas.ts';
import {
  CreateTokenBody,
  IssuedTokenSchema,
  ListTokensQuery,
  PatchTokenBody,
  RevokeBody,
  RevokeQuery,
  RotateBody,
  TokenInfoSchema,
  TokenParams,
} from './tokens.schema.ts';
import {
  createToken,
  deliverTokenValue,
  getToken,
  listTokens,
  patchToken,
  revokeToken,
  rotateToken,
} from './tokens.service.ts';

export function tokensRoutes(app: App, deps: Deps): void {
  app.addSchema(TokenInfoSchema);
  const tags = ['tokens'];

  app.post(
    '/v1/orgs/:org/tokens',
    {
      schema: {
        tags,
        operationId: 'createToken',
        summary: 'Create a token; the only answer that holds its value',
        params: OrgParams,
        body: CreateTokenBody,
        response: { 201: IssuedTokenSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      const issued = await createToken(deps, ctx, access, request.body);
      return reply.code(201).header('cache-control', 'no-store').send(issued);
    },
  );

  app.get(
    '/v1/orgs/:org/tokens',
    {
      schema: {
        tags,
        operationId: 'listTokens',
        summary: 'List tokens, newest first',
        params: OrgParams,
        querystring: ListTokensQuery,
        response: { 200: Page(Type.Ref('TokenInfo')), ...readErrors },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return listTokens(deps, access, request.query);
    },
  );

  app.get(
    '/v1/orgs/:org/tokens/:tok',
    {
      schema: {
        tags,
        operationId: 'getToken',
        summary: 'One token',
        params: TokenParams,
        response: { 200: Type.Ref('TokenInfo'), ...readErrors },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return getToken(deps, access, request.params.tok);
    },
  );

  app.patch(
    '/v1/orgs/:org/tokens/:tok',
    {
      schema: {
        tags,
        operationId: 'updateToken',
        summary: 'Rename a token, edit its description, or narrow or widen its grants within what you hold',
        params: TokenParams,
        body: PatchTokenBody,
        response: { 200: Type.Ref('TokenInfo'), ...errorResponses },
      },
    },
    async (request) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      return patchToken(deps, ctx, access, request.params.tok, request.body);
    },
  );

  app.delete(
    '/v1/orgs/:org/tokens/:tok',
    {
      schema: {
        tags,
        operationId: 'revokeToken',
        summary: 'Revoke a token (the record stays, with status revoked)',
        params: TokenParams,
        querystring: RevokeQuery,
        // A DELETE usually has no body: Fastify validates a missing one as null.
        body: Type.Union([RevokeBody, Type.Null()]),
        response: { 200: Type.Ref('TokenInfo'), ...errorResponses },
      },
    },
    async (request) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      const reason = request.body?.reason ?? request.query.reason ?? 'revoked';
      return revokeToken(deps, ctx, access, request.params.tok, reason);
    },
  );

  app.post(
    '/v1/orgs/:org/tokens/:tok/rotate',
    {
      schema: {
        tags,
        operationId: 'rotateToken',
        summary: 'Issue a new value for the same token id; the old one works for the grace period',
        params: TokenParams,
        body: Type.Optional(RotateBody),
        response: { 200: IssuedTokenSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      const issued = await rotateToken(deps, ctx, access, request.params.tok, request.body ?? {});
      return reply.header('cache-control', 'no-store').send(issued);
    },
  );

  app.post(
    '/v1/orgs/:org/tokens/:tok/deliver',
    {
      schema: {
        tags,
        operationId: 'deliverToken',
        summary: "E-mail a value the caller holds (it must be this token's) to the caller's own address",
        params: TokenParams,
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 1000 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            delivery: Type.Object({
              email: Type.Union([Type.Literal('smtp'), Type.Literal('outbox'), Type.Literal('failed')]),
              error: Type.Optional(Type.String()),
            }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return deliverTokenValue(deps, access, request.params.tok, request.body.token);
    },
  );
}
