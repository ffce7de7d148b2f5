import { LRUCache } from 'lru-cache';

export interface RateDecision {
  allowed: boolean;
  /** Milliseconds until the window that refused the hit ends. */
  retryAfterMs: number;
}

/**
 * Counts hits per key in fixed windows: in memory for one process, in PostgreSQL for several.
 * `hit` may go to the shared store; `exceeded` is always answered from this process's memory, because it
 * runs on every verification.
 */
export interface RateLimitStore {
  hit(key: string, limit: number, windowMs: number, now: number): RateDecision | Promise<RateDecision>;
  /**
   * Counts a hit that only decides later requests (failed verifications), without waiting: the answer
   * that caused it does no I/O for it.
   */
  count(key: string, limit: number, windowMs: number, now: number): void;
  /** Is the key already over the limit, without counting a hit? */
  exceeded(key: string, limit: number, windowMs: number, now: number): RateDecision;
  /** Writes what `count` holds back, if anything, and stops (at shutdown). */
  close?(): Promise<void>;
}

interface Window {
  start: number;
  count: number;
}

const allowed: RateDecision = Object.freeze({ allowed: true, retryAfterMs: 0 });

export class MemoryRateLimitStore implements RateLimitStore {
  // Bounded so that a flood of distinct keys (addresses, tokens) cannot grow memory without limit.
  private readonly windows: LRUCache<string, Window>;

  constructor(maxKeys = 200_000) {
    this.windows = new LRUCache({ max: maxKeys });
  }

  hit(key: string, limit: number, windowMs: number, now: number): RateDecision {
    let window = this.windows.get(key);
    if (window === undefined || now - window.start >= windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    if (window.count <= limit) return allowed;
    return { allowed: false, retryAfterMs: window.start + windowMs - now };
  }

  count(key: string, limit: number, windowMs: number, now: number): void {
    this.hit(key, limit, windowMs, now);
  }

  exceeded(key: string, limit: number, windowMs: number, now: number): RateDecision {
    const window = this.windows.peek(key);
    if (window === undefined || now - window.start >= windowMs || window.count < limit) return allowed;
    return { allowed: false, retryAfterMs: window.start + windowMs - now };
  }
}
