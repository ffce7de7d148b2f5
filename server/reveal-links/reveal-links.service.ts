import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { recordAudit, type SystemContext } from '../audit/audit.service.ts';
import type { Deps, RequestContext } from '../context.ts';
import type { TokenRow } from '../db/schema.ts';
import { invalid, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { OrgAccess } from '../orgs/access.ts';
import { findOrg } from '../orgs/orgs.repository.ts';
import { parseDurationSeconds } from '../tokens/durations.ts';
import { actorOf, enforce, grantsOfRow, holdingOf } from '../tokens/token-holding.ts';
import { canObtainValue, canSeeToken } from '../tokens/token-policy.ts';
import { findToken } from '../tokens/tokens.repository.ts';
import {
  consumeRevealLink,
  dropExpiredCiphertexts,
  findRevealLinkByKeyHash,
  insertRevealLink,
  type RevealLinkRow,
  revealLinksOfToken,
} from './reveal-links.repository.ts';

/** A link's lifetime: 15 minutes unless asked, from one minute to seven days. */
export const DEFAULT_LINK_TTL = '15m';
const MIN_TTL_SECONDS = 60;
const MAX_TTL_SECONDS = 7 * 86_400;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What the creator gets: the link (its fragment holds the only copy of the key) and when it stops working. */
export interface IssuedLink {
  id: string;
  url: string;
  expiresAt: string;
}

export interface RevealLinkView {
  id: string;
  tokenId: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  status: 'pending' | 'opened' | 'expired';
  openedAt: string | null;
  openedIp: string | null;
}

export type OpenedLink =
  | {
      status: 'revealed';
      token: string;
      clientId: string;
      tokenName: string;
      orgName: string;
      expiresAt: string | null;
    }
  | { status: 'opened'; openedAt: string }
  | { status: 'expired'; expiredAt: string };

const iso = (ms: number | bigint) => new Date(Number(ms)).toISOString();

/** SHA-256 of the key's bytes, hex: what finds a link. A copy of the database cannot recover the key from it. */
export function keyHashOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The key in a link's fragment, or null when it is not 32 bytes of base64url. */
export function parseLinkKey(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return null;
  const key = Buffer.from(text, 'base64url');
  return key.length === KEY_BYTES ? key : null;
}

/** AES-256-GCM under `key`, bound to the link's id: base64url(iv ‖ tag ‖ ciphertext). */
export function sealValue(value: string, key: Buffer, linkId: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(linkId, 'utf8'));
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The value, or null when the key or the link id does not match (GCM's tag fails). */
export function unsealValue(sealed: string, key: Buffer, linkId: string): string | null {
  const bytes = Buffer.from(sealed, 'base64url');
  if (bytes.length <= IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(linkId, 'utf8'));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return null;
  }
}

/** Seconds of a link's lifetime from `ttl` ("15m", "1h", 900), bad input naming the field otherwise. */
export function linkTtlSeconds(ttl: string | number | undefined, field = 'deliver.link.ttl'): number {
  const seconds = parseDurationSeconds(ttl ?? DEFAULT_LINK_TTL);
  if (seconds === null) throw invalid(`${field} must be seconds or a number with s, m, h or d`, { field });
  if (seconds < MIN_TTL_SECONDS || seconds > MAX_TTL_SECONDS) {
    throw invalid(`${field} must be between 1 minute and 7 days`, { field });
  }
  return seconds;
}

/**
 * Keeps `value` encrypted under a fresh random key and answers the link that holds the key in its fragment
 * (browsers never send a fragment to the server). The caller has already been allowed to obtain the value.
 */
export async function createRevealLink(
  deps: Deps,
  ctx: RequestContext,
  token: Pick<TokenRow, 'id' | 'orgId' | 'name'>,
  value: string,
  ttlSeconds: number,
): Promise<IssuedLink> {
  const now = Date.now();
  const key = randomBytes(KEY_BYTES);
  const id = newId('rvl');
  const row: RevealLinkRow = {
    id,
    orgId: token.orgId,
    tokenId: token.id,
    createdBy: ctx.principal.type === 'user' ? ctx.principal.user.id : ctx.principal.token.id,
    keyHash: keyHashOf(key),
    ciphertext: sealValue(value, key, id),
    createdAt: now,
    expiresAt: now + ttlSeconds * 1000,
    openedAt: null,
    openedIp: null,
  };
  await deps.db.transaction().execute(async (trx) => {
    await dropExpiredCiphertexts(trx, now);
    await insertRevealLink(trx, row);
    await recordAudit(trx, ctx, {
      orgId: token.orgId,
      action: 'token.link_created',
      target: { type: 'token', id: token.id },
      details: { name: token.name, linkId: id, expiresAt: iso(row.expiresAt) },
    });
  });
  return {
    id,
    url: `${deps.publicUrl()}/reveal#${key.toString('base64url')}`,
    expiresAt: iso(row.expiresAt),
  };
}

/**
 * Opens a link: the first opener gets the value, and its ciphertext is deleted in the same transaction;
 * later openers learn that and when it was opened; after its lifetime it says it expired. A key that
 * names no link is 404 and changes nothing.
 */
export async function openRevealLink(deps: Deps, ctx: SystemContext, keyText: string): Promise<OpenedLink> {
  const key = parseLinkKey(keyText);
  if (key === null) throw invalid('key must be the 43 characters after "#" in the link', { field: 'key' });
  const now = Date.now();
  const opened = await deps.db.transaction().execute(async (trx) => {
    const row = await findRevealLinkByKeyHash(trx, keyHashOf(key));
    if (row === undefined) return undefined;
    if (row.openedAt !== null) return { row, outcome: 'opened' as const };
    if (Number(row.expiresAt) <= now || row.ciphertext === null) {
      await dropExpiredCiphertexts(trx, now);
      return { row, outcome: 'expired' as const };
    }
    const value = unsealValue(row.ciphertext, key, row.id);
    // The hash matched, so the key is the link's: a failure here is a damaged row, not a guess.
    if (value === null) throw new Error('a reveal link could not be decrypted with its own key');
    if (!(await consumeRevealLink(trx, row.id, { at: now, ip: ctx.ip ?? '' }))) {
      return { row, outcome: 'opened' as const };
    }
    await recordAudit(trx, ctx, {
      orgId: row.orgId,
      action: 'token.link_opened',
      target: { type: 'token', id: row.tokenId },
      details: { linkId: row.id },
    });
    return { row, outcome: 'revealed' as const, value };
  });
  if (opened === undefined) throw notFound('link');
  const { row } = opened;
  if (opened.outcome === 'opened') {
    const current = await findRevealLinkByKeyHash(deps.db, row.keyHash);
    return { status: 'opened', openedAt: iso(current?.openedAt ?? row.openedAt ?? now) };
  }
  if (opened.outcome === 'expired') return { status: 'expired', expiredAt: iso(row.expiresAt) };
  const [token, org] = await Promise.all([
    findToken(deps.db, row.orgId, row.tokenId),
    findOrg(deps.db, row.orgId),
  ]);
  return {
    status: 'revealed',
    token: opened.value,
    clientId: row.tokenId,
    tokenName: token?.name ?? '',
    orgName: org?.name ?? '',
    expiresAt: token?.expiresAt === null || token === undefined ? null : iso(token.expiresAt),
  };
}

function viewOf(row: RevealLinkRow, now: number): RevealLinkView {
  let status: RevealLinkView['status'] = 'pending';
  if (row.openedAt !== null) status = 'opened';
  else if (Number(row.expiresAt) <= now) status = 'expired';
  return {
    id: row.id,
    tokenId: row.tokenId,
    createdBy: row.createdBy,
    createdAt: iso(row.createdAt),
    expiresAt: iso(row.expiresAt),
    status,
    openedAt: row.openedAt === null ? null : iso(row.openedAt),
    openedIp: row.openedIp,
  };
}

/** A token's links, newest first, for whoever may see the token: whether and when each was opened. */
export async function listRevealLinks(deps: Deps, access: OrgAccess, tokenId: string) {
  const row = await findToken(deps.db, access.orgId, tokenId);
  if (row === undefined) throw notFound('token');
  enforce(canSeeToken(actorOf(access), row));
  const now = Date.now();
  return { items: (await revealLinksOfToken(deps.db, row.id)).map((r) => viewOf(r, now)) };
}

/**
 * A link for a value the caller already holds (the reveal dialog's "Create a one-time link"): the value
 * must be a live value of this token, and handing it on is obtaining it (the token policy decides).
 */
export async function linkForHeldValue(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  tokenId: string,
  value: string,
  ttl: string | number | undefined,
): Promise<IssuedLink> {
  const ttlSeconds = linkTtlSeconds(ttl, 'ttl');
  const row = await findToken(deps.db, access.orgId, tokenId);
  if (row === undefined) throw notFound('token');
  const actor = actorOf(access);
  enforce(canSeeToken(actor, row));
  enforce(canObtainValue(actor, row, await holdingOf(deps, row.orgId, grantsOfRow(row))));
  const resolved = await deps.verifier.resolve(value);
  const now = Date.now();
  if (
    typeof resolved === 'string' ||
    resolved.id !== row.id ||
    resolved.revoked ||
    (resolved.valueNotAfter !== null && resolved.valueNotAfter <= now)
  ) {
    throw invalid('this value is not a working value of the token', { field: 'token' });
  }
  return createRevealLink(deps, ctx, row, value, ttlSeconds);
}
