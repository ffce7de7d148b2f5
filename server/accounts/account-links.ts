import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { keyedDigest } from '../auth/keyed.ts';
import type { Deps } from '../context.ts';
import type { AccountLinksTable, Database, UserRow } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { newId } from '../ids.ts';
import { findAccountLink, insertAccountLink, useAccountLink } from './accounts.repository.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type LinkPurpose = AccountLinksTable['purpose'];

const hashOf = (keys: Pick<Deps, 'secret'>, purpose: LinkPurpose, secret: string) =>
  keyedDigest(keys, `account-link:${purpose}`, secret);

/**
 * A one-time secret for an account: only its HMAC is stored. `email` is the address the link is mailed
 * to, which opening it proves; '' for a link that reached no mailbox (printed by the CLI on the server host).
 */
export async function issueAccountLink(
  db: Db,
  keys: Pick<Deps, 'secret'>,
  input: { user: UserRow; purpose: LinkPurpose; email: string; ttlMs: number },
): Promise<{ secret: string; expiresAt: number }> {
  const secret = randomBytes(32).toString('base64url');
  const now = Date.now();
  const expiresAt = now + input.ttlMs;
  await insertAccountLink(db, {
    id: newId('lnk'),
    userId: input.user.id,
    purpose: input.purpose,
    secretHash: hashOf(keys, input.purpose, secret),
    email: input.email,
    createdAt: now,
    expiresAt,
  });
  return { secret, expiresAt };
}

const unusable = () => new AppError('NOT_FOUND', 'this link is unknown, used or expired: ask for a new one');

/** A link that is still usable (unknown, used and expired ones get one and the same answer). */
export async function usableAccountLink(deps: Deps, purpose: LinkPurpose, secret: string) {
  const link = await findAccountLink(deps.db, purpose, hashOf(deps, purpose, secret));
  if (link === undefined || link.usedAt !== null || Date.now() >= Number(link.expiresAt)) throw unusable();
  return link;
}

/** Uses a link inside the caller's transaction; a second request with the same link loses. */
export async function spendAccountLink(trx: Transaction<Database>, id: string): Promise<void> {
  if (!(await useAccountLink(trx, id, Date.now()))) throw unusable();
}
