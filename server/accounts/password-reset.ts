import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/audit.service.ts';
import { actingAs, type RequestInfo } from '../auth/auth.service.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import { findUserByEmail, findUserById } from '../auth/users.repository.ts';
import type { Deps } from '../context.ts';
import type { Database, UserRow } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { queueMail } from '../jobs/queue.ts';
import { passwordResetMail } from '../mail/templates.ts';
import { issueAccountLink, spendAccountLink, usableAccountLink } from './account-links.ts';
import {
  countRecentLinks,
  deleteSessionsOfUser,
  endUnusedLinks,
  orgIdsOfUser,
  setEmailVerified,
  setPasswordHash,
} from './accounts.repository.ts';

export const RESET_LINK_TTL_MS = 30 * 60_000;
/** Reset mails per address per hour: enough for a lost mail, too few to flood a mailbox. */
export const RESET_MAILS_PER_HOUR = 3;

/** The page of the console that reads the secret from the fragment (never sent to a server or logged). */
export const resetUrl = (publicUrl: string, secret: string) => `${publicUrl}/reset-password#token=${secret}`;

/**
 * A reset link for an account, printed by `latchkey users reset-password` on the server host: the operator's
 * way in when no mail works. It reached no mailbox, so using it proves no address.
 */
export async function operatorResetLink(
  db: Kysely<Database>,
  keys: { secret: Buffer },
  publicUrl: string,
  email: string,
): Promise<{ url: string; expiresAt: Date } | undefined> {
  const user = await findUserByEmail(db, email);
  if (user === undefined) return undefined;
  const { secret, expiresAt } = await issueAccountLink(db, keys, {
    user,
    purpose: 'password_reset',
    email: '',
    ttlMs: RESET_LINK_TTL_MS,
  });
  return { url: resetUrl(publicUrl, secret), expiresAt: new Date(expiresAt) };
}

/**
 * "Forgot password?": mails a one-time link when the address has an account and fewer than
 * RESET_MAILS_PER_HOUR went out this hour. The caller answers the same whatever happened here.
 */
export async function requestPasswordReset(deps: Deps, email: string): Promise<void> {
  const user = await findUserByEmail(deps.db, email);
  if (user === undefined) return;
  const now = Date.now();
  await deps.db.transaction().execute(async (trx) => {
    if ((await countRecentLinks(trx, user.id, 'password_reset', now - 3_600_000)) >= RESET_MAILS_PER_HOUR)
      return;
    const { secret, expiresAt } = await issueAccountLink(trx, deps, {
      user,
      purpose: 'password_reset',
      email: user.email,
      ttlMs: RESET_LINK_TTL_MS,
    });
    await queueMail(
      trx,
      deps.sealers.mail,
      passwordResetMail({
        to: user.email,
        name: user.name,
        url: resetUrl(deps.publicUrl(), secret),
        expiresAt: new Date(expiresAt),
      }),
      now,
    );
  });
}

/** Whose link this is (the page greets them); the same 404 for unknown, used and expired links. */
export async function resetLinkOwner(deps: Deps, secret: string): Promise<{ email: string }> {
  const link = await usableAccountLink(deps, 'password_reset', secret);
  const user = await findUserById(deps.db, link.userId);
  return { email: user?.email ?? '' };
}

/**
 * Sets a new password through a reset link: the link and every other unused reset link end, every session
 * of the account ends, and a link that was mailed proves the address it went to.
 */
export async function completePasswordReset(
  deps: Deps,
  input: { token: string; password: string },
  request: RequestInfo,
): Promise<UserRow> {
  const link = await usableAccountLink(deps, 'password_reset', input.token);
  const user = await findUserById(deps.db, link.userId);
  if (user === undefined) throw new Error('reset link of a vanished user');
  const passwordHash = await hashPassword(input.password);
  const now = Date.now();
  await deps.db.transaction().execute(async (trx) => {
    await spendAccountLink(trx, link.id);
    await setPasswordHash(trx, user.id, passwordHash);
    await endUnusedLinks(trx, user.id, 'password_reset', now);
    const endedSessions = await deleteSessionsOfUser(trx, user.id, null);
    const verified = link.email !== '' && (await setEmailVerified(trx, user.id, link.email, now));
    for (const orgId of await orgIdsOfUser(trx, user.id)) {
      await recordAudit(trx, actingAs(user, request), {
        orgId,
        action: 'user.password_reset',
        target: { type: 'user', id: user.id },
        details: { via: link.email === '' ? 'operator' : 'email', endedSessions, emailVerified: verified },
      });
    }
  });
  return user;
}

/** A signed-in person changes their password: the current one is needed, and every other session ends. */
export async function changePassword(
  deps: Deps,
  principal: { user: UserRow; sessionHash: string },
  input: { currentPassword: string; newPassword: string },
  request: RequestInfo,
): Promise<void> {
  const { user } = principal;
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    throw new AppError('UNAUTHENTICATED', 'the current password is wrong', {
      fields: [{ field: 'currentPassword', message: 'The current password is wrong.' }],
    });
  }
  const passwordHash = await hashPassword(input.newPassword);
  await deps.db.transaction().execute(async (trx) => {
    await setPasswordHash(trx, user.id, passwordHash);
    const endedSessions = await deleteSessionsOfUser(trx, user.id, principal.sessionHash);
    await endUnusedLinks(trx, user.id, 'password_reset', Date.now());
    for (const orgId of await orgIdsOfUser(trx, user.id)) {
      await recordAudit(trx, actingAs(user, request), {
        orgId,
        action: 'user.password_changed',
        target: { type: 'user', id: user.id },
        details: { endedSessions },
      });
    }
  });
}
