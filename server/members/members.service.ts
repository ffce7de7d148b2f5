import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import { recordAudit } from '../audit/audit.service.ts';
import { inviteHashOf } from '../auth/auth.service.ts';
import { findUserByEmail } from '../auth/users.repository.ts';
import type { Deps, RequestContext } from '../context.ts';
import type { Database } from '../db/schema.ts';
import { conflict, notFound } from '../errors.ts';
import { toPage } from '../http/page.ts';
import { newId } from '../ids.ts';
import { queueMail } from '../jobs/queue.ts';
import { inviteMail } from '../mail/templates.ts';
import { type OrgAccess, requirePermission, requireSession } from '../orgs/access.ts';
import { findOrg, lockOrgForMembershipChange } from '../orgs/orgs.repository.ts';
import { actorOf, enforce, permissionsOfRole } from '../tokens/token-holding.ts';
import { canManageMember } from '../tokens/token-policy.ts';
import { activeTokenIdsOfOwner } from '../tokens/tokens.repository.ts';
import { revokeTokensOfOwnerInTransaction } from '../tokens/tokens.service.ts';
import {
  countMembersWithRole,
  deleteInvite,
  deleteMember,
  findMembership,
  findMemberView,
  insertInvite,
  insertMember,
  listMembers as listMemberRows,
  listPendingInvites,
  updateMemberRole,
} from './members.repository.ts';

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

export type AddMemberResult =
  | { added: true; member: MemberView }
  | {
      added: false;
      invited: true;
      email: string;
      roleId: string;
      inviteUrl: string;
      expiresAt: string;
      delivery: { email: 'smtp' | 'outbox' };
    };

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
  const now = Date.now();
  const existing = await findUserByEmail(deps.db, email);
  if (existing !== undefined) {
    await deps.db.transaction().execute(async (trx) => {
      if (await findMembership(trx, access.orgId, existing.id)) throw conflict('already a member');
      await insertMember(trx, {
        orgId: access.orgId,
        userId: existing.id,
        roleId: input.roleId,
        createdAt: now,
      });
      await recordAudit(trx, ctx, {
        orgId: access.orgId,
        action: 'member.added',
        target: { type: 'user', id: existing.id },
        details: { email, roleId: input.roleId },
      });
    });
    deps.events.orgChanged(access.orgId);
    return {
      added: true,
      member: memberView({
        userId: existing.id,
        email,
        name: existing.name,
        roleId: input.roleId,
        createdAt: now,
      }),
    };
  }
  const inviteToken = randomBytes(32).toString('base64url');
  const expiresAt = now + deps.config.inviteTtlMs;
  const inviteId = newId('inv');
  // The secret travels in the fragment, which browsers never send to a server or write to its logs.
  const inviteUrl = `${deps.publicUrl()}/accept-invite#token=${inviteToken}`;
  const org = await findOrg(deps.db, access.orgId);
  await deps.db.transaction().execute(async (trx) => {
    await insertInvite(trx, {
      id: inviteId,
      tokenHash: inviteHashOf(deps, inviteToken),
      orgId: access.orgId,
      email,
      roleId: input.roleId,
      invitedBy: ctx.principal.type === 'user' ? ctx.principal.user.id : '',
      createdAt: now,
      expiresAt,
      acceptedAt: null,
    });
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'member.invited',
      target: { type: 'invite', id: inviteId },
      details: { email, roleId: input.roleId, expiresAt: new Date(expiresAt).toISOString() },
    });
    // Queued with the invite (sealed: it holds the invite secret), so the answer does not wait on SMTP.
    await queueMail(
      trx,
      deps.sealers.mail,
      inviteMail({
        to: email,
        orgId: access.orgId,
        orgName: org?.name ?? access.orgId,
        inviterName: ctx.principal.type === 'user' ? ctx.principal.user.name : 'An administrator',
        url: inviteUrl,
        expiresAt: new Date(expiresAt),
      }),
      now,
    );
  });
  return {
    added: false,
    invited: true,
    email,
    roleId: input.roleId,
    inviteUrl,
    expiresAt: new Date(expiresAt).toISOString(),
    // Queued with the invite: `smtp` goes to the mail server, `outbox` waits in the Outbox (no SMTP set up).
    delivery: { email: deps.mailer.transport },
  };
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
