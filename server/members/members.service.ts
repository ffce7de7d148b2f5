import type { Transaction } from 'kysely';
import type { Static } from 'typebox';
import { recordAudit } from '../audit/audit.service.ts';
import { findUserByEmail } from '../auth/users.repository.ts';
import type { Deps, RequestContext } from '../context.ts';
import type { Database } from '../db/schema.ts';
import { conflict, notFound } from '../errors.ts';
import { toPage } from '../http/page.ts';
import { type OrgAccess, requirePermission, requireSession } from '../orgs/access.ts';
import { lockOrgForMembershipChange } from '../orgs/orgs.repository.ts';
import { actorOf, enforce, permissionsOfRole } from '../tokens/token-holding.ts';
import { canManageMember } from '../tokens/token-policy.ts';
import { activeTokenIdsOfOwner } from '../tokens/tokens.repository.ts';
import { revokeTokensOfOwnerInTransaction } from '../tokens/tokens.service.ts';
import { type IssuedInvite, issueInvite } from './invitations.service.ts';
import {
  countMembersWithRole,
  deleteInvite,
  deleteMember,
  findInviteById,
  findMembership,
  findMemberView,
  listMembers as listMemberRows,
  listPendingInvites,
  updateMemberRole,
} from './members.repository.ts';
import type { AddMemberResultSchema } from './members.routes.ts';

export interface MemberView {
  userId: string;
  email: string;
  name: string;
  roleId: string;
  createdAt: string;
}

const memberView = (row: {
  userId: string;
  email: string;
  name: string;
  roleId: string;
  createdAt: number;
}) => ({
  ...row,
  createdAt: new Date(Number(row.createdAt)).toISOString(),
});

export async function listMembers(
  deps: Deps,
  access: OrgAccess,
  page: { cursor?: string; limit: number },
): Promise<{ items: MemberView[]; nextCursor: string | null }> {
  requirePermission(access, 'members:read');
  const rows = await listMemberRows(deps.db, access.orgId, { ...page, limit: page.limit + 1 });
  return toPage(rows, page.limit, (row) => row.userId, memberView);
}

/**
 * Adding someone is always an invitation, whether or not they have an account (issue 12 rule 5): an
 * existing user joins only by accepting it, signed in, with a proved address (invitations.service.ts).
 */
/** The answer's shape is its route schema's (members.routes.ts). */
export type AddMemberResult = Static<typeof AddMemberResultSchema>;

export async function addMember(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  input: { email: string; roleId: string },
): Promise<AddMemberResult> {
  requireSession(ctx.principal);
  requirePermission(access, 'members:write');
  const newRole = new Set(await permissionsOfRole(deps, access.orgId, input.roleId));
  enforce(canManageMember(actorOf(access), { action: 'add', newRole }), 'member');
  const email = input.email.toLowerCase();
  const existing = await findUserByEmail(deps.db, email);
  if (existing !== undefined && (await findMembership(deps.db, access.orgId, existing.id))) {
    throw conflict(`${email} is already a member`);
  }
  const issued = await deps.db.transaction().execute(async (trx) => {
    const invite = await issueInvite(deps, trx, ctx, { orgId: access.orgId, email, roleId: input.roleId });
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'member.invited',
      target: { type: 'invite', id: invite.inviteId },
      details: {
        email,
        roleId: input.roleId,
        existingAccount: existing !== undefined,
        expiresAt: new Date(invite.expiresAt).toISOString(),
      },
    });
    return invite;
  });
  return inviteAnswer(deps, issued, { email, roleId: input.roleId, existingAccount: existing !== undefined });
}

function inviteAnswer(
  deps: Deps,
  issued: IssuedInvite,
  facts: { email: string; roleId: string; existingAccount: boolean },
): AddMemberResult {
  return {
    added: false,
    invited: true,
    inviteId: issued.inviteId,
    ...facts,
    inviteUrl: issued.inviteUrl,
    expiresAt: new Date(issued.expiresAt).toISOString(),
    // Queued with the invite: `smtp` goes to the mail server, `outbox` waits in the Outbox (no SMTP set up).
    delivery: { email: deps.mailer.transport },
  };
}

/** "Send a new link": a pending invitation gets a new secret and lifetime; the old link stops working. */
export async function resendInvite(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  inviteId: string,
): Promise<AddMemberResult> {
  requireSession(ctx.principal);
  requirePermission(access, 'members:write');
  const invite = await findInviteById(deps.db, inviteId);
  if (invite === undefined || invite.orgId !== access.orgId || invite.acceptedAt !== null) {
    throw notFound('invitation');
  }
  // Re-sending hands out a way into the role: the sender must be allowed to give that role.
  const role = new Set(await permissionsOfRole(deps, access.orgId, invite.roleId));
  enforce(canManageMember(actorOf(access), { action: 'add', newRole: role }), 'member');
  const issued = await deps.db.transaction().execute(async (trx) => {
    const renewed = await issueInvite(deps, trx, ctx, {
      orgId: access.orgId,
      email: invite.email,
      roleId: invite.roleId,
      replace: invite,
    });
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'member.invite_resent',
      target: { type: 'invite', id: invite.id },
      details: { email: invite.email, expiresAt: new Date(renewed.expiresAt).toISOString() },
    });
    return renewed;
  });
  const existing = await findUserByEmail(deps.db, invite.email);
  return inviteAnswer(deps, issued, {
    email: invite.email,
    roleId: invite.roleId,
    existingAccount: existing !== undefined,
  });
}

/**
 * Inside the transaction that changes the membership, after the org is locked: an org keeps at least
 * one Organization Administrator.
 */
async function refuseLosingLastAdmin(
  trx: Transaction<Database>,
  orgId: string,
  currentRoleId: string,
): Promise<void> {
  if (currentRoleId !== 'rol_admin') return;
  if ((await countMembersWithRole(trx, orgId, 'rol_admin')) <= 1) {
    throw conflict('an organization keeps at least one Organization Administrator');
  }
}

/** The policy's view of a member: who, and what their role holds. */
async function memberFacts(deps: Deps, orgId: string, member: { userId: string; roleId: string }) {
  return {
    userId: member.userId,
    rolePermissions: new Set(await permissionsOfRole(deps, orgId, member.roleId)),
  };
}

export async function changeMemberRole(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  userId: string,
  roleId: string,
): Promise<MemberView> {
  requireSession(ctx.principal);
  requirePermission(access, 'members:write');
  const newRole = new Set(await permissionsOfRole(deps, access.orgId, roleId));
  const member = await findMemberView(deps.db, access.orgId, userId);
  if (member === undefined) throw notFound('member');
  enforce(
    canManageMember(actorOf(access), {
      action: 'change-role',
      member: await memberFacts(deps, access.orgId, member),
      newRole,
    }),
    'member',
  );
  const changed = await deps.db.transaction().execute(async (trx) => {
    await lockOrgForMembershipChange(trx, deps.database.dialect, access.orgId);
    const current = await findMembership(trx, access.orgId, userId);
    if (current === undefined) throw notFound('member');
    if (current.roleId === roleId) return false;
    // The role read under the lock: a concurrent change may have moved it since the policy looked.
    if (current.roleId !== member.roleId) throw conflict("the member's role changed meanwhile; try again");
    await refuseLosingLastAdmin(trx, access.orgId, current.roleId);
    await updateMemberRole(trx, access.orgId, userId, roleId);
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'member.role_changed',
      target: { type: 'user', id: userId },
      details: { from: current.roleId, to: roleId },
    });
    return true;
  });
  // The member's personal tokens shrink or grow with the role at their next verification.
  if (changed) deps.events.orgChanged(access.orgId);
  return memberView({ ...member, roleId });
}

export async function removeMember(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  userId: string,
): Promise<void> {
  requireSession(ctx.principal);
  const member = await findMemberView(deps.db, access.orgId, userId);
  if (member === undefined) {
    if (ctx.principal.user.id !== userId) requirePermission(access, 'members:write');
    throw notFound('member');
  }
  enforce(
    canManageMember(actorOf(access), {
      action: 'remove',
      member: await memberFacts(deps, access.orgId, member),
    }),
    'member',
  );
  const by = ctx.principal.user.id;
  await deps.db.transaction().execute(async (trx) => {
    await lockOrgForMembershipChange(trx, deps.database.dialect, access.orgId);
    const current = await findMembership(trx, access.orgId, userId);
    if (current === undefined) throw notFound('member');
    await refuseLosingLastAdmin(trx, access.orgId, current.roleId);
    const tokens = await activeTokenIdsOfOwner(trx, access.orgId, userId);
    await revokeTokensOfOwnerInTransaction(
      trx,
      ctx,
      access.orgId,
      tokens.map((t) => t.id),
      by,
    );
    await deleteMember(trx, access.orgId, userId);
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'member.removed',
      target: { type: 'user', id: userId },
      details: { email: member.email, roleId: current.roleId, revokedTokens: tokens.length },
    });
  });
  deps.events.orgChanged(access.orgId);
}

export async function listInvites(deps: Deps, access: OrgAccess, page: { cursor?: string; limit: number }) {
  requirePermission(access, 'members:read');
  const rows = await listPendingInvites(deps.db, access.orgId, Date.now(), {
    ...page,
    limit: page.limit + 1,
  });
  return toPage(
    rows,
    page.limit,
    (row) => row.id,
    (row) => ({
      ...row,
      createdAt: new Date(Number(row.createdAt)).toISOString(),
      expiresAt: new Date(Number(row.expiresAt)).toISOString(),
    }),
  );
}

export async function cancelInvite(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  inviteId: string,
): Promise<void> {
  requireSession(ctx.principal);
  requirePermission(access, 'members:write');
  await deps.db.transaction().execute(async (trx) => {
    if (!(await deleteInvite(trx, access.orgId, inviteId))) throw notFound('invitation');
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'member.invite_cancelled',
      target: { type: 'invite', id: inviteId },
    });
  });
}
