import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { addTokenUsage } from '../tokens/tokens.repository.ts';

const BATCH_ROWS = 500;

interface PendingUsage {
  count: number;
  lastUsedAt: number;
  lastUsedIp: string;
}

/**
 * Collects lastUsedAt/lastUsedIp/useCount in memory and writes them in one transaction per interval,
 * so a verification never waits on a database write. `flush()` at shutdown writes what is left.
 */
export class UsageRecorder {
  private pending = new Map<string, PendingUsage>();
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

  record(tokenId: string, ip: string, at: number): void {
    const entry = this.pending.get(tokenId);
    if (entry === undefined) this.pending.set(tokenId, { count: 1, lastUsedAt: at, lastUsedIp: ip });
    else {
      entry.count++;
      entry.lastUsedAt = at;
      entry.lastUsedIp = ip;
    }
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
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.db.transaction().execute(async (trx) => {
        const usages = [...batch].map(([tokenId, usage]) => ({ tokenId, ...usage }));
        // Bounded statements: parameters per statement stay far below both databases' limits.
        for (let i = 0; i < usages.length; i += BATCH_ROWS)
          await addTokenUsage(trx, usages.slice(i, i + BATCH_ROWS));
      });
    } catch (error) {
      // Keep the counts for the next attempt rather than losing acknowledged uses.
      for (const [tokenId, usage] of batch) {
        const newer = this.pending.get(tokenId);
        if (newer === undefined) this.pending.set(tokenId, usage);
        else newer.count += usage.count;
      }
      this.onError(error);
    }
  }
}
