import { createHash } from 'node:crypto';
import { ipAllowed } from './rules/ip.ts';
import { permissionAllows } from './rules/permissions.ts';
import type { VerifiedToken, VerifyFailureCode, VerifyOptions, VerifyResult } from './types.ts';

/**
 * Options of the verification cache.
 *
 * @example
 * const latchkey = new Latchkey({ baseUrl, token, cache: { max: 10_000, ttlMs: 30_000 } });
 */
export interface VerifyCacheOptions {
  /** Most entries kept; the least recently used go first. Default 10 000. */
  max?: number;
  /** How long an entry is trusted. Default 30 s. */
  ttlMs?: number;
  /** How long a refusal (unknown, expired, revoked) is remembered; at most `ttlMs`. Default 5 s. */
  negativeTtlMs?: number;
}

/** The refusals that belong to a token itself, whatever was asked, and so may be remembered. */
const CACHEABLE_FAILURES: ReadonlySet<VerifyFailureCode> = new Set(['NOT_FOUND', 'EXPIRED', 'REVOKED']);

/**
 * What the cache holds for one token value.
 *
 * @example
 * const entry: VerifyCacheVerifyCacheEntry | undefined = cache.get(tokenKey(value));
 */
export type VerifyCacheEntry =
  | {
      valid: true;
      token: VerifiedToken;
      expires: number;
      /** The answer to hand out on a hit, built once. */
      result: { valid: true; token: VerifiedToken };
      permissions: ReadonlySet<string>;
      resources: ReadonlySet<string> | null;
      /** Set on a hit; eviction gives a recently used entry a second chance (CLOCK), instead of
       * reordering the map on every hit. */
      recent: boolean;
      /**
       * Addresses the server approved for this token (`''`: the caller's own, when no `ip` was
       * sent), for the cases the record cannot answer locally.
       */
      approvedIps: Set<string>;
      /** Resources the server confirmed for this token (they exist and belong to its org). */
      coveredResources: Set<string>;
    }
  | {
      valid: false;
      code: VerifyFailureCode;
      expires: number;
      result: { valid: false; code: VerifyFailureCode };
      recent: boolean;
    };

const FAILURES = {
  IP_NOT_ALLOWED: Object.freeze({ valid: false, code: 'IP_NOT_ALLOWED' }),
  FORBIDDEN: Object.freeze({ valid: false, code: 'FORBIDDEN' }),
  RESOURCE_FORBIDDEN: Object.freeze({ valid: false, code: 'RESOURCE_FORBIDDEN' }),
} as const satisfies Record<string, VerifyResult>;

/**
 * What a cached valid record answers to a question, with the server's rules (`@latchkey/sdk/rules`),
 * or `undefined` when only the server can tell: an address the record cannot judge (no address given
 * for a token with an `allowedIps` list, unless the server approved the caller's own address), or a
 * resource the server has not confirmed for this token (only it knows whether the resource exists in
 * the token's org). Expiry is not judged here: an entry dies with its token or its value's grace.
 *
 * @example
 * const hit = cache.get(value);
 * const answer = hit?.valid ? answerFromEntry(hit, { permission: 'blocks:read' }) : hit?.result;
 */
export function answerFromEntry(
  entry: Extract<VerifyCacheEntry, { valid: true }>,
  options: VerifyOptions,
): VerifyResult | undefined {
  const { token } = entry;
  const { permission, resource, ip } = options;
  if (token.allowedIps !== null) {
    if (ip !== undefined && token.allowedIps !== undefined) {
      if (!ipAllowed(token.allowedIps, ip)) return FAILURES.IP_NOT_ALLOWED;
    } else if (!entry.approvedIps.has(ip ?? '')) return undefined;
  }
  if (permission !== undefined && !permissionAllows(entry.permissions, permission)) return FAILURES.FORBIDDEN;
  if (resource === undefined || entry.coveredResources.has(resource)) return entry.result;
  if (entry.resources !== null && !entry.resources.has(resource)) return FAILURES.RESOURCE_FORBIDDEN;
  // A resource not seen yet: only the server knows whether it exists in the token's org.
  return undefined;
}

/**
 * A SHA-256 of a token value, for logs and metrics that must name a token without its value.
 * (The cache itself is keyed by the value: the process already holds it for the request at hand,
 * and hashing on every lookup would cost more than the lookup; it is never logged or sent.)
 *
 * @example
 * const key = tokenKey('lk_…'); // 64 hex chars
 */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * An in-memory cache (LRU by the CLOCK approximation) of verified token records, keyed by the token value. It stores what the server
 * said about a token (not about one permission), so one entry answers every permission question.
 * Entries expire after the TTL and never outlive the token's `expiresAt`. The {@link Latchkey}
 * client owns one when created with `cache`, and clears entries as token events arrive.
 *
 * @example
 * const cache = new VerifyCache({ max: 1000, ttlMs: 10_000 });
 * cache.clearToken('tok_1');
 */
export class VerifyCache {
  readonly max: number;
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  /** Bumped by every clear, so an answer fetched before a clear is not stored after it. */
  generation = 0;
  private readonly entries = new Map<string, VerifyCacheEntry>();

  constructor(options: VerifyCacheOptions = {}) {
    this.max = Math.max(1, options.max ?? 10_000);
    this.ttlMs = Math.max(0, options.ttlMs ?? 30_000);
    this.negativeTtlMs = Math.min(this.ttlMs, Math.max(0, options.negativeTtlMs ?? 5_000));
  }

  /** Number of entries held (expired ones included until touched). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The live entry for a key, or undefined.
   *
   * @example
   * const hit = cache.get(tokenKey(value));
   */
  get(key: string, now: number = Date.now()): VerifyCacheEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= now) {
      this.entries.delete(key);
      return undefined;
    }
    entry.recent = true;
    return entry;
  }

  /**
   * Remembers a valid token record.
   *
   * @example
   * cache.setValid(tokenKey(value), record, { ip: '203.0.113.7', resource: 'res_1' });
   */
  setValid(
    key: string,
    token: VerifiedToken,
    asked: { ip?: string | undefined; resource?: string | undefined },
    now: number = Date.now(),
  ): void {
    if (token.rateLimit) return;
    let expires = now + this.ttlMs;
    if (token.expiresAt !== null) expires = Math.min(expires, Date.parse(token.expiresAt));
    if (token.valueExpiresAt) expires = Math.min(expires, Date.parse(token.valueExpiresAt));
    if (!(expires > now)) return;
    const previous = this.entries.get(key);
    const same = previous?.valid === true && previous.token.id === token.id ? previous : undefined;
    const approvedIps = same?.approvedIps ?? new Set<string>();
    approvedIps.add(asked.ip ?? '');
    const coveredResources = same?.coveredResources ?? new Set<string>();
    if (asked.resource !== undefined) coveredResources.add(asked.resource);
    this.put(key, {
      valid: true,
      token,
      expires,
      approvedIps,
      coveredResources,
      result: Object.freeze({ valid: true as const, token }),
      permissions: new Set(token.permissions),
      resources: token.resourceIds === null ? null : new Set(token.resourceIds),
      recent: false,
    });
  }

  /**
   * Remembers a refusal that belongs to the token itself (`NOT_FOUND`, `EXPIRED`, `REVOKED`);
   * other codes are ignored.
   *
   * @example
   * cache.setInvalid(tokenKey(value), 'REVOKED');
   */
  setInvalid(key: string, code: VerifyFailureCode, now: number = Date.now()): void {
    if (!CACHEABLE_FAILURES.has(code) || this.negativeTtlMs === 0) return;
    this.put(key, {
      valid: false,
      code,
      expires: now + this.negativeTtlMs,
      result: Object.freeze({ valid: false as const, code }),
      recent: false,
    });
  }

  /**
   * Forgets every entry of a token id (after it was revoked, rotated or changed).
   *
   * @example
   * cache.clearToken('tok_1');
   */
  clearToken(tokenId: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) {
      if (entry.valid && entry.token.id === tokenId) this.entries.delete(key);
    }
  }

  /**
   * Forgets every entry of an org (its roles or members changed).
   *
   * @example
   * cache.clearOrg('org_1');
   */
  clearOrg(orgId: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) {
      if (entry.valid && entry.token.orgId === orgId) this.entries.delete(key);
    }
  }

  /**
   * Forgets everything.
   *
   * @example
   * cache.clear();
   */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  private put(key: string, entry: VerifyCacheEntry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    // Oldest first; a recently used one moves to the back once instead of going.
    let chances = this.entries.size;
    while (this.entries.size > this.max) {
      const oldest = this.entries.entries().next();
      if (oldest.done) break;
      const [oldKey, oldEntry] = oldest.value;
      this.entries.delete(oldKey);
      if (oldEntry.recent && chances-- > 0) {
        oldEntry.recent = false;
        this.entries.set(oldKey, oldEntry);
      }
    }
  }
}
