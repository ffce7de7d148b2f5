import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Catalog } from './catalog/catalog.ts';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/connect.ts';
import type { Database, UserRow } from './db/schema.ts';
import type { TokenEvents } from './events/token-events.ts';
import type { Metrics } from './health/metrics.ts';
import type { Sealer } from './jobs/seal.ts';
import type { JobWorker } from './jobs/worker.ts';
import type { Mailer } from './mail/mailer.ts';
import type { RateLimitStore } from './verify/rate-limiter.ts';
import type { UsageRecorder } from './verify/usage.ts';
import type { VerifiedToken, Verifier } from './verify/verifier.ts';

/** The long-lived parts every service needs; built once in buildApp. */
export interface Deps {
  readonly config: Config;
  readonly database: DatabaseHandle;
  readonly db: Kysely<Database>;
  readonly catalog: Catalog;
  readonly secret: Buffer;
  readonly verifier: Verifier;
  readonly usage: UsageRecorder;
  readonly rateLimits: RateLimitStore;
  readonly events: TokenEvents;
  readonly mailer: Mailer;
  /** Delivers queued mails and webhook deliveries; `drain()` sends what is due now (tests). */
  readonly jobs: JobWorker;
  /** AES-256-GCM keyed from the server secret: queued mails, webhook signing secrets. */
  readonly sealers: { readonly mail: Sealer; readonly webhook: Sealer };
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
  /** Called when the server stops: long-lived answers (event streams) end themselves here. */
  readonly closing: Set<() => void>;
  /** Where people reach the console, for links in mails: PUBLIC_URL, or the address the server listens on. */
  publicUrl(): string;
}

export type Principal =
  | {
      readonly type: 'user';
      readonly user: UserRow;
      readonly sessionHash: string;
      /** Whether the session was opened by single sign-on (an org may require it). */
      readonly viaSso?: boolean;
    }
  | { readonly type: 'token'; readonly token: VerifiedToken };

/** Who is asking and from where: what audit events record. */
export interface RequestContext {
  readonly principal: Principal;
  readonly ip: string;
  readonly userAgent: string | null;
  readonly requestId: string;
}

export interface Actor {
  readonly type: 'user' | 'token';
  readonly id: string;
}

export function actorOf(principal: Principal): Actor {
  return principal.type === 'user'
    ? { type: 'user', id: principal.user.id }
    : { type: 'token', id: principal.token.id };
}
