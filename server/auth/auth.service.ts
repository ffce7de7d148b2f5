import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { recordAudit } from '../audit/audit.service.ts';
import type { Deps, Principal, RequestContext } from '../context.ts';
import type { UserRow } from '../db/schema.ts';
import { AppError, conflict, invalid } from '../errors.ts';
import { newId } from '../ids.ts';
import {
  consumeInvite,
  findInviteByHash,
  findMembership,
  insertMember,
} from '../members/members.repository.ts';
import { insertOrgWithAdmin, listOrgs, type OrgView } from '../orgs/orgs.service.ts';
import { findToken } from '../tokens/tokens.repository.ts';
import { type TokenInfo, tokenInfo } from '../tokens/tokens.service.ts';
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

const keyed = (deps: Deps, purpose: string, value: string) =>
  createHmac('sha256', deps.secret).update(`${purpose}:${value}`).digest('base64url');

export const sessionHashOf = (deps: Deps, sessionId: string) => keyed(deps, 'session', sessionId);
/** The CSRF token is derived from the session, so there is nothing more to store or to leak. */
export const csrfTokenOf = (deps: Deps, sessionHash: string) => keyed(deps, 'csrf', sessionHash);

export function csrfMatches(deps: Deps, sessionHash: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const expected = Buffer.from(csrfTokenOf(deps, sessionHash));
  const actual = Buffer.from(presented);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

async function startSession(deps: Deps, user: UserRow): Promise<NewSession> {
  const sessionId = randomBytes(32).toString('base64url');
  const now = Date.now();
  const sessionHash = sessionHashOf(deps, sessionId);
  await insertSession(deps.db, {
    idHash: sessionHash,
    userId: user.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + deps.config.sessionTtlMs,
  });
  return { sessionId, sessionHash, user };
}

export async function resolveSession(
  deps: Deps,
  sessionId: string,
): Promise<{ user: UserRow; sessionHash: string } | null> {
  const sessionHash = sessionHashOf(deps, sessionId);
  const row = await findSessionWithUser(deps.db, sessionHash);
  if (row === undefined) return null;
  const now = Date.now();
  if (now >= Number(row.expiresAt) || now - Number(row.lastSeenAt) >= deps.config.sessionIdleMs) {
    await deleteSession(deps.db, sessionHash);
    return null;
  }
  // Idle tracking needs minute precision at most; skipping most writes keeps reads cheap.
  if (now - Number(row.lastSeenAt) > 60_000) await touchSession(deps.db, sessionHash, now);
  const { idHash: _, lastSeenAt: __, expiresAt: ___, ...user } = row;
  return { user, sessionHash };
}

export async function setupNeeded(deps: Deps): Promise<boolean> {
  return !(await anyUserExists(deps.db));
}

type RequestInfo = { ip: string; userAgent: string | null; requestId: string };

/** The audit context of a person acting before they have a session (first run, accepting an invite). */
function actingAs(user: UserRow, request: RequestInfo): RequestContext {
  return { principal: { type: 'user', user, sessionHash: '' }, ...request };
}

export async function setup(
  deps: Deps,
  input: { email: string; password: string; name: string; orgName: string },
  request: RequestInfo,
): Promise<NewSession> {
  const passwordHash = await hashPassword(input.password);
  const user: UserRow = {
    id: newId('usr'),
    email: input.email.toLowerCase(),
    name: input.name,
    passwordHash,
    createdAt: Date.now(),
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
  return startSession(deps, user);
}

export async function login(deps: Deps, input: { email: string; password: string }): Promise<NewSession> {
  const user = await findUserByEmail(deps.db, input.email);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (user === undefined || !ok) throw new AppError('UNAUTHENTICATED', 'wrong e-mail or password');
  return startSession(deps, user);
}

export async function logout(deps: Deps, sessionHash: string): Promise<void> {
  await deleteSession(deps.db, sessionHash);
}

export async function acceptInvite(
  deps: Deps,
  input: { inviteToken: string; password: string; name: string },
  request: RequestInfo,
): Promise<NewSession> {
  const invite = await findInviteByHash(deps.db, keyed(deps, 'invite', input.inviteToken));
  const now = Date.now();
  if (invite === undefined || invite.acceptedAt !== null || now >= Number(invite.expiresAt)) {
    throw new AppError('NOT_FOUND', 'this invitation is unknown, used or expired');
  }
  const existing = await findUserByEmail(deps.db, invite.email);
  if (existing !== undefined && !(await verifyPassword(input.password, existing.passwordHash))) {
    throw new AppError('UNAUTHENTICATED', 'an account with this e-mail exists: enter its password');
  }
  const member: UserRow = existing ?? {
    id: newId('usr'),
    email: invite.email,
    name: input.name,
    passwordHash: await hashPassword(input.password),
    createdAt: now,
  };
  await deps.db.transaction().execute(async (trx) => {
    if (!(await consumeInvite(trx, invite.id, now)))
      throw new AppError('NOT_FOUND', 'this invitation was used');
    if (existing === undefined) await insertUser(trx, member);
    if (await findMembership(trx, invite.orgId, member.id)) return;
    await insertMember(trx, {
      orgId: invite.orgId,
      userId: member.id,
      roleId: invite.roleId,
      createdAt: now,
    });
    await recordAudit(trx, actingAs(member, request), {
      orgId: invite.orgId,
      action: 'member.added',
      target: { type: 'user', id: member.id },
      details: { roleId: invite.roleId, via: 'invite', inviteId: invite.id },
    });
  });
  deps.events.orgChanged(invite.orgId);
  return startSession(deps, member);
}

export const inviteHashOf = (deps: Deps, inviteToken: string) => keyed(deps, 'invite', inviteToken);

export interface SessionView {
  user: { id: string; email: string; name: string; createdAt: string } | null;
  orgs: OrgView[];
  csrfToken: string | null;
  token?: TokenInfo;
}

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
