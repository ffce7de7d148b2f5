import type { PermissionQuery } from '@latchkey/sdk/rules';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { type Exercised, exerciseJson, mergeExercised } from '../insights/insights.repository.ts';
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
  /** What the valid uses of `day` exercised, not yet in `exercised` (found with the same lookup). */
  used?: DayExercise | undefined;
}

/** Days since 1970-01-01 in UTC. */
export const utcDay = (at: number): number => Math.floor(at / DAY_MS);

/** Recorded when a successful verification named no permission (or no resource): its use cannot be told. */
export const UNSPECIFIED = '*';

interface DayExercise {
  permissions: Set<string>;
  resources: Set<string>;
  /** The last question recorded: the same one again (the usual case) costs two comparisons. */
  lastPermission?: string | undefined;
  lastResource?: string | undefined;
}

/** A union of exercised permissions and resources, shared by every token that exercised exactly it. */
interface ExerciseSet {
  readonly permissions: ReadonlySet<string>;
  readonly resources: ReadonlySet<string>;
}

/** Tokens remembered per generation before the older generation is forgotten. */
const WRITTEN_TOKENS = 100_000;
/** Distinct exercise sets kept for sharing before they are forgotten (tokens keep theirs). */
const EXERCISE_SETS = 10_000;

/**
 * What this process has written today, per token: only to skip writing the same question again (the
 * database merges by union, so forgetting costs a redundant write, never a lost use). Bounded (issue 13):
 * two generations of at most {@link WRITTEN_TOKENS} tokens, each pointing at a shared {@link ExerciseSet}
 * (most tokens ask the same few questions), so a million tokens used in a day do not each keep sets.
 */
class WrittenExercise {
  private current = new Map<string, ExerciseSet>();
  private previous = new Map<string, ExerciseSet>();
  private readonly shared = new Map<string, ExerciseSet>();

  constructor(private readonly perGeneration: number) {}

  private get(tokenId: string): ExerciseSet | undefined {
    return this.current.get(tokenId) ?? this.previous.get(tokenId);
  }

  /** Whether everything in `entry` was written for this token today. */
  covers(tokenId: string, entry: ExerciseSet): boolean {
    const known = this.get(tokenId);
    if (known === undefined) return false;
    for (const p of entry.permissions) if (!known.permissions.has(p)) return false;
    for (const r of entry.resources) if (!known.resources.has(r)) return false;
    return true;
  }

  add(tokenId: string, entry: ExerciseSet): void {
    const known = this.get(tokenId);
    const permissions = new Set([...(known?.permissions ?? []), ...entry.permissions]);
    const resources = new Set([...(known?.resources ?? []), ...entry.resources]);
    // The day row's own encoding names the union: equal unions share one entry.
    const key = exerciseJson(permissions) + exerciseJson(resources);
    let union = this.shared.get(key);
    if (union === undefined) {
      if (this.shared.size >= EXERCISE_SETS) this.shared.clear();
      union = { permissions, resources };
      this.shared.set(key, union);
    }
    if (this.current.size >= this.perGeneration) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(tokenId, union);
  }
}

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
  /** Per UTC day, per token: the permissions and resources valid verifications exercised (issue 17). */
  private exercised = new Map<number, Map<string, DayExercise>>();
  /** What this process has written of today's exercise: a repeated question is not written again. */
  private written: WrittenExercise;
  private writtenDay = -1;
  private timer: NodeJS.Timeout | undefined;
  /** Time spent in the flush's transactions and the tokens they wrote, for /metrics (and the benchmark). */
  private writes = { seconds: 0, tokens: 0 };
  get writeSeconds(): number {
    return this.writes.seconds;
  }
  get tokensWritten(): number {
    return this.writes.tokens;
  }
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
    /** Tokens per generation of what was written today (tests make it small). */
    private readonly writtenTokens = WRITTEN_TOKENS,
  ) {
    this.written = new WrittenExercise(writtenTokens);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** A valid verification (or use of the token on the management API). One map lookup, as before days. */
  record(
    tokenId: string,
    ip: string,
    at: number,
    /** With `held`: what the verification exercised too , on the same entry. */
    held?: ReadonlySet<string>,
    permission?: PermissionQuery,
    resource?: string,
  ): void {
    const day = utcDay(at);
    const entry = this.pending.get(tokenId);
    if (entry === undefined) {
      const fresh: PendingUsage = { count: 1, lastUsedAt: at, lastUsedIp: ip, day, dayCount: 1 };
      this.pending.set(tokenId, fresh);
      if (held !== undefined) this.note(fresh, held, permission, resource);
      return;
    }
    entry.count++;
    entry.lastUsedAt = at;
    entry.lastUsedIp = ip;
    if (entry.day !== day) {
      // Midnight (UTC) inside one flush interval: the earlier day's count moves to the day rows.
      this.dayOf(this.daily, tokenId, entry.day).valid += entry.dayCount;
      if (entry.used !== undefined) this.restoreExercised([{ tokenId, day: entry.day, ...entry.used }]);
      entry.used = undefined;
      entry.day = day;
      entry.dayCount = 0;
    }
    entry.dayCount++;
    if (held !== undefined) this.note(entry, held, permission, resource);
  }

  /** Adds a verification's question to what its token used today (the pending entry's `day`). */
  private note(
    pending: PendingUsage,
    held: ReadonlySet<string>,
    permission: PermissionQuery | undefined,
    resource: string | undefined,
  ): void {
    pending.used ??= { permissions: new Set(), resources: new Set() };
    this.add(pending.used, held, permission, resource);
  }

  private add(
    entry: DayExercise,
    held: ReadonlySet<string>,
    permission: PermissionQuery | undefined,
    resource: string | undefined,
  ): void {
    if (
      typeof permission === 'string' &&
      permission === entry.lastPermission &&
      resource === entry.lastResource
    ) {
      return;
    }
    if (permission === undefined) entry.permissions.add(UNSPECIFIED);
    else if (typeof permission === 'string') {
      entry.permissions.add(permission);
      entry.lastPermission = permission;
      entry.lastResource = resource;
    } else if ('all' in permission) for (const p of permission.all) entry.permissions.add(p);
    else for (const p of permission.any) if (held.has(p)) entry.permissions.add(p);
    entry.resources.add(resource ?? UNSPECIFIED);
  }

  /** The exercise not yet written by this process, taken out of memory for a flush. */
  private takeExercised(today: number, batch: ReadonlyMap<string, PendingUsage>): Exercised[] {
    for (const [tokenId, usage] of batch) {
      if (usage.used === undefined) continue;
      this.restoreExercised([{ tokenId, day: usage.day, ...usage.used }]);
      usage.used = undefined;
    }
    const taken = this.exercised;
    this.exercised = new Map();
    if (this.writtenDay !== today) {
      this.written = new WrittenExercise(this.writtenTokens);
      this.writtenDay = today;
    }
    const out: Exercised[] = [];
    for (const [day, perToken] of taken) {
      for (const [tokenId, entry] of perToken) {
        if (day === today && this.written.covers(tokenId, entry)) continue;
        out.push({ tokenId, day, permissions: entry.permissions, resources: entry.resources });
      }
    }
    return out;
  }

  /** After a committed flush: remembered, so a repeated question is not written again today. */
  private rememberWritten(entries: readonly Exercised[], today: number): void {
    for (const e of entries) if (e.day === today) this.written.add(e.tokenId, e);
  }

  /** A flush failed: its exercise goes back to memory for the next attempt. */
  private restoreExercised(entries: readonly Exercised[]): void {
    for (const e of entries) {
      let perToken = this.exercised.get(e.day);
      if (perToken === undefined) {
        perToken = new Map();
        this.exercised.set(e.day, perToken);
      }
      let entry = perToken.get(e.tokenId);
      if (entry === undefined) {
        entry = { permissions: new Set(), resources: new Set() };
        perToken.set(e.tokenId, entry);
      }
      for (const p of e.permissions) entry.permissions.add(p);
      for (const r of e.resources) entry.resources.add(r);
    }
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
    if (this.pending.size === 0 && this.daily.size === 0 && this.exercised.size === 0) return;
    const batch = this.pending;
    const daily = this.daily;
    this.pending = new Map();
    this.daily = new Map();
    for (const [tokenId, usage] of batch) {
      this.dayOf(daily, tokenId, usage.day).valid += usage.dayCount;
      usage.dayCount = 0;
    }
    const today = utcDay(Date.now());
    // Each exercise rides on its token's day row (one is made for it if a failed flush left it alone).
    const exerciseOf = new Map<DailyUsage, Exercised>();
    for (const e of this.takeExercised(today, batch)) exerciseOf.set(this.dayOf(daily, e.tokenId, e.day), e);
    const usages = [...batch];
    const days = [...daily.values()].flatMap((perToken) => [...perToken.values()]);
    let failure: unknown;
    // A transaction per chunk, with the event loop let go between them: one transaction for a flush of
    // 20,000 tokens held verifications for a second on SQLite (issue 13, the cold benchmark's p99).
    // Chunks are independent: a failed one goes back to memory whole, the committed ones stay written.
    for (let i = 0; i < Math.max(usages.length, days.length); i += BATCH_ROWS) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      const usageChunk = usages.slice(i, i + BATCH_ROWS);
      const dayChunk = days.slice(i, i + BATCH_ROWS);
      const exerciseChunk = dayChunk.flatMap((counts) => exerciseOf.get(counts) ?? []);
      const started = performance.now();
      try {
        await this.db.transaction().execute(async (trx) => {
          await addTokenUsage(
            trx,
            usageChunk.map(([tokenId, { count, lastUsedAt, lastUsedIp }]) => ({
              tokenId,
              count,
              lastUsedAt,
              lastUsedIp,
            })),
          );
          const stored = await addDailyUsage(
            trx,
            dayChunk.map((counts) => {
              const exercise = exerciseOf.get(counts);
              return {
                ...counts,
                permissionsUsed: exercise ? exerciseJson(exercise.permissions) : null,
                resourcesUsed: exercise ? exerciseJson(exercise.resources) : null,
              };
            }),
          );
          // After the day rows' upsert, which holds their locks (server/insights/insights.repository.ts).
          if (exerciseChunk.length > 0) await mergeExercised(trx, exerciseChunk, stored);
        });
        this.rememberWritten(exerciseChunk, today);
        this.writes.tokens += usageChunk.length;
      } catch (error) {
        failure ??= error;
        this.restore(usageChunk, dayChunk, exerciseChunk);
      }
      this.writes.seconds += (performance.now() - started) / 1000;
    }
    if (failure === undefined && this.prunedDay !== today) {
      try {
        await deleteDailyUsageBefore(this.db, today - USAGE_RETENTION_DAYS);
        this.prunedDay = today;
      } catch (error) {
        failure = error;
      }
    }
    if (failure !== undefined) this.onError(failure);
  }

  /** A chunk's write failed: its counts and exercise go back to memory for the next attempt, none lost. */
  private restore(
    usages: readonly (readonly [string, PendingUsage])[],
    days: readonly DailyUsage[],
    exercised: readonly Exercised[],
  ): void {
    for (const [tokenId, usage] of usages) {
      const newer = this.pending.get(tokenId);
      if (newer === undefined) this.pending.set(tokenId, usage);
      else newer.count += usage.count;
    }
    for (const counts of days) {
      const newer = this.dayOf(this.daily, counts.tokenId, counts.day);
      newer.valid += counts.valid;
      newer.refused += counts.refused;
    }
    this.restoreExercised(exercised);
  }
}
