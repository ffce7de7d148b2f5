import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { orgRequest } from '../http/request-context.ts';
import {
  Email,
  errorResponses,
  Id,
  noContent,
  OrgParams,
  Page,
  PageQuery,
  readErrors,
} from '../http/schemas.ts';
import {
  addMember,
  cancelInvite,
  changeMemberRole,
  listInvites,
  listMembers,
  removeMember,
} from './members.service.ts';

const MemberSchema = Type.Object(
  {
    userId: Type.String(),
    email: Type.String(),
    name: Type.String(),
    roleId: Type.String(),
    createdAt: Type.String(),
  },
  { $id: 'Member' },
);
/** The answer to adding someone: always an invitation they accept (issue 12 rule 5). */
export const AddMemberResultSchema = Type.Object(
  {
    added: Type.Literal(false),
    invited: Type.Literal(true),
    inviteId: Type.String(),
    email: Type.String(),
    roleId: Type.String(),
    existingAccount: Type.Boolean({
      description:
        'whether an account with this address exists: it accepts from its console or the mailed link',
    }),
    inviteUrl: Type.String({
      description: 'lets whoever holds it accept; it proves no mailbox (only the mailed link does)',
    }),
    expiresAt: Type.String({ format: 'date-time' }),
    delivery: Type.Object({ email: Type.Union([Type.Literal('smtp'), Type.Literal('outbox')]) }),
  },
  { title: 'MemberInvitation' },
);

const MemberParams = Type.Object({ org: Id('org'), user: Id('usr') });
const InviteSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  roleId: Type.String(),
  invitedBy: Type.String(),
  createdAt: Type.String(),
  expiresAt: Type.String(),
});

export function membersRoutes(app: App, deps: Deps): void {
  app.addSchema(MemberSchema);
  const tags = ['members'];

  app.get(
    '/v1/orgs/:org/members',
    {
      schema: {
        tags,
        operationId: 'listMembers',
        summary: 'Members and their roles',
        params: OrgParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Page(Type.Ref('Member')), ...readErrors },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return listMembers(deps, access, request.query);
    },
  );

  app.post(
    '/v1/orgs/:org/members',
    {
      schema: {
        tags,
        operationId: 'inviteMember',
        summary:
          'Invite a person by e-mail, with or without an account; they join by accepting (the answer holds inviteUrl)',
        params: OrgParams,
        body: Type.Object({ email: Email, roleId: Id('rol') }, { additionalProperties: false }),
        response: { 201: AddMemberResultSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      const result = await addMember(deps, ctx, access, request.body);
      reply.code(201);
      // The invite link is a credential: keep it out of caches.
      reply.header('cache-control', 'no-store');
      return result;
    },
  );

  app.patch(
    '/v1/orgs/:org/members/:user',
    {
      schema: {
        tags,
        operationId: 'changeMemberRole',
        summary: "Change a member's role",
        params: MemberParams,
        body: Type.Object({ roleId: Id('rol') }, { additionalProperties: false }),
        response: { 200: Type.Ref('Member'), ...errorResponses },
      },
    },
    async (request) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      return changeMemberRole(deps, ctx, access, request.params.user, request.body.roleId);
    },
  );

  app.delete(
    '/v1/orgs/:org/members/:user',
    {
      schema: {
        tags,
        operationId: 'removeMember',
        summary: 'Remove a member; their personal tokens in the org are revoked',
        params: MemberParams,
        response: { ...noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      await removeMember(deps, ctx, access, request.params.user);
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/orgs/:org/invites',
    {
      schema: {
        tags,
        operationId: 'listInvites',
        summary: 'Pending invitations (not yet accepted, not expired), newest first',
        params: OrgParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: Page(InviteSchema), ...readErrors },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return listInvites(deps, access, request.query);
    },
  );

  app.delete(
    '/v1/orgs/:org/invites/:inv',
    {
      schema: {
        tags,
        operationId: 'cancelInvite',
        summary: 'Cancel a pending invitation; its link stops working',
        params: Type.Object({ org: Id('org'), inv: Id('inv') }),
        response: { ...noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      await cancelInvite(deps, ctx, access, request.params.inv);
      return reply.code(204).send();
    },
  );
}
