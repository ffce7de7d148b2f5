import { keyedDigest } from '../auth/keyed.ts';
import type { Deps } from '../context.ts';
import { notFound } from '../errors.ts';
import { deleteSessionOfUser, deleteSessionsOfUser, sessionsOfUser } from './accounts.repository.ts';

/**
 * A session's public id: derived from the stored hash, so the Sessions page can name a session without
 * anything that could be replayed as a cookie (the cookie's HMAC never leaves the server either).
 */
const publicIdOf = (deps: Deps, idHash: string) =>
  `ses_${keyedDigest(deps, 'session-public', idHash).slice(0, 22)}`;

export interface SessionEntry {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

export async function listSessions(deps: Deps, userId: string, currentHash: string): Promise<SessionEntry[]> {
  const now = Date.now();
  const rows = await sessionsOfUser(deps.db, userId);
  return rows
    .filter((r) => Number(r.expiresAt) > now && now - Number(r.lastSeenAt) < deps.config.sessionIdleMs)
    .map((r) => ({
      id: publicIdOf(deps, r.idHash),
      current: r.idHash === currentHash,
      createdAt: new Date(Number(r.createdAt)).toISOString(),
      lastSeenAt: new Date(Number(r.lastSeenAt)).toISOString(),
      expiresAt: new Date(Number(r.expiresAt)).toISOString(),
      ip: r.ip,
      userAgent: r.userAgent,
    }));
}

/** Ends one of the user's sessions by its public id; answers whether it was the current one. */
export async function endSession(deps: Deps, userId: string, publicId: string, currentHash: string) {
  const rows = await sessionsOfUser(deps.db, userId);
  const row = rows.find((r) => publicIdOf(deps, r.idHash) === publicId);
  if (row === undefined || !(await deleteSessionOfUser(deps.db, userId, row.idHash)))
    throw notFound('session');
  return { current: row.idHash === currentHash };
}

export function endOtherSessions(deps: Deps, userId: string, currentHash: string): Promise<number> {
  return deleteSessionsOfUser(deps.db, userId, currentHash);
}
