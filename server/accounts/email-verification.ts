import { recordAudit } from '../audit/audit.service.ts';
import { actingAs, type RequestInfo } from '../auth/auth.service.ts';
import { findUserById } from '../auth/users.repository.ts';
import type { Deps } from '../context.ts';
import type { UserRow } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { queueMail } from '../jobs/queue.ts';
import { verifyEmailMail } from '../mail/templates.ts';
import { issueAccountLink, spendAccountLink, usableAccountLink } from './account-links.ts';
import { countRecentLinks, orgIdsOfUser, setEmailVerified } from './accounts.repository.ts';

const VERIFY_LINK_TTL_MS = 24 * 3_600_000;
const VERIFY_MAILS_PER_HOUR = 3;

/** Mails the signed-in user a link that proves their address when opened. */
export async function sendVerificationMail(
  deps: Deps,
  user: UserRow,
): Promise<{ emailVerified: boolean; sent: boolean; delivery: { email: 'smtp' | 'outbox' } | null }> {
  if (user.emailVerifiedAt !== null) return { emailVerified: true, sent: false, delivery: null };
  const now = Date.now();
  await deps.db.transaction().execute(async (trx) => {
    if ((await countRecentLinks(trx, user.id, 'verify_email', now - 3_600_000)) >= VERIFY_MAILS_PER_HOUR) {
      throw new AppError(
        'RATE_LIMITED',
        'three verification mails went out this hour; wait for them',
        undefined,
        {
          'retry-after': '3600',
        },
      );
    }
    const { secret, expiresAt } = await issueAccountLink(trx, deps, {
      user,
      purpose: 'verify_email',
      email: user.email,
      ttlMs: VERIFY_LINK_TTL_MS,
    });
    await queueMail(
      trx,
      deps.sealers.mail,
      verifyEmailMail({
        to: user.email,
        name: user.name,
        url: `${deps.publicUrl()}/verify-email#token=${secret}`,
        expiresAt: new Date(expiresAt),
      }),
      now,
    );
  });
  return { emailVerified: false, sent: true, delivery: { email: deps.mailer.transport } };
}

/** Opening the mailed link: the address it was sent to is proved (if the account still has it). */
export async function confirmEmail(
  deps: Deps,
  token: string,
  request: RequestInfo,
): Promise<{ email: string }> {
  const link = await usableAccountLink(deps, 'verify_email', token);
  const user = await findUserById(deps.db, link.userId);
  if (user === undefined) throw new Error('verification link of a vanished user');
  await deps.db.transaction().execute(async (trx) => {
    await spendAccountLink(trx, link.id);
    if (!(await setEmailVerified(trx, user.id, link.email, Date.now()))) return;
    for (const orgId of await orgIdsOfUser(trx, user.id)) {
      await recordAudit(trx, actingAs(user, request), {
        orgId,
        action: 'user.email_verified',
        target: { type: 'user', id: user.id },
        details: { email: link.email, via: 'link' },
      });
    }
  });
  return { email: link.email };
}
