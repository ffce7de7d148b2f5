import { type Kysely, sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/schema.ts';
import type { RateDecision, RateLimitStore } from './rate-limiter.ts';

const allowed: RateDecision = Object.freeze({ allowed: true, retryAfterMs: 0 });
const FLUSH_MS = 100;

/**
 * Counters shared by every process on one PostgreSQL, in windows aligned to the clock so all processes
 * count into the same window. `hit` (a token's own limit, which decides the request at hand) is one
 * upsert; `count` (failed verifications, which decide later requests) is held in memory and added in
 * batches every 100 ms, so a failure answer does no I/O. A key found over its limit is remembered locally
 * until its window ends, so `exceeded` stays a memory lookup.
 */
interface PendingCount {
  windowStart: number;
  windowMs: number;
  limit: number;
  delta: number;
}

export class PostgresRateLimitStore implements RateLimitStore {
  private readonly blockedUntil = new LRUCache<string, number>({ max: 200_000 });
  private readonly localTotals = new LRUCache<string, { windowStart: number; count: number }>({
    max: 200_000,
  });
  /** Counted but not yet added to the shared counters; written every FLUSH_MS in one batch. */
  private pending = new Map<string, PendingCount>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** Tells the other processes that a key reached its limit (set when they share notifications). */
  announce: ((key: string, until: number) => void) | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  count(key: string, limit: number, windowMs: number, now: number): void {
    const windowStart = Math.floor(now / windowMs) * windowMs;
    let entry = this.pending.get(key);
    if (entry === undefined || entry.windowStart !== windowStart) {
      entry = { windowStart, windowMs, limit, delta: 0 };
      this.pending.set(key, entry);
    }
    entry.delta++;
    // What this process alone counted in the window: at the limit it refuses at once, not after a flush.
    let local = this.localTotals.get(key);
    if (local === undefined || local.windowStart !== windowStart) {
      local = { windowStart, count: 0 };
      this.localTotals.set(key, local);
    }
    local.count++;
    if (local.count >= limit) this.blockedUntil.set(key, windowStart + windowMs);
  }

  /** Adds the held-back counts to the shared counters and learns the cluster-wide totals. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      for (const [key, entry] of batch) {
        const { rows } = await sql<{ count: number }>`
          insert into rate_counters (key, window_start, count) values (${key}, ${entry.windowStart}, ${entry.delta})
          on conflict (key) do update set
            count = case when rate_counters.window_start = excluded.window_start
              then rate_counters.count + excluded.count else excluded.count end,
            window_start = excluded.window_start
          returning count`.execute(this.db);
        if (Number(rows[0]?.count ?? 0) >= entry.limit) {
          const until = entry.windowStart + entry.windowMs;
          this.blockedUntil.set(key, until);
          this.announce?.(key, until);
        }
      }
    } catch (error) {
      this.onError(error);
    }
  }

  async hit(key: string, limit: number, windowMs: number, now: number): Promise<RateDecision> {
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const { rows } = await sql<{ count: number }>`
      insert into rate_counters (key, window_start, count) values (${key}, ${windowStart}, 1)
      on conflict (key) do update set
        count = case when rate_counters.window_start = excluded.window_start then rate_counters.count + 1 else 1 end,
        window_start = excluded.window_start
      returning count`.execute(this.db);
    const count = Number(rows[0]?.count ?? 1);
    const windowEnd = windowStart + windowMs;
    // At the limit, later calls in this window are refused without asking the database again.
    if (count >= limit) this.blockedUntil.set(key, windowEnd);
    if (count <= limit) return allowed;
    return { allowed: false, retryAfterMs: windowEnd - now };
  }

  /** Another process found the key over its limit. */
  block(key: string, until: number): void {
    if (until > Date.now()) this.blockedUntil.set(key, until);
  }

  exceeded(key: string, _limit: number, _windowMs: number, now: number): RateDecision {
    const until = this.blockedUntil.get(key);
    if (until === undefined || now >= until) return allowed;
    return { allowed: false, retryAfterMs: until - now };
  }
}

export async function deleteLapsedRateCounters(db: Kysely<Database>, before: number): Promise<void> {
  await db.deleteFrom('rateCounters').where('windowStart', '<', before).execute();
}
