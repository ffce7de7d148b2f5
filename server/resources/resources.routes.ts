import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { orgRequest } from '../http/request-context.ts';
import { errorResponses, Id, noContent, OrgParams, Page, PageQuery, readErrors } from '../http/schemas.ts';
import { createResource, getResource, listResources, removeResource } from './resources.service.ts';

const ResourceSchema = Type.Object(
  {
    id: Type.String(),
    orgId: Type.String(),
    type: Type.String(),
    name: Type.String(),
    createdAt: Type.String(),
  },
  { $id: 'Resource' },
);
const ResourceParams = Type.Object({ org: Id('org'), res: Id('res') });
const Word = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\s/][^/]*$' });

export function resourcesRoutes(app: App, deps: Deps): void {
  app.addSchema(ResourceSchema);
  const tags = ['resources'];

  app.get(
    '/v1/orgs/:org/resources',
    {
      schema: {
        tags,
        operationId: 'listResources',
        summary: 'Resources tokens can be limited to',
        params: OrgParams,
        querystring: Type.Object(
          { ...PageQuery, type: Type.Optional(Type.String({ maxLength: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: Page(Type.Ref('Resource')), ...readErrors },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return listResources(deps, access, request.query);
    },
  );

  app.get(
    '/v1/orgs/:org/resources/:res',
    {
      schema: {
        tags,
        operationId: 'getResource',
        summary: 'One resource',
        params: ResourceParams,
        response: { 200: Type.Ref('Resource'), ...readErrors },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return getResource(deps, access, request.params.res);
    },
  );

  app.post(
    '/v1/orgs/:org/resources',
    {
      schema: {
        tags,
        operationId: 'createResource',
        summary: 'Add a resource, e.g. {"type": "shard", "name": "testnet-1"}',
        params: OrgParams,
        body: Type.Object({ type: Word, name: Word }, { additionalProperties: false }),
        response: { 201: Type.Ref('Resource'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      return reply.code(201).send(await createResource(deps, ctx, access, request.body));
    },
  );

  app.delete(
    '/v1/orgs/:org/resources/:res',
    {
      schema: {
        tags,
        operationId: 'deleteResource',
        summary: 'Remove a resource',
        params: ResourceParams,
        response: { ...noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      await removeResource(deps, ctx, access, request.params.res);
      return reply.code(204).send();
    },
  );
}
