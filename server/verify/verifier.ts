import { hash as digest } from 'node:crypto';
import {
  addressInRanges,
  type IpRange,
  isWellFormedToken,
  type PermissionQuery,
  parseIpAddress,
  parseIpRange,
  permissionAllows,
  VERIFY_CODES,
  type VerifyCode,
} from '@latchkey/sdk/rules';
import { LRUCache } from 'lru-cache';
import type { Catalog } from '../catalog/catalog.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import { resourceIdsOfOrg } from '../resources/resources.repository.ts';
import { hashSecret } from '../tokens/token-value.ts';
import {
  type TokenForVerify,
  tokenLoaderForVerify,
  verifyRowsOfTokensAfter,
} from '../tokens/tokens.repository.ts';
import { Doorkeeper } from './doorkeeper.ts';
import { MembershipFilter } from './membership-filter.ts';
import type { RateLimitStore } from './rate-limiter.ts';
import { TokenStore } from './token-store.ts';
import type { UsageRecorder } from './usage.ts';
import { countTokenHashes } from './verify.repository.ts';

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
}

/**
 * What tokens share: the grant (kind, access, role, permissions, resources, addresses, rate limit) and
 * its parts of the answer, serialized once. Interned, so a million tokens with a few distinct grants
 * hold a few of these (issue 13: compact cache entries).
 */
interface Grant {
  readonly kind: 'personal' | 'application';
  readonly access: 'full' | 'granular';
  readonly roleId: string | null;
  readonly permissions: ReadonlySet<string>;
  readonly resourceIds: ReadonlySet<string> | null;
  readonly ipRanges: readonly IpRange[] | null;
  readonly rateLimit: { limit: number; windowMs: number } | null;
  /** `"permissions":[…],"resourceIds":…` for the answer. */
  readonly permissionsJson: string;
  /** `"allowedIps":…,"rateLimit":…` for the answer. */
  readonly limitsJson: string;
}

/**
 * One cached token: its own fields and a shared {@link Grant}. Also what the rest of the server sees as
 * a {@link VerifiedToken}.
 */
class CachedToken implements VerifiedToken {
  constructor(
    readonly id: string,
    readonly orgId: string,
    readonly ownerId: string | null,
    readonly revoked: boolean,
    readonly expiresAt: number | null,
    readonly valueNotAfter: number | null,
    readonly grant: Grant,
    /** The verifier's generation when the read that made this entry started. */
    readonly generation: number,
    /**
     * When this entry stops being answered from memory (VERIFY_CACHE_TTL_SECONDS), in whole seconds
     * since {@link CLOCK_BASE}, rounded down: a small integer, stored in the object (no heap number).
     */
    readonly cachedUntil: number,
    readonly endsGraceOnUse = false,
    readonly valueRetiredAt: number | null = null,
  ) {}
  /** The `{"valid":true,…}` answer, made on the first valid verification (an entry never changes). */
  validBody: string | undefined = undefined;
  get kind() {
    return this.grant.kind;
  }
  get access() {
    return this.grant.access;
  }
  get roleId() {
    return this.grant.roleId;
  }
  get permissions() {
    return this.grant.permissions;
  }
  get resourceIds() {
    return this.grant.resourceIds;
  }
  get ipRanges() {
    return this.grant.ipRanges;
  }
  get rateLimit() {
    return this.grant.rateLimit;
  }
}

const iso = (ms: number | null) => (ms === null ? 'null' : `"${new Date(ms).toISOString()}"`);

/** The `{"valid":true,…}` answer of a token, serialized when it is sent. */
function validBodyOf(token: CachedToken): string {
  if (token.validBody !== undefined) return token.validBody;
  const { grant } = token;
  token.validBody =
    `{"valid":true,"token":{"id":${JSON.stringify(token.id)},"orgId":${JSON.stringify(token.orgId)},` +
    `"kind":"${grant.kind}","ownerId":${token.ownerId === null ? 'null' : JSON.stringify(token.ownerId)},` +
    `${grant.permissionsJson},"expiresAt":${iso(token.expiresAt)},${grant.limitsJson},` +
    `"valueExpiresAt":${iso(token.valueNotAfter)}}}`;
  return token.validBody;
}

/** The key of the cache: an unkeyed SHA-256 of the value (no HMAC on a hit; the value is not kept). */
function cacheKey(value: string): string {
  // The first 128 bits, as a 16-character one-byte string (a copy, not a slice of a longer one): finding
  // another value with the same key is a second preimage of 128 bits.
  return digest('sha256', value, 'buffer').toString('latin1', 0, 16);
}

/** The origin of {@link CachedToken.cachedUntil}'s seconds. */
const CLOCK_BASE = Date.now();
const secondsOf = (ms: number) => Math.floor((ms - CLOCK_BASE) / 1000);

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
  database: DatabaseHandle;
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

/** Marks of invalidated tokens or orgs (id → generation), kept for one cache lifetime or more. */
class Marks {
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private rotatedAt = 0;

  get empty(): boolean {
    return this.current.size === 0 && this.previous.size === 0;
  }

  /** Records the mark; marks older than two lifetimes go (no entry made before them is still cached). */
  set(id: string, generation: number, now: number, lifetimeMs: number): void {
    if (now - this.rotatedAt >= lifetimeMs) {
      this.previous = this.current;
      this.current = new Map();
      this.rotatedAt = now;
    }
    this.current.set(id, generation);
  }

  get(id: string): number {
    return Math.max(this.current.get(id) ?? -1, this.previous.get(id) ?? -1);
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
  }
}

/**
 * Tokens per page of the start-up scan that builds the membership filter and fills the token store: small
 * enough that a page (a synchronous read on SQLite, then made into entries) holds answers back by a few
 * milliseconds only.
 */
const SCAN_PAGE = 1_000;
/** Hot tokens kept as objects in front of the compact store (the rest cost one HMAC more to find). */
export const FRONT_ENTRIES = 20_000;

export class Verifier {
  /**
   * Verified tokens by {@link cacheKey} of the value. A Map in insertion order: full, it drops its oldest
   * entry (no per-hit bookkeeping); an entry lives at most VERIFY_CACHE_TTL_SECONDS.
   */
  private readonly cache = new Map<string, CachedToken>();
  private readonly frontEntries: number;
  /** Lets a token into the front map on its second verification (doorkeeper.ts). */
  private readonly doorkeeper = new Doorkeeper();
  /** Every cached token, compact, by the HMAC of its value (token-store.ts): VERIFY_CACHE_SIZE of them. */
  private readonly store: TokenStore<Grant>;
  /** Grants by the row fields they are made of: the scan makes each grant once, not once per row. */
  private readonly rowGrants = new Map<string, Grant>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  /** Values whose HMAC passed the membership filter but were not found (a false positive, repeated). */
  private readonly unknown: LRUCache<string, true>;
  /** Invalidations: an entry read before its token's (or org's) latest mark is stale. */
  private readonly tokenMarks = new Marks();
  private readonly orgMarks = new Marks();
  /** Interned grants and strings: tokens share them. */
  private readonly grants = new Map<string, Grant>();
  private readonly strings = new Map<string, string>();
  private readonly orgResources = new Map<string, { ids: ReadonlySet<string>; until: number }>();
  /** Bumped by every invalidation, so a load that raced with one is not cached. */
  private generation = 0;
  /** Database reads made by verification, for /metrics and for tests of the no-I/O paths. */
  databaseReads = 0;
  /** Never-seen values answered by the membership filter without a read. */
  filterAnswers = 0;
  /**
   * Off while this process may miss invalidations from other processes (its notification connection is
   * down): then every verification reads the database.
   */
  private caching = true;
  /**
   * Every stored token hash, or more (see membership-filter.ts); null until built, and while this
   * process may miss values issued by others (the notification connection is down).
   */
  private filter: MembershipFilter | null = null;
  /** The filter being built by a scan, and which build it is (a newer one abandons an older). */
  private building: MembershipFilter | null = null;
  private buildNumber = 0;
  /**
   * Told of every issued value's hash, to pass on to the other processes (PostgreSQL relay); resolves
   * once they have been told (the notification is committed).
   */
  announceIssued: ((hash: string) => Promise<void>) | undefined;
  /**
   * Set when other processes issue values too (PostgreSQL relay): resolves once every value issued
   * before the call has reached this process (true), or false when that cannot be known (not listening).
   */
  confirmUnknown: (() => Promise<boolean>) | undefined;
  /** Rotation "until used" (server/tokens/rotation-evidence.ts): the new value's first success. */
  onFirstUse: ((token: VerifiedToken, hash: string, ip: string) => Promise<void>) | undefined;
  /** A value stopped by its successor's first use was presented again. */
  onRetiredValue: ((token: VerifiedToken, ip: string) => void) | undefined;
  private readonly firstUses = new Map<string, Promise<void>>();

  private readonly loadRow: (hash: string) => Promise<TokenForVerify | undefined>;

  constructor(private readonly options: VerifierOptions) {
    this.loadRow = tokenLoaderForVerify(options.database.db);
    this.maxEntries = Math.max(options.cacheSize, 1);
    this.frontEntries = Math.min(this.maxEntries, FRONT_ENTRIES);
    this.store = new TokenStore(options.cacheSize);
    this.ttlMs = options.cacheTtlMs > 0 ? options.cacheTtlMs : 1;
    this.unknown = new LRUCache({ max: Math.min(this.maxEntries, 100_000), ttl: this.ttlMs });
  }

  hash(value: string): string {
    return hashSecret(this.options.secret, value);
  }

  /** The cached token for this key, if it is still good: not past its lifetime, not invalidated since. */
  private cached(key: string, now: number): CachedToken | undefined {
    const entry = this.cache.get(key);
    if (entry === undefined) return undefined;
    if (
      secondsOf(now) >= entry.cachedUntil ||
      (!this.tokenMarks.empty && this.tokenMarks.get(entry.id) > entry.generation) ||
      (!this.orgMarks.empty && this.orgMarks.get(entry.orgId) > entry.generation)
    ) {
      this.cache.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * The token the compact store holds for this HMAC, if still good; moved to the front map if verified
   * before (doorkeeper.ts), so its next verification needs no HMAC.
   */
  private stored(key: string, hmac: string, now: number): CachedToken | undefined {
    const kept = this.store.get(hmac);
    if (kept === undefined) return undefined;
    if (
      secondsOf(now) >= kept.cachedUntil ||
      (!this.tokenMarks.empty && this.tokenMarks.get(kept.id) > kept.generation) ||
      (!this.orgMarks.empty && this.orgMarks.get(kept.orgId) > kept.generation)
    ) {
      this.store.delete(hmac);
      return undefined;
    }
    const entry = new CachedToken(
      kept.id,
      kept.orgId,
      kept.ownerId,
      kept.revoked,
      kept.expiresAt,
      kept.valueNotAfter,
      kept.grant,
      kept.generation,
      kept.cachedUntil,
      kept.endsGraceOnUse,
      kept.valueRetiredAt,
    );
    if (this.doorkeeper.seenBefore(key)) this.remember(key, entry);
    return entry;
  }

  /** Puts an entry in the front map; full, it drops its oldest. */
  private remember(key: string, entry: CachedToken): void {
    this.cache.delete(key);
    if (this.cache.size >= this.frontEntries) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(key, entry);
  }

  private keep(hmac: string, entry: CachedToken): void {
    this.store.set(hmac, entry);
  }

  /** Whether the membership filter says this hash was never stored (a complete filter only). */
  private filterExcludes(hmac: string): boolean {
    return this.filter !== null && !this.filter.mayContain(hmac);
  }

  /**
   * Whether memory alone knows the value is not a stored one: looked up and not found, or excluded by
   * the membership filter when no other process can issue values. The HMAC is computed only here, for
   * values that missed the cache.
   */
  private knownUnknown(hmac: string): boolean {
    if (this.unknown.has(hmac)) return true;
    if (this.confirmUnknown === undefined && this.filterExcludes(hmac)) {
      this.filterAnswers++;
      return true;
    }
    return false;
  }

  /**
   * {@link knownUnknown}, and with other processes (PostgreSQL) the filter's answer once this process
   * has received every value issued before now (a round trip on the notification connection, shared by
   * the verifications waiting for it; not a read).
   */
  private async unknownAfterSync(hmac: string): Promise<boolean> {
    if (this.knownUnknown(hmac)) return true;
    if (this.confirmUnknown === undefined || !this.filterExcludes(hmac)) return false;
    if (!(await this.confirmUnknown()) || !this.filterExcludes(hmac)) return false;
    this.filterAnswers++;
    return true;
  }

  /**
   * Finds the token a value belongs to: from the cache, or with one indexed read.
   * Answers 'MALFORMED' without any I/O for a value whose shape or checksum is wrong.
   */
  async resolve(value: string): Promise<VerifiedToken | 'MALFORMED' | 'NOT_FOUND'> {
    if (!isWellFormedToken(value, this.options.tokenPrefix)) return 'MALFORMED';
    const key = cacheKey(value);
    if (this.caching) {
      const cached = this.cached(key, Date.now());
      if (cached !== undefined) return cached;
    }
    const hmac = this.hash(value);
    if (this.caching) {
      const kept = this.stored(key, hmac, Date.now());
      if (kept !== undefined) return kept;
      if (await this.unknownAfterSync(hmac)) return 'NOT_FOUND';
    }
    return this.load(key, hmac);
  }

  private async load(key: string, hmac: string): Promise<CachedToken | 'NOT_FOUND'> {
    let generation = this.generation;
    this.databaseReads++;
    let row = await this.loadRow(hmac);
    if (generation !== this.generation) {
      // An invalidation ran while we read: read again, so what we answer is at least as new as it.
      generation = this.generation;
      this.databaseReads++;
      row = await this.loadRow(hmac);
    }
    const cacheable = generation === this.generation && this.caching && this.options.cacheSize > 0;
    if (row === undefined) {
      if (cacheable) this.unknown.set(hmac, true);
      return 'NOT_FOUND';
    }
    const entry = this.toCached(row, generation, secondsOf(Date.now() + this.ttlMs));
    if (cacheable) {
      if (this.doorkeeper.seenBefore(key)) this.remember(key, entry);
      this.keep(hmac, entry);
    }
    return entry;
  }

  private intern(value: string): string;
  private intern(value: string | null): string | null;
  private intern(value: string | null): string | null {
    if (value === null) return null;
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    if (this.strings.size >= 100_000) this.strings.clear();
    this.strings.set(value, value);
    return value;
  }

  private grant(
    kind: Grant['kind'],
    access: Grant['access'],
    roleId: string | null,
    permissionList: readonly string[],
    resourceIdList: readonly string[] | null,
    ipList: readonly string[] | null,
    rateLimit: number | null,
    rateLimitWindow: number | null,
  ): Grant {
    const limited = rateLimit !== null && rateLimitWindow !== null;
    const permissionsJson = `"permissions":${JSON.stringify(permissionList)},"resourceIds":${JSON.stringify(resourceIdList)}`;
    const limitsJson = `"allowedIps":${JSON.stringify(ipList)},"rateLimit":${
      limited ? JSON.stringify({ limit: rateLimit, windowSeconds: rateLimitWindow }) : 'null'
    }`;
    const key = `${kind}\n${access}\n${roleId}\n${permissionsJson}\n${limitsJson}`;
    let grant = this.grants.get(key);
    if (grant === undefined) {
      if (this.grants.size >= 10_000) this.grants.clear();
      grant = {
        kind,
        access,
        roleId,
        permissions: new Set(permissionList),
        resourceIds: resourceIdList === null ? null : new Set(resourceIdList),
        ipRanges: ipList === null ? null : ipList.map(parseIpRange).filter((r): r is IpRange => r !== null),
        rateLimit: limited ? { limit: rateLimit, windowMs: rateLimitWindow * 1000 } : null,
        permissionsJson,
        limitsJson,
      };
      this.grants.set(key, grant);
    }
    return grant;
  }

  private toCached(row: TokenForVerify, generation: number, cachedUntil: number): CachedToken {
    const ownerGone = row.kind === 'personal' && row.ownerRoleId === null;
    return new CachedToken(
      row.id,
      this.intern(row.orgId),
      this.intern(row.ownerId),
      row.status === 'revoked' || ownerGone,
      row.expiresAt === null ? null : Number(row.expiresAt),
      row.notAfter === null ? null : Number(row.notAfter),
      this.grantOfRow(row),
      generation,
      cachedUntil,
      Number(row.endsGraceOnUse) === 1,
      row.retiredAt === null ? null : Number(row.retiredAt),
    );
  }

  /** The row's grant, made once per distinct combination of the fields it is made of. */
  private grantOfRow(row: TokenForVerify): Grant {
    const key = [
      row.kind,
      row.access,
      row.roleId,
      row.permissions,
      row.tokenRolePermissions,
      row.ownerRoleId,
      row.ownerRolePermissions,
      row.resourceIds,
      row.allowedIps,
      row.rateLimit,
      row.rateLimitWindow,
    ].join('\n');
    let grant = this.rowGrants.get(key);
    if (grant === undefined) {
      if (this.rowGrants.size >= 10_000) this.rowGrants.clear();
      grant = this.makeGrant(row);
      this.rowGrants.set(key, grant);
    }
    return grant;
  }

  private makeGrant(row: TokenForVerify): Grant {
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
    if (row.kind === 'personal') {
      // The owner bound: a personal token never holds more than its owner holds right now.
      const owner = new Set(rolePermissions(row.ownerRoleId, row.ownerRolePermissions));
      base = base.filter((p) => owner.has(p));
    }
    const permissionList = [...new Set(base.filter((p) => catalog.keys.has(p)))].sort();
    return this.grant(
      row.kind,
      row.access,
      this.intern(row.roleId),
      permissionList,
      parseList(row.resourceIds),
      parseList(row.allowedIps),
      row.rateLimit,
      row.rateLimitWindow,
    );
  }

  /**
   * Builds the membership filter from a scan of every stored value's row, in pages (the event loop keeps
   * answering; until it is done, values memory does not know are looked up as before), and keeps each
   * token in the compact store, so that verifications after start-up need no read (issue 13). Values
   * issued meanwhile are added to the filter as they are issued, so it is complete when the scan ends. A
   * row read before an invalidation of its token or org is not kept (the generation check of every entry).
   */
  async buildFilter(): Promise<void> {
    const number = ++this.buildNumber;
    const { database } = this.options;
    const count = await countTokenHashes(database.db);
    if (number !== this.buildNumber) return;
    const filter = new MembershipFilter(Math.max(100_000, count * 2));
    this.building = filter;
    // Tokens beyond the store's capacity would only push each other out.
    let room = this.caching ? Math.max(0, this.options.cacheSize - this.store.size) : 0;
    // Sized once for what the scan will keep: growing by doubling left each smaller table's arrays to
    // the garbage collector, a hundred megabytes and more of RSS until it ran.
    this.store.reserve(this.store.size + Math.min(room, count));
    let after = '';
    for (;;) {
      const generation = this.generation;
      const page = await verifyRowsOfTokensAfter(database, after, SCAN_PAGE);
      if (number !== this.buildNumber) return;
      if (page.lastTokenId === null) break;
      const cachedUntil = secondsOf(Date.now() + this.ttlMs);
      for (const row of page.rows) {
        filter.add(row.hash);
        if (room > 0 && generation === this.generation && this.caching) {
          if (this.store.get(row.hash) === undefined) {
            if (this.keepScanned(row, generation, cachedUntil)) room--;
          }
        }
      }
      after = page.lastTokenId;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (number !== this.buildNumber || !this.caching) return;
    this.building = null;
    this.filter = filter;
  }

  private keepScanned(
    row: TokenForVerify & { hash: string },
    generation: number,
    cachedUntil: number,
  ): boolean {
    const entry = this.toCached(row, generation, cachedUntil);
    return this.store.set(row.hash, entry);
  }

  /** Starts {@link buildFilter} in the background; a failure leaves verification reading the database. */
  private rebuildFilter(): void {
    this.buildFilter().catch(() => {
      this.building = null;
    });
  }

  /** Whether the membership filter is complete and in use. */
  get filterReady(): boolean {
    return this.filter !== null;
  }

  /** Bytes of the membership filter in use (0 while there is none). */
  get filterBytes(): number {
    return this.filter?.bytes ?? 0;
  }

  /** A hash stored by another process (told by the relay): known from now on. */
  addIssued(hash: string): void {
    this.unknown.delete(hash);
    this.filter?.add(hash);
    this.building?.add(hash);
    if (this.filter?.full && this.building === null) this.rebuildFilter();
  }

  /** The checks every use of a token passes, for verify and for the management API alike (no I/O). */
  private checkUsable(token: VerifiedToken, clientIp: string, now: number): VerifyCode | null {
    if (token.revoked) return 'REVOKED';
    if (token.valueNotAfter !== null && now >= token.valueNotAfter) return 'NOT_FOUND';
    if (token.expiresAt !== null && now >= token.expiresAt) return 'EXPIRED';
    if (token.ipRanges !== null) {
      const address = parseIpAddress(clientIp);
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
    const key = cacheKey(value);
    let token = this.cached(key, now);
    if (token === undefined) {
      const hmac = this.hash(value);
      token = this.stored(key, hmac, now);
      if (token === undefined) {
        return this.knownUnknown(hmac) ? this.credentialFailure('NOT_FOUND', callerIp, now) : undefined;
      }
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
    // Only well-formed values are ever cached: a hit needs no check of the shape and checksum.
    const key = this.caching ? cacheKey(input.token) : '';
    let token = this.caching ? this.cached(key, now) : undefined;
    if (token === undefined) {
      if (!isWellFormedToken(input.token, this.options.tokenPrefix))
        return this.failure('MALFORMED', callerIp, vouched, now);
      if (!this.caching) return undefined;
      const hmac = this.hash(input.token);
      token = this.stored(key, hmac, now);
      if (token === undefined) {
        return this.knownUnknown(hmac) ? this.failure('NOT_FOUND', callerIp, vouched, now) : undefined;
      }
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
      const resources = io ? io.resources : this.cachedResources(token.orgId, now);
      if (resources === undefined) return undefined;
      if (!resources.has(input.resource)) return this.refused(token, 'RESOURCE_FORBIDDEN', now);
    }
    // The first use of a rotation's new value "until used" is answered after the old values stopped.
    if (token.endsGraceOnUse && io === undefined) return undefined;
    // With the question: what it exercised, on the same pending entry (issue 17, least privilege).
    this.options.usage.record(token.id, clientIp, now, token.permissions, input.permission, input.resource);
    return { valid: true, token, body: validBodyOf(token as CachedToken) };
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

  /** The org's resource ids if memory has them (fresh). */
  private cachedResources(orgId: string, now: number): ReadonlySet<string> | undefined {
    const cached = this.orgResources.get(orgId);
    if (cached === undefined) return undefined;
    if (now < cached.until) return cached.ids;
    this.orgResources.delete(orgId);
    return undefined;
  }

  /** The org's resource ids: a token's resource must be one of them, even for an all-resources token. */
  private async resourcesOf(orgId: string): Promise<ReadonlySet<string>> {
    let resources = this.caching ? this.cachedResources(orgId, Date.now()) : undefined;
    if (resources === undefined) {
      const generation = this.generation;
      this.databaseReads++;
      resources = new Set(await resourceIdsOfOrg(this.options.database.db, orgId));
      if (generation === this.generation && this.caching) {
        if (this.orgResources.size >= 10_000) this.orgResources.clear();
        this.orgResources.set(orgId, { ids: resources, until: Date.now() + this.ttlMs });
      }
    }
    return resources;
  }

  /**
   * Makes what is cached about one token stale, before the change's own request answers: a mark, not a
   * search (the cache is not indexed by token; a million entries would need a second map).
   */
  invalidateToken(tokenId: string): void {
    this.generation++;
    this.tokenMarks.set(tokenId, this.generation, Date.now(), this.ttlMs);
  }

  /** Makes every entry of an org stale: role edits and member changes reach many tokens at once. */
  invalidateOrg(orgId: string): void {
    this.generation++;
    this.orgResources.delete(orgId);
    this.orgMarks.set(orgId, this.generation, Date.now(), this.ttlMs);
  }

  invalidateOrgResources(orgId: string): void {
    this.generation++;
    this.orgResources.delete(orgId);
  }

  /**
   * A value was just issued (created or rotated) here: it must not be answered from the negative cache
   * nor by the membership filter, here or (told through the relay) in the other processes. The issuing
   * request awaits it, so the value is not handed out before every process can know it.
   */
  async forgetUnknown(hash: string): Promise<void> {
    this.addIssued(hash);
    await this.announceIssued?.(hash);
  }

  /**
   * Turns the cache on or off; either way it starts empty, since what it held may be stale. The
   * membership filter too: off while other processes' issues may be missed, rebuilt when caching again.
   */
  setCaching(enabled: boolean): void {
    this.caching = enabled;
    this.clear();
    this.filter = null;
    this.building = null;
    this.buildNumber++;
    if (enabled) this.rebuildFilter();
  }

  clear(): void {
    this.generation++;
    this.cache.clear();
    this.doorkeeper.clear();
    this.store.clear();
    this.unknown.clear();
    this.orgResources.clear();
    this.tokenMarks.clear();
    this.orgMarks.clear();
  }

  /** Tokens held in memory. */
  get size(): number {
    return Math.max(this.store.size, this.cache.size);
  }

  /** Tokens held as objects in the front map (at most 20,000, the hot ones). */
  get frontSize(): number {
    return this.cache.size;
  }

  /** Bytes of the compact token store (allocated for VERIFY_CACHE_SIZE tokens on first use). */
  get storeBytes(): number {
    return this.store.bytes;
  }
}
