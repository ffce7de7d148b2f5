import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { recordAudit } from '../audit/audit.service.ts';
import type { Deps, Principal, RequestContext } from '../context.ts';
import type { UserRow } from '../db/schema.ts';
import { AppError, conflict, forbidden, invalid } from '../errors.ts';
import { newId } from '../ids.ts';
import {
  joinByInvite,
  mailboxProofMatches,
  refuseUnprovedAccount,
  usableInvite,
} from '../members/invitations.service.ts';
import { insertOrgWithAdmin, listOrgs } from '../orgs/orgs.service.ts';
import { findToken } from '../tokens/tokens.repository.ts';
import { tokenInfo } from '../tokens/tokens.service.ts';
import { keyedDigest, sameSecret } from './keyed.ts';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords.ts';
import {
  anyUserExists,
  deleteSession,
  findSessionWithUser,
  findUserByEmail,
  findUserById,
  insertSession,
  insertUser,
  touchSession,
} from './users.repository.ts';

export interface NewSession {
  /** The cookie value: only this response ever holds it; the database keeps its HMAC. */
  sessionId: string;
  sessionHash: string;
  user: UserRow;
}

export const sessionHashOf = (deps: Deps, sessionId: string) => keyedDigest(deps, 'session', sessionId);
/** The CSRF token is derived from the session, so there is nothing more to store or to leak. */
export const csrfTokenOf = (deps: Deps, sessionHash: string) => keyedDigest(deps, 'csrf', sessionHash);

export function csrfMatches(deps: Deps, sessionHash: string, presented: string | undefined): boolean {
  return sameSecret(csrfTokenOf(deps, sessionHash), presented);
}

export async function startSession(
  deps: Deps,
  user: UserRow,
  request: RequestInfo,
  authMethod = 'password',
): Promise<NewSession> {
  const sessionId = randomBytes(32).toString('base64url');
  const now = Date.now();
  const sessionHash = sessionHashOf(deps, sessionId);
  await insertSession(deps.db, {
    idHash: sessionHash,
    userId: user.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + deps.config.sessionTtlMs,
    ip: request.ip,
    userAgent: request.userAgent,
    authMethod,
  });
  return { sessionId, sessionHash, user };
}

export async function resolveSession(
  deps: Deps,
  sessionId: string,
  seenFrom?: string,
): Promise<{ user: UserRow; sessionHash: string; viaSso: boolean } | null> {
  const sessionHash = sessionHashOf(deps, sessionId);
  const row = await findSessionWithUser(deps.db, sessionHash);
  if (row === undefined) return null;
  const now = Date.now();
  if (now >= Number(row.expiresAt) || now - Number(row.lastSeenAt) >= deps.config.sessionIdleMs) {
    await deleteSession(deps.db, sessionHash);
    return null;
  }
  // Idle tracking needs minute precision at most; skipping most writes keeps reads cheap.
  if (now - Number(row.lastSeenAt) > 60_000) await touchSession(deps.db, sessionHash, now, seenFrom);
  const { idHash: _, lastSeenAt: __, expiresAt: ___, authMethod, ...user } = row;
  return { user, sessionHash, viaSso: authMethod?.startsWith('sso:') === true };
}

export async function setupNeeded(deps: Deps): Promise<boolean> {
  return !(await anyUserExists(deps.db));
}

export type RequestInfo = { ip: string; userAgent: string | null; requestId: string };

/** The audit context of a person acting before they have a session (first run, accepting an invite). */
export function actingAs(user: UserRow, request: RequestInfo): RequestContext {
  return { principal: { type: 'user', user, sessionHash: '' }, ...request };
}

export async function setup(
  deps: Deps,
  input: { email: string; password: string; name: string; orgName: string },
  request: RequestInfo,
): Promise<NewSession> {
  const passwordHash = await hashPassword(input.password);
  // The first user's address is as unproved as anyone's: they may verify it from their account page.
  const user: UserRow = {
    id: newId('usr'),
    email: input.email.toLowerCase(),
    name: input.name,
    passwordHash,
    createdAt: Date.now(),
    emailVerifiedAt: null,
    totpSecretSealed: null,
    totpEnabledAt: null,
    totpLastStep: null,
  };
  await deps.db.transaction().execute(async (trx) => {
    // Two first-run forms sent at once: only one may create the first user.
    if (deps.database.dialect === 'postgres') await sql`LOCK TABLE users IN EXCLUSIVE MODE`.execute(trx);
    if (await anyUserExists(trx)) throw conflict('setup is done; sign in instead');
    await insertUser(trx, user);
    const org = await insertOrgWithAdmin(trx, { name: input.orgName }, user.id);
    await recordAudit(trx, actingAs(user, request), {
      orgId: org.id,
      action: 'org.created',
      target: { type: 'org', id: org.id },
      details: { name: org.name, setup: true },
    });
  });
  return startSession(deps, user, request);
}

/** The account behind an e-mail and password, or 401; an unknown address costs as long as a wrong password. */
export async function checkPassword(
  deps: Deps,
  input: { email: string; password: string },
): Promise<UserRow> {
  const user = await findUserByEmail(deps.db, input.email);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (user === undefined || !ok) throw new AppError('UNAUTHENTICATED', 'wrong e-mail or password');
  return user;
}

export async function logout(deps: Deps, sessionHash: string): Promise<void> {
  await deleteSession(deps.db, sessionHash);
}

/**
 * Accepting an invitation by its link. Without an account for the invited address, the person names
 * themselves and sets a password; the account's address counts as proved only with the mailed link's proof.
 * With an account, they must be signed in as it (a password alone would skip its second factor), and the
 * address must be proved (earlier, or by this very mail): rule 5 of docs/security.md.
 */
export async function acceptInvite(
  deps: Deps,
  input: {
    inviteToken: string;
    proof?: string | undefined;
    password?: string | undefined;
    name?: string | undefined;
  },
  request: RequestInfo,
  signedIn: { user: UserRow; sessionHash: string } | null,
): Promise<NewSession | { user: UserRow; sessionHash: string }> {
  const invite = await usableInvite(deps, input.inviteToken);
  const proved = mailboxProofMatches(deps, input.inviteToken, input.proof);
  const existing = await findUserByEmail(deps.db, invite.email);
  if (existing !== undefined) {
    if (signedIn === null) {
      throw new AppError(
        'UNAUTHENTICATED',
        `an account for ${invite.email} exists: sign in to it, then open the invitation again`,
        { reason: 'SIGN_IN_REQUIRED', email: invite.email },
      );
    }
    if (signedIn.user.id !== existing.id) {
      throw forbidden(`this invitation is for ${invite.email}; you are signed in as ${signedIn.user.email}`, {
        reason: 'OTHER_ACCOUNT',
      });
    }
    refuseUnprovedAccount(existing, proved);
    await deps.db
      .transaction()
      .execute((trx) => joinByInvite(trx, actingAs(existing, request), invite, existing, proved));
    deps.events.orgChanged(invite.orgId);
    return signedIn;
  }
  if (input.password === undefined || input.name === undefined) {
    const missing = [
      ...(input.password === undefined ? ['password'] : []),
      ...(input.name === undefined ? ['name'] : []),
    ];
    throw invalid(`a new account needs ${missing.join(' and ')}`, {
      fields: missing.map((field) => ({ field, message: `Enter your ${field}.` })),
    });
  }
  const now = Date.now();
  const member: UserRow = {
    id: newId('usr'),
    email: invite.email,
    name: input.name,
    passwordHash: await hashPassword(input.password),
    createdAt: now,
    emailVerifiedAt: null,
    totpSecretSealed: null,
    totpEnabledAt: null,
    totpLastStep: null,
  };
  await deps.db.transaction().execute(async (trx) => {
    // Two accepts racing for a new address: the unique e-mail lets one account exist.
    await insertUser(trx, member);
    await joinByInvite(trx, actingAs(member, request), invite, member, proved);
  });
  deps.events.orgChanged(invite.orgId);
  const created = proved ? { ...member, emailVerifiedAt: now } : member;
  return startSession(deps, created, request);
}

/** The session answer's shape is its route schema's (auth.schema.ts). */
import type { SessionView } from './auth.schema.ts';

export type { SessionView };

export async function sessionView(deps: Deps, principal: Principal): Promise<SessionView> {
  const orgs = await listOrgs(deps, principal);
  if (principal.type === 'user') {
    const { user } = principal;
    return {
      user: {
        id: user.id,
        email: user.email,
        name: user.name,
        createdAt: new Date(Number(user.createdAt)).toISOString(),
        emailVerified: user.emailVerifiedAt !== null,
        twoFactorEnabled: user.totpEnabledAt !== null,
      },
      orgs,
      csrfToken: csrfTokenOf(deps, principal.sessionHash),
    };
  }
  const row = await findToken(deps.db, principal.token.orgId, principal.token.id);
  if (row === undefined) throw invalid('token vanished');
  const owner = principal.token.ownerId;
  const ownerRow = owner === null ? undefined : await findUserByIdView(deps, owner);
  return { user: ownerRow ?? null, orgs, csrfToken: null, token: tokenInfo(row) };
}

async function findUserByIdView(deps: Deps, id: string) {
  const row = await findUserById(deps.db, id);
  return row
    ? {
        id: row.id,
        email: row.email,
        name: row.name,
        createdAt: new Date(Number(row.createdAt)).toISOString(),
      }
    : undefined;
}
