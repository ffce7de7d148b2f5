import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { setEmailVerified } from '../accounts/accounts.repository.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { keyedDigest, sameSecret } from '../auth/keyed.ts';
import { findUserById } from '../auth/users.repository.ts';
import type { Deps, RequestContext } from '../context.ts';
import type { Database, InviteRow, UserRow } from '../db/schema.ts';
import { AppError, forbidden, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { queueMail } from '../jobs/queue.ts';
import { inviteMail } from '../mail/templates.ts';
import { findOrg } from '../orgs/orgs.repository.ts';
import {
  consumeInvite,
  deleteInvite,
  findInviteByHash,
  findInviteById,
  findMembership,
  insertInvite,
  insertMember,
  invitesForEmail,
  replaceInviteSecret,
} from './members.repository.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const inviteHashOf = (deps: Pick<Deps, 'secret'>, inviteToken: string) =>
  keyedDigest(deps, 'invite', inviteToken);

/**
 * The mailed link carries, besides the invite secret, a proof that only the mail holds: an HMAC of the
 * secret that the inviter never sees (the API answer's `inviteUrl` lacks it, and the console's Outbox strips
 * it). Opening the link with it proves the address; opening `inviteUrl` joins the org but proves nothing.
 */
export const mailboxProofOf = (deps: Pick<Deps, 'secret'>, inviteToken: string) =>
  keyedDigest(deps, 'invite-mailbox', inviteToken);

export function mailboxProofMatches(deps: Pick<Deps, 'secret'>, inviteToken: string, proof?: string) {
  return sameSecret(mailboxProofOf(deps, inviteToken), proof);
}

const inviteLink = (deps: Deps, inviteToken: string) =>
  // The secret travels in the fragment, which browsers never send to a server or write to its logs.
  `${deps.publicUrl()}/accept-invite#token=${inviteToken}`;

export interface IssuedInvite {
  inviteId: string;
  inviteUrl: string;
  expiresAt: number;
}

/**
 * Creates an invitation (or, with `replace`, gives a pending one a new secret: the old link stops working)
 * and queues its mail, inside the caller's transaction.
 */
export async function issueInvite(
  deps: Deps,
  trx: Transaction<Database>,
  ctx: RequestContext,
  input: { orgId: string; email: string; roleId: string; replace?: InviteRow },
): Promise<IssuedInvite> {
  const now = Date.now();
  const inviteToken = randomBytes(32).toString('base64url');
  const expiresAt = now + deps.config.inviteTtlMs;
  const inviterId = ctx.principal.type === 'user' ? ctx.principal.user.id : '';
  const inviteId = input.replace?.id ?? newId('inv');
  if (input.replace) {
    if (!(await replaceInviteSecret(trx, inviteId, inviteHashOf(deps, inviteToken), expiresAt))) {
      throw notFound('invitation');
    }
  } else {
    await insertInvite(trx, {
      id: inviteId,
      tokenHash: inviteHashOf(deps, inviteToken),
      orgId: input.orgId,
      email: input.email,
      roleId: input.roleId,
      invitedBy: inviterId,
      createdAt: now,
      expiresAt,
      acceptedAt: null,
    });
  }
  const org = await findOrg(trx, input.orgId);
  const inviteUrl = inviteLink(deps, inviteToken);
  // Queued with the invite (sealed: it holds the invite secret), so the answer does not wait on SMTP.
  await queueMail(
    trx,
    deps.sealers.mail,
    inviteMail({
      to: input.email,
      orgId: input.orgId,
      orgName: org?.name ?? input.orgId,
      inviterName: ctx.principal.type === 'user' ? ctx.principal.user.name : 'An administrator',
      url: `${inviteUrl}&proof=${mailboxProofOf(deps, inviteToken)}`,
      expiresAt: new Date(expiresAt),
    }),
    now,
  );
  return { inviteId, inviteUrl, expiresAt };
}

/** A pending invitation by its secret; unknown, used and expired ones get one and the same answer. */
export async function usableInvite(deps: Deps, inviteToken: string): Promise<InviteRow> {
  const invite = await findInviteByHash(deps.db, inviteHashOf(deps, inviteToken));
  if (invite === undefined || invite.acceptedAt !== null || Date.now() >= Number(invite.expiresAt)) {
    throw new AppError('NOT_FOUND', 'this invitation is unknown, used or expired');
  }
  return invite;
}

/**
 * The one rule for an existing account joining an org (issue 12 rule 5): it joins only by accepting, and
 * only once its address is proved, by an earlier link or by the mailed invitation itself (`proved`).
 * Anyone may create an account under any address through an invite link they were handed; nobody inherits
 * an invitation addressed to that address without the mailbox.
 */
export function refuseUnprovedAccount(user: UserRow, proved: boolean): void {
  if (user.emailVerifiedAt === null && !proved) {
    throw forbidden(
      `confirm that ${user.email} is yours first: open the invitation from that mailbox, or send yourself a verification mail from your account page`,
      { reason: 'EMAIL_UNVERIFIED' },
    );
  }
}

/**
 * Joins `user` to the invitation's org inside the caller's transaction: the invite is used once, the
 * membership and its audit event are written, and a mailbox proof verifies the address it was sent to.
 */
export async function joinByInvite(
  trx: Transaction<Database>,
  ctx: RequestContext,
  invite: InviteRow,
  user: UserRow,
  proved: boolean,
): Promise<void> {
  const now = Date.now();
  if (!(await consumeInvite(trx, invite.id, now)))
    throw new AppError('NOT_FOUND', 'this invitation was used');
  if (proved && (await setEmailVerified(trx, user.id, invite.email, now))) {
    await recordAudit(trx, ctx, {
      orgId: invite.orgId,
      action: 'user.email_verified',
      target: { type: 'user', id: user.id },
      details: { email: invite.email, via: 'invite' },
    });
  }
  if (await findMembership(trx, invite.orgId, user.id)) return;
  await insertMember(trx, { orgId: invite.orgId, userId: user.id, roleId: invite.roleId, createdAt: now });
  await recordAudit(trx, ctx, {
    orgId: invite.orgId,
    action: 'member.added',
    target: { type: 'user', id: user.id },
    details: { roleId: invite.roleId, via: 'invite', inviteId: invite.id, emailProved: proved },
  });
}

/** What the accept page shows: which org, who invited, for which address. Needs the secret. */
export async function invitePreview(deps: Deps, inviteToken: string) {
  const invite = await usableInvite(deps, inviteToken);
  const org = await findOrg(deps.db, invite.orgId);
  const inviter = invite.invitedBy === '' ? undefined : await findUserById(deps.db, invite.invitedBy);
  const account = await deps.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', invite.email)
    .executeTakeFirst();
  return {
    email: invite.email,
    orgName: org?.name ?? '',
    inviterName: inviter?.name ?? null,
    roleId: invite.roleId,
    roleName:
      deps.catalog.builtInRoles.get(invite.roleId)?.name ?? (await roleNameOf(deps.db, invite.roleId)),
    expiresAt: new Date(Number(invite.expiresAt)).toISOString(),
    existingAccount: account !== undefined,
  };
}

async function roleNameOf(db: Db, roleId: string): Promise<string> {
  const row = await db.selectFrom('roles').select('name').where('id', '=', roleId).executeTakeFirst();
  return row?.name ?? roleId;
}

/** Pending invitations addressed to a signed-in user; none while the address is unproved. */
export async function myInvitations(deps: Deps, user: UserRow) {
  if (user.emailVerifiedAt === null) return [];
  const rows = await invitesForEmail(deps.db, user.email, Date.now());
  return Promise.all(
    rows.map(async (row) => {
      const inviter = row.invitedBy === '' ? undefined : await findUserById(deps.db, row.invitedBy);
      return {
        id: row.id,
        orgId: row.orgId,
        orgName: row.orgName,
        inviterName: inviter?.name ?? null,
        roleId: row.roleId,
        roleName: deps.catalog.builtInRoles.get(row.roleId)?.name ?? (await roleNameOf(deps.db, row.roleId)),
        createdAt: new Date(Number(row.createdAt)).toISOString(),
        expiresAt: new Date(Number(row.expiresAt)).toISOString(),
      };
    }),
  );
}

/** A signed-in user accepts an invitation addressed to them from their console. */
export async function acceptMyInvitation(deps: Deps, ctx: RequestContext, user: UserRow, inviteId: string) {
  const invite = await findInviteById(deps.db, inviteId);
  if (
    invite === undefined ||
    invite.email !== user.email ||
    invite.acceptedAt !== null ||
    Date.now() >= Number(invite.expiresAt)
  ) {
    throw notFound('invitation');
  }
  refuseUnprovedAccount(user, false);
  await deps.db.transaction().execute((trx) => joinByInvite(trx, ctx, invite, user, false));
  deps.events.orgChanged(invite.orgId);
}

/** A signed-in user turns an invitation addressed to them down; its link stops working. */
export async function declineMyInvitation(deps: Deps, ctx: RequestContext, user: UserRow, inviteId: string) {
  const invite = await findInviteById(deps.db, inviteId);
  if (invite === undefined || invite.email !== user.email || invite.acceptedAt !== null) {
    throw notFound('invitation');
  }
  refuseUnprovedAccount(user, false);
  await deps.db.transaction().execute(async (trx) => {
    if (!(await deleteInvite(trx, invite.orgId, invite.id))) throw notFound('invitation');
    await recordAudit(trx, ctx, {
      orgId: invite.orgId,
      action: 'member.invite_declined',
      target: { type: 'invite', id: invite.id },
      details: { email: invite.email },
    });
  });
}
