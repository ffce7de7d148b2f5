import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { newId } from '../ids.ts';
import { expiringTokenMail, unusedTokenMail } from '../mail/templates.ts';
import { emitWebhookEvent } from '../webhooks/events.ts';
import {
  existingNotices,
  insertNotice,
  memberEmail,
  orgName,
  tokensExpiringBetween,
  unusedTokens,
} from './jobs.repository.ts';
import { queueMail } from './queue.ts';
import type { Sealer } from './seal.ts';

const DAY_MS = 86_400_000;
export const EXPIRING_WITHIN_DAYS = 7;
export const UNUSED_AFTER_DAYS = 90;
const PAGE = 200;

interface ScanOptions {
  db: Kysely<Database>;
  mailSealer: Sealer;
  publicUrl: () => string;
  now: number;
}

interface TokenLike {
  id: string;
  orgId: string;
  kind: 'personal' | 'application';
  ownerId: string | null;
  createdBy: string;
  name: string;
  hint: string;
}

/** Who hears about a token: its owner, or for an application token the person who created it, while a member. */
const recipientOf = (t: TokenLike) => t.ownerId ?? (t.createdBy.startsWith('usr_') ? t.createdBy : null);

const tokenData = (t: TokenLike, extra: Record<string, unknown>) => ({
  token: { id: t.id, name: t.name, kind: t.kind, ownerId: t.ownerId, hint: t.hint, ...extra },
});

/**
 * Finds tokens that need a notice and queues each notice exactly once: the notice's key goes into the
 * `notices` table (primary key) in the same transaction as its mail and webhook deliveries, so two processes
 * scanning at once, or a scan repeated after a restart, never send it twice.
 *
 * - `token.expiring`: active tokens expiring within 7 days whose lifetime is longer than 7 days (a short-lived
 *   token's owner knows when it ends): a mail to the owner and the webhook event. Key: id + expiry, so a
 *   token whose expiry changes would be noticed again.
 * - `token.expired`: tokens that expired within the last 7 days: the webhook event.
 * - `token.unused`: in orgs whose policy has `notifyUnused`, active tokens not used for 90 days: a mail.
 *   Key: id + last use, so a token used again and then forgotten again is noticed again.
 */
export async function scanNotices(options: ScanOptions): Promise<void> {
  const { db, now } = options;
  const names = new Map<string, string>();
  const nameOf = async (orgId: string) => {
    let name = names.get(orgId);
    if (name === undefined) {
      name = await orgName(db, orgId);
      names.set(orgId, name);
    }
    return name;
  };

  // Expiring soon, and expired recently.
  for (let after = ''; ; ) {
    const rows = await tokensExpiringBetween(
      db,
      now - EXPIRING_WITHIN_DAYS * DAY_MS,
      now + EXPIRING_WITHIN_DAYS * DAY_MS,
      after,
      PAGE,
    );
    if (rows.length === 0) break;
    after = rows[rows.length - 1]?.id ?? after;
    const keyOf = (r: (typeof rows)[number]) =>
      `${Number(r.expiresAt) > now ? 'token.expiring' : 'token.expired'}:${r.id}:${r.expiresAt}`;
    const candidates = rows.filter((r) => {
      if (Number(r.expiresAt) > now) {
        return (
          r.status === 'active' && Number(r.expiresAt) - Number(r.createdAt) > EXPIRING_WITHIN_DAYS * DAY_MS
        );
      }
      return true;
    });
    const done = await existingNotices(db, candidates.map(keyOf));
    for (const row of candidates) {
      const key = keyOf(row);
      if (done.has(key)) continue;
      const expiresAt = new Date(Number(row.expiresAt));
      const expiring = key.startsWith('token.expiring');
      const userId = recipientOf(row);
      const name = await nameOf(row.orgId);
      await db.transaction().execute(async (trx) => {
        if (!(await insertNotice(trx, key, now))) return;
        await emitWebhookEvent(
          trx,
          {
            id: newId('evt'),
            type: expiring ? 'token.expiring' : 'token.expired',
            createdAt: new Date(now).toISOString(),
            orgId: row.orgId,
            data: tokenData(row, { expiresAt: expiresAt.toISOString() }),
          },
          now,
        );
        if (!expiring || userId === null) return;
        const to = await memberEmail(trx, row.orgId, userId);
        if (to === undefined) return;
        await queueMail(
          trx,
          options.mailSealer,
          expiringTokenMail({
            to,
            orgId: row.orgId,
            orgName: name,
            tokenName: row.name,
            hint: row.hint,
            expiresAt,
            url: `${options.publicUrl()}/orgs/${row.orgId}/tokens?create=${row.id}`,
          }),
          now,
        );
      });
    }
    if (rows.length < PAGE) break;
  }

  // Unused for 90 days, where the org asked for it.
  for (let after = ''; ; ) {
    const rows = await unusedTokens(db, now - UNUSED_AFTER_DAYS * DAY_MS, now, after, PAGE);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]?.id ?? after;
    const keyOf = (r: (typeof rows)[number]) => `token.unused:${r.id}:${r.lastUsedAt ?? r.createdAt}`;
    const done = await existingNotices(db, rows.map(keyOf));
    for (const row of rows) {
      const key = keyOf(row);
      if (done.has(key)) continue;
      const userId = recipientOf(row);
      const name = await nameOf(row.orgId);
      await db.transaction().execute(async (trx) => {
        if (!(await insertNotice(trx, key, now))) return;
        if (userId === null) return;
        const to = await memberEmail(trx, row.orgId, userId);
        if (to === undefined) return;
        await queueMail(
          trx,
          options.mailSealer,
          unusedTokenMail({
            to,
            orgId: row.orgId,
            orgName: name,
            tokenName: row.name,
            hint: row.hint,
            lastUsedAt: row.lastUsedAt === null ? null : new Date(Number(row.lastUsedAt)),
            days: UNUSED_AFTER_DAYS,
            url: `${options.publicUrl()}/orgs/${row.orgId}/tokens`,
          }),
          now,
        );
      });
    }
    if (rows.length < PAGE) break;
  }
}
