import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { DialectName } from '../db/connect.ts';
import type { Database, JobRow } from '../db/schema.ts';
import { describeError, type Mailer, type MailMessage } from '../mail/mailer.ts';
import { webhookDisabledMail } from '../mail/templates.ts';
import { DeliveryTimeout, postWebhook } from '../webhooks/delivery.ts';
import { DestinationRefused } from '../webhooks/destination.ts';
import { signatureHeader } from '../webhooks/events.ts';
import { disableEndpoint, findEndpointById } from '../webhooks/webhooks.repository.ts';
import {
  adminEmails,
  cancelPendingJobsOfEndpoint,
  claimDueJobs,
  deleteFinishedJobs,
  lastSuccessOfEndpoint,
  orgName,
  releaseJobs,
  updateJob,
} from './jobs.repository.ts';
import { scanNotices } from './notices.ts';
import { queueMail } from './queue.ts';
import type { Sealer } from './seal.ts';
import { onJobsSignal } from './signal.ts';

export interface WorkerOptions {
  db: Kysely<Database>;
  dialect: DialectName;
  mailer: Mailer;
  /** Seals queued mails. */
  mailSealer: Sealer;
  /** Seals webhook signing secrets. */
  webhookSealer: Sealer;
  log: FastifyBaseLogger;
  publicUrl: () => string;
  intervalMs: number;
  backoffBaseMs: number;
  retryWindowMs: number;
  noticeScanIntervalMs: number;
  webhookTimeoutMs: number;
  /** Deliver to loopback, private and link-local addresses too (WEBHOOK_ALLOW_PRIVATE_NETWORKS). */
  webhookAllowPrivateNetworks: boolean;
}

const BATCH = 20;

/** An endpoint's address without its query string or credentials, which may hold a secret of the receiver. */
const displayUrl = (url: string) => {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '';
  }
};
const MAX_DELAY_MS = 3_600_000;
const KEEP_LOG_MS = 30 * 86_400_000;

/** The delay before attempt `attempts + 1`: base × 2^(attempts − 1), at most an hour. */
export function backoffDelay(baseMs: number, attempts: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
}

/**
 * Delivers queued mails and webhook deliveries, and schedules notices. One runs in every process: it claims
 * due jobs from the database (on PostgreSQL with SKIP LOCKED, so each job goes to one process), sends them,
 * and records the outcome. A failure is retried with exponential backoff until the retry window (a day by
 * default) has passed since the job was queued; then the job is `failed`, and a webhook endpoint that has not
 * succeeded since is disabled and its org's administrators are told.
 */
const FIRST_SCAN_DELAY_MS = 30_000;

export class JobWorker {
  private timer: NodeJS.Timeout | undefined;
  private followUp: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private lastScan = 0;
  private lastCleanup = 0;
  private readonly claimed = new Set<string>();
  private unsubscribe: (() => void) | undefined;
  readonly leaseMs: number;

  constructor(private readonly options: WorkerOptions) {
    this.leaseMs = Math.max(120_000, 3 * options.webhookTimeoutMs);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // The first notice scan waits a little (at most 30 s): start-up serves verifications first.
    const interval = this.options.noticeScanIntervalMs;
    this.lastScan = Date.now() - interval + Math.min(interval, FIRST_SCAN_DELAY_MS);
    this.unsubscribe = onJobsSignal(() => this.wake());
    this.timer = setInterval(() => this.wake(), this.options.intervalMs);
    this.timer.unref();
    this.wake();
  }

  /** Runs a pass now (or right after the current one). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.runLoop(false);
  }

  /** Starts a loop as the running one; it alone clears `running` when it ends. */
  private runLoop(once: boolean): Promise<void> {
    const loop: Promise<void> = this.loop(once).finally(() => {
      if (this.running === loop) this.running = undefined;
    });
    this.running = loop;
    return loop;
  }

  /**
   * Delivers every job that is due now and waits for it: for tests and for a clean stop. A pass started
   * by a wake-up (a queued job's notification) may hold a job this pass then cannot claim: drain waits
   * for every running pass, before and after its own (it returned while such a pass was still sending a
   * mail, and a test found no mail).
   */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    await this.runLoop(true);
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearInterval(this.timer);
    clearTimeout(this.followUp);
    await this.running;
    // Nothing this process claimed stays claimed: another process (or the next start) sends it.
    await releaseJobs(this.options.db, [...this.claimed], Date.now()).catch(() => {});
  }

  private async loop(once = false): Promise<void> {
    try {
      do {
        this.again = false;
        await this.maintenance();
        let total = 0;
        for (;;) {
          const done = await this.pass();
          total += done;
          if (done === 0 || (this.stopped && !once)) break;
        }
        if (total === 0 && !once && !this.stopped) {
          // A wake-up may come from inside a transaction that had not committed yet: look once more.
          clearTimeout(this.followUp);
          this.followUp = setTimeout(() => this.wake(), 100);
          this.followUp.unref();
        }
      } while (this.again && !this.stopped);
    } catch (error) {
      this.options.log.warn({ err: error }, 'job worker pass failed; will retry');
    }
  }

  private async maintenance(): Promise<void> {
    const now = Date.now();
    if (now - this.lastScan >= this.options.noticeScanIntervalMs) {
      this.lastScan = now;
      await scanNotices({
        db: this.options.db,
        mailSealer: this.options.mailSealer,
        publicUrl: this.options.publicUrl,
        now,
      });
    }
    if (now - this.lastCleanup >= 3_600_000) {
      this.lastCleanup = now;
      await deleteFinishedJobs(this.options.db, now - KEEP_LOG_MS);
    }
  }

  /** Claims and runs one batch; answers how many jobs it ran. */
  private async pass(): Promise<number> {
    const jobs = await claimDueJobs(this.options.db, this.options.dialect, Date.now(), this.leaseMs, BATCH);
    for (const job of jobs) this.claimed.add(job.id);
    await Promise.all(
      jobs.map((job) =>
        this.run(job)
          .catch((error) => this.options.log.error({ err: error, jobId: job.id }, 'job bookkeeping failed'))
          .finally(() => this.claimed.delete(job.id)),
      ),
    );
    return jobs.length;
  }

  private async run(job: JobRow): Promise<void> {
    if (job.kind === 'mail') {
      let message: MailMessage;
      try {
        message = JSON.parse(this.options.mailSealer.open(job.payload)) as MailMessage;
      } catch {
        await this.finish(job, 'failed', {
          lastError: 'the queued mail cannot be opened (server secret changed?)',
        });
        return;
      }
      try {
        await this.options.mailer.send(message);
        // The content (an invite link, say) is not kept once the mail is out.
        await this.finish(job, 'sent', { payload: '' });
      } catch (error) {
        await this.retryOrFail(job, describeError(error), null);
      }
      return;
    }
    const endpoint = job.endpointId ? await findEndpointById(this.options.db, job.endpointId) : undefined;
    if (endpoint === undefined || endpoint.enabled !== 1) {
      await this.finish(job, 'cancelled', {
        lastError: endpoint === undefined ? 'the endpoint was deleted' : 'the endpoint is disabled',
      });
      return;
    }
    let secret: string;
    try {
      secret = this.options.webhookSealer.open(endpoint.secretSealed);
    } catch {
      await this.finish(job, 'failed', {
        lastError: "the endpoint's secret cannot be opened (server secret changed?)",
      });
      return;
    }
    const body = job.payload;
    let status: number | null = null;
    try {
      status = await postWebhook(endpoint.url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Latchkey-Webhooks/1',
          'latchkey-event': job.eventType,
          'latchkey-delivery': job.id,
          'latchkey-signature': signatureHeader(secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        timeoutMs: this.options.webhookTimeoutMs,
        allowPrivateNetworks: this.options.webhookAllowPrivateNetworks,
      });
      if (status >= 200 && status < 300) {
        await this.finish(job, 'sent', { responseCode: status });
        return;
      }
      await this.retryOrFail(job, `the receiver answered HTTP ${status}`, status);
    } catch (error) {
      const reason =
        error instanceof DeliveryTimeout
          ? `no answer within ${this.options.webhookTimeoutMs} ms`
          : error instanceof DestinationRefused
            ? `refused: ${error.message}`
            : `the request failed: ${describeError((error as { cause?: unknown }).cause ?? error)}`;
      await this.retryOrFail(job, reason, status);
    }
  }

  private async finish(
    job: JobRow,
    status: 'sent' | 'failed' | 'cancelled',
    extra: Partial<Pick<JobRow, 'lastError' | 'responseCode' | 'payload'>>,
  ): Promise<void> {
    const now = Date.now();
    await updateJob(this.options.db, job.id, {
      status,
      leaseUntil: null,
      doneAt: now,
      updatedAt: now,
      ...extra,
    });
  }

  private async retryOrFail(job: JobRow, error: string, responseCode: number | null): Promise<void> {
    const now = Date.now();
    const next = now + backoffDelay(this.options.backoffBaseMs, job.attempts);
    if (next <= Number(job.createdAt) + this.options.retryWindowMs) {
      await updateJob(this.options.db, job.id, {
        status: 'pending',
        leaseUntil: null,
        nextAttemptAt: next,
        lastError: error,
        responseCode,
        updatedAt: now,
      });
      this.options.log.info(
        { jobId: job.id, kind: job.kind, attempts: job.attempts, error },
        'delivery failed; will retry',
      );
      return;
    }
    await this.finish(job, 'failed', { lastError: error, responseCode });
    this.options.log.warn(
      { jobId: job.id, kind: job.kind, attempts: job.attempts, error },
      'delivery given up',
    );
    if (job.kind === 'webhook' && job.endpointId !== null) await this.maybeDisable(job, error);
  }

  /** An endpoint that failed for the whole retry window, with no success since the job was queued. */
  private async maybeDisable(job: JobRow, error: string): Promise<void> {
    const { db } = this.options;
    const endpointId = job.endpointId as string;
    const lastSuccess = await lastSuccessOfEndpoint(db, endpointId);
    if (lastSuccess !== null && lastSuccess > Number(job.createdAt)) return;
    const now = Date.now();
    const hours = Math.round(this.options.retryWindowMs / 360_000) / 10;
    const reason = `deliveries kept failing for ${hours} hours (last: ${error})`;
    await db.transaction().execute(async (trx) => {
      if (!(await disableEndpoint(trx, endpointId, reason, now))) return;
      await cancelPendingJobsOfEndpoint(trx, endpointId, 'the endpoint was disabled', now);
      const endpoint = await findEndpointById(trx, endpointId);
      const orgId = job.orgId as string;
      const name = await orgName(trx, orgId);
      for (const to of await adminEmails(trx, orgId)) {
        await queueMail(
          trx,
          this.options.mailSealer,
          webhookDisabledMail({
            to,
            orgId,
            orgName: name,
            endpointId,
            endpointUrl: endpoint ? displayUrl(endpoint.url) : '',
            reason,
            url: `${this.options.publicUrl()}/orgs/${orgId}/webhooks`,
          }),
          now,
        );
      }
    });
    this.options.log.warn({ endpointId }, 'webhook endpoint disabled');
  }
}
