import type { Deps } from '../context.ts';
import { adminEmailsOf, digestOrgIds } from '../insights/insights.repository.ts';
import { buildReport, INSIGHT_DAYS, type InsightsReport } from '../insights/insights.service.ts';
import type { MailMessage } from '../mail/mailer.ts';
import { insertNotice, orgName } from './jobs.repository.ts';
import { queueMail } from './queue.ts';

const DAY_MS = 86_400_000;

/** Weeks since the Monday before 1970-01-01 (a Thursday), in UTC: the digest's once-only key. */
export const utcWeek = (at: number) => Math.floor((Math.floor(at / DAY_MS) + 3) / 7);

const FINDING_LINES: Record<keyof InsightsReport['counts'], string> = {
  exceeds_use: 'hold more than they used',
  never_used: 'were never used',
  no_expiry: 'never expire',
  past_age: 'are older than the configured age',
};

/** The digest mail: counts, then each token with its owner and what was found (names only, never a value). */
export function digestMail(input: {
  to: string;
  orgId: string;
  orgName: string;
  report: InsightsReport;
  url: string;
}): MailMessage {
  const { report } = input;
  const lines = [
    `Token insights for "${input.orgName}" (the last ${report.days} days):`,
    '',
    ...Object.entries(report.counts).map(
      ([key, n]) =>
        `${n} active token${n === 1 ? '' : 's'} ${FINDING_LINES[key as keyof typeof FINDING_LINES]}`,
    ),
    '',
    ...report.items.slice(0, 50).map((item) => {
      const owner = item.owner ? `${item.owner.name} <${item.owner.email}>` : 'no owner';
      return `- ${item.token.name} (${item.token.hint}), ${owner}: ${item.findings.join(', ')}; ${item.use.summary}`;
    }),
    ...(report.items.length > 50 ? [`… and ${report.items.length - 50} more.`] : []),
  ];
  const text = [...lines, '', `Review them: ${input.url}`].join('\n');
  const escapeHtml = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">',
    ...lines.map((l) => (l === '' ? '' : `<p>${escapeHtml(l)}</p>`)),
    `<p><a href="${escapeHtml(input.url)}">Review them</a></p>`,
    '</body></html>',
  ].join('\n');
  return {
    to: input.to,
    subject: `Weekly token insights for "${input.orgName}"`,
    text,
    html,
    orgId: input.orgId,
    kind: 'insights.digest',
  };
}

/**
 * Queues the weekly digest of each org that opted in, once per org and week on any number of processes (the
 * notice key `insights.digest:<org>:<week>` goes in with the mails, in one transaction), to its administrators;
 * a week with no finding sends nothing.
 */
export async function scanInsightDigests(deps: Deps, now = Date.now()): Promise<number> {
  let queued = 0;
  const week = utcWeek(now);
  for (const orgId of await digestOrgIds(deps.db)) {
    const key = `insights.digest:${orgId}:${week}`;
    const report = await buildReport(deps, orgId, INSIGHT_DAYS);
    const name = await orgName(deps.db, orgId);
    queued += await deps.db.transaction().execute(async (trx) => {
      if (!(await insertNotice(trx, key, now))) return 0;
      // The week is decided once: with nothing to clean up, the administrators get no mail at all.
      if (report.items.length === 0) return 0;
      const admins = await adminEmailsOf(trx, orgId);
      for (const to of admins) {
        await queueMail(
          trx,
          deps.sealers.mail,
          digestMail({ to, orgId, orgName: name, report, url: `${deps.publicUrl()}/orgs/${orgId}/insights` }),
          now,
        );
      }
      return admins.length;
    });
  }
  return queued;
}

/** Runs the digest scan every `intervalMs` (the notice scan's interval) until the server stops. */
export function startInsightDigests(deps: Deps, intervalMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    scanInsightDigests(deps)
      .catch((error: unknown) => deps.log.warn({ err: error }, 'insights digest scan failed; will retry'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
