import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { orgRequest } from '../http/request-context.ts';
import {
  errorResponses,
  Id,
  Name,
  noContent,
  OrgParams,
  Page,
  PageQuery,
  readErrors,
} from '../http/schemas.ts';
import { createRole, getRole, listRolesPage, patchRole, removeRole } from './roles.service.ts';

const RoleSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    permissions: Type.Array(Type.String()),
    builtIn: Type.Boolean(),
    createdAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'Role' },
);
const RoleParams = Type.Object({ org: Id('org'), role: Id('rol') });
const Permissions = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 500 });

export function rolesRoutes(app: App, deps: Deps): void {
  app.addSchema(RoleSchema);
  const tags = ['roles'];

  app.get(
    '/v1/orgs/:org/roles',
    {
      schema: {
        tags,
        operationId: 'listRoles',
        summary: 'Built-in roles, then custom roles',
        params: OrgParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Page(Type.Ref('Role')), ...readErrors },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return listRolesPage(deps, access, request.query);
    },
  );

  app.get(
    '/v1/orgs/:org/roles/:role',
    {
      schema: {
        tags,
        operationId: 'getRole',
        summary: 'One role',
        params: RoleParams,
        response: { 200: Type.Ref('Role'), ...readErrors },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return getRole(deps, access, request.params.role);
    },
  );

  app.post(
    '/v1/orgs/:org/roles',
    {
      schema: {
        tags,
        operationId: 'createRole',
        summary: 'Create a custom role from catalog permissions',
        params: OrgParams,
        body: Type.Object(
          {
            name: Name,
            description: Type.Optional(Type.String({ maxLength: 500 })),
            permissions: Permissions,
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref('Role'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      return reply.code(201).send(await createRole(deps, ctx, access, request.body));
    },
  );

  app.patch(
    '/v1/orgs/:org/roles/:role',
    {
      schema: {
        tags,
        operationId: 'updateRole',
        summary: 'Edit a custom role; its tokens and members change at once',
        params: RoleParams,
        body: Type.Object(
          {
            name: Type.Optional(Name),
            description: Type.Optional(Type.String({ maxLength: 500 })),
            permissions: Type.Optional(Permissions),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Ref('Role'), ...errorResponses },
      },
    },
    async (request) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      return patchRole(deps, ctx, access, request.params.role, request.body);
    },
  );

  app.delete(
    '/v1/orgs/:org/roles/:role',
    {
      schema: {
        tags,
        operationId: 'deleteRole',
        summary: 'Delete an unused custom role',
        params: RoleParams,
        response: { ...noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      await removeRole(deps, ctx, access, request.params.role);
      return reply.code(204).send();
    },
  );
}
