import { type Kysely, sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/schema.ts';
import type { RateDecision, RateLimitStore } from './rate-limiter.ts';

const allowed: RateDecision = Object.freeze({ allowed: true, retryAfterMs: 0 });

/**
 * Counters shared by every process on one PostgreSQL: one upsert per counted hit, in windows aligned to
 * the clock so all processes count into the same window. A key found over its limit is also remembered
 * locally until its window ends, so `exceeded` stays a memory lookup.
 */
export class PostgresRateLimitStore implements RateLimitStore {
  private readonly blockedUntil = new LRUCache<string, number>({ max: 200_000 });

  constructor(private readonly db: Kysely<Database>) {}

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

  exceeded(key: string, _limit: number, _windowMs: number, now: number): RateDecision {
    const until = this.blockedUntil.get(key);
    if (until === undefined || now >= until) return allowed;
    return { allowed: false, retryAfterMs: until - now };
  }
}

export async function deleteLapsedRateCounters(db: Kysely<Database>, before: number): Promise<void> {
  await db.deleteFrom('rateCounters').where('windowStart', '<', before).execute();
}
