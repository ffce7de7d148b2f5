import {
  isWellFormedToken,
  type PermissionQuery,
  permissionAllows,
  VERIFY_CODES,
  type VerifyCode,
} from '@latchkey/sdk/rules';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Catalog } from '../catalog/catalog.ts';
import type { Database } from '../db/schema.ts';
import { resourceIdsOfOrg } from '../resources/resources.repository.ts';
import { hashSecret } from '../tokens/token-value.ts';
import { type TokenForVerify, tokenLoaderForVerify } from '../tokens/tokens.repository.ts';
import { addressInRanges, type IpRange, parseAddress, parseRange } from './cidr.ts';
import type { RateLimitStore } from './rate-limiter.ts';
import type { UsageRecorder } from './usage.ts';

/** A token as verification sees it: effective permissions already bounded by its owner's role. */
export interface VerifiedToken {
  readonly id: string;
  readonly orgId: string;
  readonly kind: 'personal' | 'application';
  readonly ownerId: string | null;
  readonly access: 'full' | 'granular';
  readonly roleId: string | null;
  readonly revoked: boolean;
  readonly expiresAt: number | null;
  /** When this value (not the token) stops working: the end of a rotation's grace. */
  readonly valueNotAfter: number | null;
  /** A value from a rotation "until used", not yet verified: its first success ends the others' grace. */
  readonly endsGraceOnUse?: boolean;
  /** Set on an older value stopped by its successor's first use: presenting it is audited as reuse. */
  readonly valueRetiredAt?: number | null;
  readonly permissions: ReadonlySet<string>;
  readonly resourceIds: ReadonlySet<string> | null;
  readonly ipRanges: readonly IpRange[] | null;
  readonly rateLimit: { limit: number; windowMs: number } | null;
  /** The whole `{"valid":true,…}` answer, serialized once per cache entry instead of once per request. */
  readonly validBody: string;
}

export type VerifyOutcome =
  | { valid: true; token: VerifiedToken; body: string }
  | { valid: false; code: VerifyCode; body: string }
  | { throttled: true; retryAfterSeconds: number };

/** The question. The body's `ip` is not part of it: the route turns it into {@link Vouched} for trusted callers. */
export interface VerifyInput {
  token: string;
  permission?: PermissionQuery;
  resource?: string;
}

/**
 * An end client's address that a trusted caller vouches for (docs/security.md, "Who may name the end
 * client"). It decides `allowedIps` for the tokens of `orgId` (null: of every org) and has a failure
 * counter of its own; the caller's failures then count against its address under the trusted ceiling.
 */
export interface Vouched {
  readonly ip: string;
  readonly orgId: string | null;
}

/** Whether a verify caller's own credential is good, and for which org it vouches. */
export type CredentialOutcome =
  | { ok: true; orgId: string }
  | { ok: false; code: VerifyCode }
  | { throttled: true; retryAfterSeconds: number };

const invalidBodies = Object.fromEntries(
  VERIFY_CODES.map((code) => [code, JSON.stringify({ valid: false, code })]),
) as Record<VerifyCode, string>;

const invalid = (code: VerifyCode) => ({ valid: false as const, code, body: invalidBodies[code] });

const FAILURE_WINDOW_MS = 60_000;

export interface VerifierOptions {
  db: Kysely<Database>;
  secret: Buffer;
  tokenPrefix: string;
  catalog: Catalog;
  cacheSize: number;
  cacheTtlMs: number;
  failureLimit: number;
  /** The ceiling on failures a trusted caller relays for its end clients, per minute. */
  trustedFailureLimit: number;
  rateLimits: RateLimitStore;
  usage: UsageRecorder;
}

function parseList(json: string | null): string[] | null {
  return json === null ? null : (JSON.parse(json) as string[]);
}

export class Verifier {
  private readonly cache: LRUCache<string, VerifiedToken>;
  private readonly unknown: LRUCache<string, true>;
  /** The hashes cached for a token: one, or a few during a rotation's grace (no Set per token: memory). */
  private readonly hashesByToken = new Map<string, string | string[]>();
  /** Tokens share permission and resource sets (a role, a catalog group): one Set per distinct list. */
  private readonly sets = new LRUCache<string, ReadonlySet<string>>({ max: 10_000 });
  private readonly orgResources: LRUCache<string, ReadonlySet<string>>;
  /** Bumped by every invalidation, so a load that raced with one is not cached. */
  private generation = 0;
  /** Database reads made by verification, for /metrics and for tests of the no-I/O paths. */
  databaseReads = 0;
  /**
   * Off while this process may miss invalidations from other processes (its notification connection is
   * down): then every verification reads the database.
   */
  private caching = true;
  /** Rotation "until used" (server/tokens/rotation-evidence.ts): the new value's first success. */
  onFirstUse: ((token: VerifiedToken, hash: string, ip: string) => Promise<void>) | undefined;
  /** A value stopped by its successor's first use was presented again. */
  onRetiredValue: ((token: VerifiedToken, ip: string) => void) | undefined;
  private readonly firstUses = new Map<string, Promise<void>>();

  private readonly loadRow: (hash: string) => Promise<TokenForVerify | undefined>;

  constructor(private readonly options: VerifierOptions) {
    this.loadRow = tokenLoaderForVerify(options.db);
    const max = Math.max(options.cacheSize, 1);
    const ttl = options.cacheTtlMs > 0 ? options.cacheTtlMs : 1;
    this.cache = new LRUCache({
      max,
      ttl,
      ttlAutopurge: false,
      dispose: (entry, hash) => {
        const hashes = this.hashesByToken.get(entry.id);
        if (hashes === undefined) return;
        const rest = typeof hashes === 'string' ? [] : hashes.filter((h) => h !== hash);
        if (hashes === hash || rest.length === 0) this.hashesByToken.delete(entry.id);
        else this.hashesByToken.set(entry.id, rest.length === 1 ? (rest[0] as string) : rest);
      },
    });
    this.unknown = new LRUCache({ max, ttl });
    this.orgResources = new LRUCache({ max: 10_000, ttl });
  }

  hash(value: string): string {
    return hashSecret(this.options.secret, value);
  }

  /**
   * Finds the token a value belongs to: from the cache, or with one indexed read.
   * Answers 'MALFORMED' without any I/O for a value whose shape or checksum is wrong.
   */
  async resolve(value: string): Promise<VerifiedToken | 'MALFORMED' | 'NOT_FOUND'> {
    if (!isWellFormedToken(value, this.options.tokenPrefix)) return 'MALFORMED';
    const hash = this.hash(value);
    if (this.caching) {
      const cached = this.cache.get(hash);
      if (cached !== undefined) return cached;
      if (this.unknown.has(hash)) return 'NOT_FOUND';
    }
    return this.load(hash);
  }

  private async load(hash: string): Promise<VerifiedToken | 'NOT_FOUND'> {
    let generation = this.generation;
    this.databaseReads++;
    let row = await this.loadRow(hash);
    if (generation !== this.generation) {
      // An invalidation ran while we read: read again, so what we answer is at least as new as it.
      generation = this.generation;
      this.databaseReads++;
      row = await this.loadRow(hash);
    }
    const cacheable = generation === this.generation && this.caching && this.options.cacheSize > 0;
    if (row === undefined) {
      if (cacheable) this.unknown.set(hash, true);
      return 'NOT_FOUND';
    }
    const entry = this.toVerified(row);
    if (cacheable) {
      this.cache.set(hash, entry);
      const hashes = this.hashesByToken.get(entry.id);
      if (hashes === undefined || hashes === hash) this.hashesByToken.set(entry.id, hash);
      else if (typeof hashes === 'string') this.hashesByToken.set(entry.id, [hashes, hash]);
      else if (!hashes.includes(hash)) hashes.push(hash);
    }
    return entry;
  }

  private interned(list: readonly string[]): ReadonlySet<string> {
    const key = list.join('\n');
    let set = this.sets.get(key);
    if (set === undefined) {
      set = new Set(list);
      this.sets.set(key, set);
    }
    return set;
  }

  private toVerified(row: TokenForVerify): VerifiedToken {
    const { catalog } = this.options;
    const rolePermissions = (roleId: string | null, customJson: string | null): string[] => {
      if (roleId === null) return [];
      const builtIn = catalog.builtInRoles.get(roleId);
      if (builtIn) return [...builtIn.permissions];
      return parseList(customJson) ?? [];
    };
    let base: string[];
    if (row.access === 'full') base = catalog.permissions.map((p) => p.key);
    else if (row.roleId !== null) base = rolePermissions(row.roleId, row.tokenRolePermissions);
    else base = parseList(row.permissions) ?? [];
    let ownerGone = false;
    if (row.kind === 'personal') {
      // The owner bound: a personal token never holds more than its owner holds right now.
      ownerGone = row.ownerRoleId === null;
      const owner = new Set(rolePermissions(row.ownerRoleId, row.ownerRolePermissions));
      base = base.filter((p) => owner.has(p));
    }
    const permissionList = [...new Set(base.filter((p) => catalog.keys.has(p)))].sort();
    const resourceIdList = parseList(row.resourceIds);
    const ipList = parseList(row.allowedIps);
    const ipRanges = ipList === null ? null : ipList.map(parseRange).filter((r): r is IpRange => r !== null);
    const expiresAt = row.expiresAt === null ? null : Number(row.expiresAt);
    return {
      id: row.id,
      orgId: row.orgId,
      kind: row.kind,
      ownerId: row.ownerId,
      access: row.access,
      roleId: row.roleId,
      revoked: row.status === 'revoked' || ownerGone,
      expiresAt,
      valueNotAfter: row.notAfter === null ? null : Number(row.notAfter),
      endsGraceOnUse: Number(row.endsGraceOnUse) === 1,
      valueRetiredAt: row.retiredAt === null ? null : Number(row.retiredAt),
      permissions: this.interned(permissionList),
      resourceIds: resourceIdList === null ? null : this.interned(resourceIdList),
      ipRanges,
      rateLimit:
        row.rateLimit === null || row.rateLimitWindow === null
          ? null
          : { limit: row.rateLimit, windowMs: row.rateLimitWindow * 1000 },
      validBody: JSON.stringify({
        valid: true,
        token: {
          id: row.id,
          orgId: row.orgId,
          kind: row.kind,
          ownerId: row.ownerId,
          permissions: permissionList,
          resourceIds: resourceIdList,
          expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
          // Beyond the spec's fields, what a caching client needs to answer locally as the server would.
          allowedIps: ipList,
          rateLimit:
            row.rateLimit === null || row.rateLimitWindow === null
              ? null
              : { limit: row.rateLimit, windowSeconds: row.rateLimitWindow },
          valueExpiresAt: row.notAfter === null ? null : new Date(Number(row.notAfter)).toISOString(),
        },
      }),
    };
  }

  /** The checks every use of a token passes, for verify and for the management API alike (no I/O). */
  private checkUsable(token: VerifiedToken, clientIp: string, now: number): VerifyCode | null {
    if (token.revoked) return 'REVOKED';
    if (token.valueNotAfter !== null && now >= token.valueNotAfter) return 'NOT_FOUND';
    if (token.expiresAt !== null && now >= token.expiresAt) return 'EXPIRED';
    if (token.ipRanges !== null) {
      const address = parseAddress(clientIp);
      if (address === null || !addressInRanges(address, token.ipRanges)) return 'IP_NOT_ALLOWED';
    }
    return null;
  }

  /** Counts one use against the token's own rate limit; false when the limit is reached. */
  private async withinRateLimit(token: VerifiedToken, now: number): Promise<boolean> {
    if (token.rateLimit === null) return true;
    const { limit, windowMs } = token.rateLimit;
    const decision = await this.options.rateLimits.hit(`token:${token.id}`, limit, windowMs, now);
    return decision.allowed;
  }

  /** Seconds to wait when this address has failed too often, or 0. Answered from memory. */
  throttledFor(clientIp: string, now: number): number {
    const decision = this.options.rateLimits.exceeded(
      `verify-failures:${clientIp}`,
      this.options.failureLimit,
      FAILURE_WINDOW_MS,
      now,
    );
    return decision.allowed ? 0 : Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  }

  /** Counts a MALFORMED or NOT_FOUND answer against the address; the answer does not wait for it. */
  recordFailure(clientIp: string, now: number): void {
    this.options.rateLimits.count(
      `verify-failures:${clientIp}`,
      this.options.failureLimit,
      FAILURE_WINDOW_MS,
      now,
    );
  }

  private waitFor(key: string, limit: number, now: number): number {
    const decision = this.options.rateLimits.exceeded(key, limit, FAILURE_WINDOW_MS, now);
    return decision.allowed ? 0 : Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  }

  /**
   * Seconds to wait, or 0. A caller on its own is judged by its address. A trusted caller naming an end
   * client is judged by that client's counter and by its own address's trusted ceiling, so one bad end
   * client is throttled without locking out every other client of the same API.
   */
  private throttled(callerIp: string, vouched: Vouched | undefined, now: number): number {
    if (vouched === undefined) return this.throttledFor(callerIp, now);
    return Math.max(
      this.waitFor(`verify-failures:client:${vouched.ip}`, this.options.failureLimit, now),
      this.waitFor(`verify-failures:trusted:${callerIp}`, this.options.trustedFailureLimit, now),
    );
  }

  /** A failure always counts against the caller's address; a vouched-for end client's counter too. */
  private countFailure(callerIp: string, vouched: Vouched | undefined, now: number): void {
    if (vouched === undefined) {
      this.recordFailure(callerIp, now);
      return;
    }
    const { rateLimits, failureLimit, trustedFailureLimit } = this.options;
    rateLimits.count(`verify-failures:client:${vouched.ip}`, failureLimit, FAILURE_WINDOW_MS, now);
    rateLimits.count(`verify-failures:trusted:${callerIp}`, trustedFailureLimit, FAILURE_WINDOW_MS, now);
  }

  /** The address `allowedIps` and usage see: the vouched-for end client when the voucher covers the token's org. */
  private addressFor(token: VerifiedToken, callerIp: string, vouched: Vouched | undefined): string {
    if (vouched === undefined) return callerIp;
    return vouched.orgId === null || vouched.orgId === token.orgId ? vouched.ip : callerIp;
  }

  /**
   * Checks the credential a verify caller presents to vouch for `ip`: a usable token (not revoked,
   * expired, past its grace, or used from outside its own allowedIps). Throttled and counted like any
   * bearer guess; its own rate limit and usage are not touched. Undefined when memory cannot tell.
   */
  credentialFromMemory(value: string, callerIp: string, now: number): CredentialOutcome | undefined {
    const retryAfterSeconds = this.throttledFor(callerIp, now);
    if (retryAfterSeconds > 0) return { throttled: true, retryAfterSeconds };
    if (!isWellFormedToken(value, this.options.tokenPrefix))
      return this.credentialFailure('MALFORMED', callerIp, now);
    if (!this.caching) return undefined;
    const hash = this.hash(value);
    const token = this.cache.get(hash);
    if (token === undefined) {
      return this.unknown.has(hash) ? this.credentialFailure('NOT_FOUND', callerIp, now) : undefined;
    }
    return this.credentialOf(token, callerIp, now);
  }

  /**
   * The token a value stands for right now if it is still usable from this address (not revoked, its
   * owner still a member, not expired, not past its grace, inside its allowedIps), else why not. For
   * long-lived uses of a credential (an event stream) that check it again: nothing is counted.
   */
  async usableToken(value: string, callerIp: string): Promise<VerifiedToken | VerifyCode> {
    const token = await this.resolve(value);
    if (typeof token === 'string') return token;
    return this.checkUsable(token, callerIp, Date.now()) ?? token;
  }

  /** {@link credentialFromMemory}, reading the database when it must. */
  async credential(value: string, callerIp: string): Promise<CredentialOutcome> {
    const now = Date.now();
    const fast = this.credentialFromMemory(value, callerIp, now);
    if (fast !== undefined) return fast;
    const token = await this.resolve(value);
    if (typeof token === 'string') return this.credentialFailure(token, callerIp, now);
    return this.credentialOf(token, callerIp, now);
  }

  private credentialOf(token: VerifiedToken, callerIp: string, now: number): CredentialOutcome {
    const unusable = this.checkUsable(token, callerIp, now);
    if (unusable === 'NOT_FOUND') return this.credentialFailure(unusable, callerIp, now);
    if (unusable !== null) return { ok: false, code: unusable };
    return { ok: true, orgId: token.orgId };
  }

  private credentialFailure(
    code: 'MALFORMED' | 'NOT_FOUND',
    callerIp: string,
    now: number,
  ): CredentialOutcome {
    this.recordFailure(callerIp, now);
    return { ok: false, code };
  }

  /**
   * The answer when memory alone can give it: a malformed value, a cached token or a cached unknown one.
   * Undefined when the database or a shared counter is needed; then call {@link verify}. Nothing is
   * counted before it decides, so falling back never counts twice.
   */
  verifyFromMemory(
    input: VerifyInput,
    callerIp: string,
    now: number,
    vouched?: Vouched,
  ): VerifyOutcome | undefined {
    const retryAfterSeconds = this.throttled(callerIp, vouched, now);
    if (retryAfterSeconds > 0) return { throttled: true, retryAfterSeconds };
    if (!isWellFormedToken(input.token, this.options.tokenPrefix))
      return this.failure('MALFORMED', callerIp, vouched, now);
    if (!this.caching) return undefined;
    const hash = this.hash(input.token);
    const token = this.cache.get(hash);
    if (token === undefined) {
      return this.unknown.has(hash) ? this.failure('NOT_FOUND', callerIp, vouched, now) : undefined;
    }
    return this.judge(token, input, callerIp, vouched, now);
  }

  /**
   * Every verification, and every use of a token on the management API (then without a question).
   * `callerIp` is who asks; `vouched` is the end client a trusted caller names (the route decides trust).
   */
  async verify(input: VerifyInput, callerIp: string, vouched?: Vouched): Promise<VerifyOutcome> {
    const now = Date.now();
    const fast = this.verifyFromMemory(input, callerIp, now, vouched);
    if (fast !== undefined) return fast;
    // Memory could not answer: the token needs a read, a shared rate counter, or the org's resources.
    const token = await this.resolve(input.token);
    if (typeof token === 'string') return this.failure(token, callerIp, vouched, now);
    let rateCounted = false;
    const clientIp = this.addressFor(token, callerIp, vouched);
    if (token.rateLimit !== null && this.checkUsable(token, clientIp, now) === null) {
      if (!(await this.withinRateLimit(token, now))) return this.refused(token, 'RATE_LIMITED', now);
      rateCounted = true;
    }
    const resources = input.resource === undefined ? undefined : await this.resourcesOf(token.orgId);
    // With the I/O done, judge always answers (a rate-limited token is either counted or unusable).
    const io = { rateCounted, resources };
    const outcome = this.judge(token, input, callerIp, vouched, now, io) as VerifyOutcome;
    if (token.endsGraceOnUse && 'valid' in outcome && outcome.valid) {
      await this.firstUse(token, input.token, clientIp);
    }
    return outcome;
  }

  /** Calls {@link onFirstUse} once per value at a time (concurrent first uses wait for the same call). */
  private async firstUse(token: VerifiedToken, value: string, clientIp: string): Promise<void> {
    const hash = this.hash(value);
    let pending = this.firstUses.get(hash);
    if (pending === undefined) {
      pending = (this.onFirstUse?.(token, hash, clientIp) ?? Promise.resolve()).finally(() =>
        this.firstUses.delete(hash),
      );
      this.firstUses.set(hash, pending);
    }
    await pending;
  }

  /**
   * The checks once the token is known, in the order of the spec's codes. Without `io` it answers only
   * what memory can: undefined when the token's rate limit or the org's resources are needed.
   */
  private judge(
    token: VerifiedToken,
    input: VerifyInput,
    callerIp: string,
    vouched: Vouched | undefined,
    now: number,
    io?: { rateCounted: boolean; resources: ReadonlySet<string> | undefined },
  ): VerifyOutcome | undefined {
    const clientIp = this.addressFor(token, callerIp, vouched);
    const unusable = this.checkUsable(token, clientIp, now);
    if (unusable === 'NOT_FOUND') {
      if (token.valueRetiredAt) this.onRetiredValue?.(token, clientIp);
      return this.failure(unusable, callerIp, vouched, now);
    }
    if (unusable !== null) return this.refused(token, unusable, now);
    if (token.rateLimit !== null && !io?.rateCounted) return undefined;
    if (input.permission !== undefined && !this.allows(token, input.permission))
      return this.refused(token, 'FORBIDDEN', now);
    if (input.resource !== undefined) {
      if (token.resourceIds !== null && !token.resourceIds.has(input.resource))
        return this.refused(token, 'RESOURCE_FORBIDDEN', now);
      const resources = io ? io.resources : this.orgResources.get(token.orgId);
      if (resources === undefined) return undefined;
      if (!resources.has(input.resource)) return this.refused(token, 'RESOURCE_FORBIDDEN', now);
    }
    // The first use of a rotation's new value "until used" is answered after the old values stopped.
    if (token.endsGraceOnUse && io === undefined) return undefined;
    this.options.usage.record(token.id, clientIp, now);
    this.options.usage.exercise(token.id, token.permissions, input.permission, input.resource, now);
    return { valid: true, token, body: token.validBody };
  }

  /** A known token refused: counted for its daily usage (in memory, written by the usage flush). */
  private refused(token: VerifiedToken, code: VerifyCode, now: number): VerifyOutcome {
    this.options.usage.refuse(token.id, now);
    return invalid(code);
  }

  /** MALFORMED and NOT_FOUND count against the caller's address (and a vouched-for end client). */
  private failure(
    code: 'MALFORMED' | 'NOT_FOUND',
    callerIp: string,
    vouched: Vouched | undefined,
    now: number,
  ): VerifyOutcome {
    this.countFailure(callerIp, vouched, now);
    return invalid(code);
  }

  allows(token: VerifiedToken, query: PermissionQuery): boolean {
    return permissionAllows(token.permissions, query);
  }

  /** The org's resource ids: a token's resource must be one of them, even for an all-resources token. */
  private async resourcesOf(orgId: string): Promise<ReadonlySet<string>> {
    let resources = this.caching ? this.orgResources.get(orgId) : undefined;
    if (resources === undefined) {
      const generation = this.generation;
      this.databaseReads++;
      resources = new Set(await resourceIdsOfOrg(this.options.db, orgId));
      if (generation === this.generation && this.caching) this.orgResources.set(orgId, resources);
    }
    return resources;
  }

  /** Drops what is cached about one token, before the change's own request answers. */
  invalidateToken(tokenId: string): void {
    this.generation++;
    const hashes = this.hashesByToken.get(tokenId);
    if (hashes === undefined) return;
    for (const hash of typeof hashes === 'string' ? [hashes] : [...hashes]) this.cache.delete(hash);
  }

  /** Drops every entry of an org: role edits and member changes reach many tokens at once. */
  invalidateOrg(orgId: string): void {
    this.generation++;
    this.orgResources.delete(orgId);
    const stale: string[] = [];
    for (const [hash, entry] of this.cache.entries()) if (entry.orgId === orgId) stale.push(hash);
    for (const hash of stale) this.cache.delete(hash);
  }

  invalidateOrgResources(orgId: string): void {
    this.generation++;
    this.orgResources.delete(orgId);
  }

  /** A value just issued must not be answered from the negative cache. */
  forgetUnknown(hash: string): void {
    this.unknown.delete(hash);
  }

  /** Turns the cache on or off; either way it starts empty, since what it held may be stale. */
  setCaching(enabled: boolean): void {
    this.caching = enabled;
    this.clear();
  }

  clear(): void {
    this.generation++;
    this.cache.clear();
    this.unknown.clear();
    this.orgResources.clear();
  }

  get size(): number {
    return this.cache.size;
  }
}
