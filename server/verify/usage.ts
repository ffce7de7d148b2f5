import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import {
  addDailyUsage,
  type DailyUsage,
  deleteDailyUsageBefore,
} from '../tokens/token-insights.repository.ts';
import { addTokenUsage } from '../tokens/tokens.repository.ts';

const BATCH_ROWS = 500;
const DAY_MS = 86_400_000;
/** Days of daily counts kept: the console's longest chart is 90 days. */
export const USAGE_RETENTION_DAYS = 100;

interface PendingUsage {
  count: number;
  lastUsedAt: number;
  lastUsedIp: string;
  /** The UTC day of `dayCount`: the valid uses of this day not yet in `daily`. */
  day: number;
  dayCount: number;
}

/** Days since 1970-01-01 in UTC. */
export const utcDay = (at: number): number => Math.floor(at / DAY_MS);

/**
 * Collects lastUsedAt/lastUsedIp/useCount, and valid and refused verifications per token and UTC day, in
 * memory and writes them in one transaction per interval, so a verification never waits on a database
 * write. `flush()` at shutdown writes what is left.
 */
export class UsageRecorder {
  private pending = new Map<string, PendingUsage>();
  /** Per UTC day, per token: no string is built per verification. */
  private daily = new Map<number, Map<string, DailyUsage>>();
  private prunedDay = -1;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** A valid verification (or use of the token on the management API). One map lookup, as before days. */
  record(tokenId: string, ip: string, at: number): void {
    const day = utcDay(at);
    const entry = this.pending.get(tokenId);
    if (entry === undefined) {
      this.pending.set(tokenId, { count: 1, lastUsedAt: at, lastUsedIp: ip, day, dayCount: 1 });
      return;
    }
    entry.count++;
    entry.lastUsedAt = at;
    entry.lastUsedIp = ip;
    if (entry.day !== day) {
      // Midnight (UTC) inside one flush interval: the earlier day's count moves to the day rows.
      this.dayOf(this.daily, tokenId, entry.day).valid += entry.dayCount;
      entry.day = day;
      entry.dayCount = 0;
    }
    entry.dayCount++;
  }

  /** A verification of a known token that was refused (expired, revoked, forbidden, rate limited, …). */
  refuse(tokenId: string, at: number): void {
    this.dayOf(this.daily, tokenId, utcDay(at)).refused++;
  }

  private dayOf(daily: Map<number, Map<string, DailyUsage>>, tokenId: string, day: number): DailyUsage {
    let perToken = daily.get(day);
    if (perToken === undefined) {
      perToken = new Map();
      daily.set(day, perToken);
    }
    let entry = perToken.get(tokenId);
    if (entry === undefined) {
      entry = { tokenId, day, valid: 0, refused: 0 };
      perToken.set(tokenId, entry);
    }
    return entry;
  }

  /** Writes everything recorded so far; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBatch());
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private async writeBatch(): Promise<void> {
    if (this.pending.size === 0 && this.daily.size === 0) return;
    const batch = this.pending;
    const daily = this.daily;
    this.pending = new Map();
    this.daily = new Map();
    for (const [tokenId, usage] of batch) {
      this.dayOf(daily, tokenId, usage.day).valid += usage.dayCount;
      usage.dayCount = 0;
    }
    const today = utcDay(Date.now());
    try {
      await this.db.transaction().execute(async (trx) => {
        const usages = [...batch].map(([tokenId, { count, lastUsedAt, lastUsedIp }]) => ({
          tokenId,
          count,
          lastUsedAt,
          lastUsedIp,
        }));
        // Bounded statements: parameters per statement stay far below both databases' limits.
        for (let i = 0; i < usages.length; i += BATCH_ROWS)
          await addTokenUsage(trx, usages.slice(i, i + BATCH_ROWS));
        const days = [...daily.values()].flatMap((perToken) => [...perToken.values()]);
        for (let i = 0; i < days.length; i += BATCH_ROWS)
          await addDailyUsage(trx, days.slice(i, i + BATCH_ROWS));
        if (this.prunedDay !== today) await deleteDailyUsageBefore(trx, today - USAGE_RETENTION_DAYS);
      });
      this.prunedDay = today;
    } catch (error) {
      // Keep the counts for the next attempt rather than losing acknowledged uses.
      for (const [tokenId, usage] of batch) {
        const newer = this.pending.get(tokenId);
        if (newer === undefined) this.pending.set(tokenId, usage);
        else newer.count += usage.count;
      }
      for (const perToken of daily.values()) {
        for (const counts of perToken.values()) {
          const newer = this.dayOf(this.daily, counts.tokenId, counts.day);
          newer.valid += counts.valid;
          newer.refused += counts.refused;
        }
      }
      this.onError(error);
    }
  }
}
