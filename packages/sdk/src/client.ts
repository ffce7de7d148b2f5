// The Node client: LatchkeyClient (http-client.ts, browser-safe) plus the in-process verification
// cache, whose keys are hashed with node:crypto and which the server's token events keep fresh.
import { answerFromEntry, VerifyCache, type VerifyCacheOptions } from './cache.ts';
import type { EventStream } from './events.ts';
import { LatchkeyClient, type LatchkeyClientOptions } from './http-client.ts';
import { isWellFormedToken } from './rules/token-format.ts';
import type { VerifyOptions, VerifyResult } from './types.ts';

/**
 * Options of the {@link Latchkey} client.
 *
 * @example
 * const options: LatchkeyOptions = {
 *   baseUrl: 'http://127.0.0.1:4000',
 *   token: process.env.LATCHKEY_TOKEN,
 *   cache: { max: 10_000, ttlMs: 30_000 },
 * };
 */
export interface LatchkeyOptions extends LatchkeyClientOptions {
  /**
   * Cache verifications in this process. Needs `token` (or a session): the client subscribes to the
   * server's token events so that a revocation clears an entry within a second. Answers come from
   * the cache only while that subscription is up.
   */
  cache?: VerifyCacheOptions | boolean;
}

const MALFORMED: VerifyResult = Object.freeze({ valid: false, code: 'MALFORMED' });

/**
 * The Latchkey client for Node: a typed method for every API call (SPEC §3, those of
 * {@link LatchkeyClient}), `verify()` with an optional in-process cache kept fresh by the server's
 * token events, and the event stream itself. API errors are thrown as `LatchkeyError` carrying the
 * envelope's code; a refused token is data (`{ valid: false, code }`), not an exception.
 *
 * @example
 * import { Latchkey } from '@latchkey/sdk';
 *
 * const latchkey = new Latchkey({ baseUrl: 'http://127.0.0.1:4000', token: process.env.LATCHKEY_TOKEN });
 * const { orgs } = await latchkey.auth.session();
 * const created = await latchkey.tokens.create(orgs[0].id, {
 *   name: 'indexer',
 *   access: 'granular',
 *   permissions: ['blocks:read'],
 *   expiresIn: '30d',
 * });
 * const result = await latchkey.verify(created.token, { permission: 'blocks:read' });
 * console.log(result.valid); // true
 */
export class Latchkey extends LatchkeyClient {
  /** The verification cache, when enabled. */
  readonly cache: VerifyCache | null;
  private stream: EventStream | null = null;
  private cacheOrgs: Set<string> | null = null;
  private readyWaiters: Array<() => void> = [];
  private readonly inflight = new Map<string, Promise<VerifyResult>>();
  private closed = false;

  constructor(options: LatchkeyOptions) {
    super(options);
    const cacheOptions = options.cache === true ? {} : options.cache || null;
    if (cacheOptions && !this.holdsCredential()) {
      throw new TypeError(
        'Latchkey: a cache needs a credential (token) to subscribe to token events; without one, revocations could not reach it',
      );
    }
    this.cache = cacheOptions ? new VerifyCache(cacheOptions) : null;
  }

  /**
   * Whether a token is valid, and allowed a permission on a resource. A token whose shape or
   * checksum is wrong is refused here (`MALFORMED`) without a round-trip. With a cache, the token's
   * verified record is kept (keyed by a hash of the value) and the question is answered locally.
   * Throws a {@link LatchkeyError} only when no answer was possible: the server unreachable, or
   * `RATE_LIMITED` (HTTP 429) when the caller's address has made too many failed attempts.
   *
   * @example
   * const result = await latchkey.verify(bearer, { permission: 'blocks:read', resource: 'res_shard1', ip });
   * if (!result.valid) return reply.code(401).send();
   * console.log(result.token.id, result.token.permissions);
   */
  override async verify(token: string, options: VerifyOptions = {}): Promise<VerifyResult> {
    const cache = this.cache;
    if (!cache) {
      if (!isWellFormedToken(token)) return MALFORMED;
      return this.judgeAddress(await this.verifyRemote({ token, ...options }), options);
    }
    const local = this.verifyCached(token, options);
    if (local !== undefined) return local;
    if (!isWellFormedToken(token)) return MALFORMED;
    if (!this.cacheLive()) return this.judgeAddress(await this.verifyRemote({ token, ...options }), options);
    const key = token;
    const asked = {
      ...(options.ip === undefined ? {} : { ip: options.ip }),
      ...(options.resource === undefined ? {} : { resource: options.resource }),
    };
    const flightKey = `${key}\u0000${asked.ip ?? ''}\u0000${asked.resource ?? ''}`;
    let flight = this.inflight.get(flightKey);
    if (!flight) {
      const generation = cache.generation;
      flight = this.verifyRemote({ token, ...asked })
        .then((answer) => {
          if (cache.generation === generation && this.cacheLive()) {
            if (answer.valid) {
              if (this.cacheOrgs?.has(answer.token.orgId)) cache.setValid(key, answer.token, asked);
            } else {
              cache.setInvalid(key, answer.code);
            }
          }
          return answer;
        })
        .finally(() => this.inflight.delete(flightKey));
      this.inflight.set(flightKey, flight);
    }
    const answer = await flight;
    if (!answer.valid) return answer;
    // The server judged the resource; the permission is judged here, and the end client's address too:
    // a server that does not trust this client (no `token` option) judged allowedIps on our own address.
    return this.decide(answer.token, options);
  }

  /**
   * The in-process cache's answer, synchronously, or `undefined` when only the server can answer
   * (no cache, a miss, an address or resource the cache cannot judge). {@link verify} asks it first.
   *
   * @example
   * const result = latchkey.verifyCached(bearer, { permission: 'blocks:read' }) ?? (await latchkey.verify(bearer, { permission: 'blocks:read' }));
   */
  verifyCached(token: string, options: VerifyOptions = {}): VerifyResult | undefined {
    const cache = this.cache;
    if (!cache) return undefined;
    this.startEvents();
    if (!this.cacheLive()) return undefined;
    const now = Date.now();
    const hit = cache.get(token, now);
    if (hit === undefined) return undefined;
    if (!hit.valid) return hit.result;
    return answerFromEntry(hit, options);
  }

  private cacheLive(): boolean {
    return this.stream?.connected === true && this.cacheOrgs !== null;
  }

  private startEvents(): void {
    if (this.stream || this.closed || !this.cache) return;
    const cache = this.cache;
    this.stream = this.events.subscribe({
      onEvent: (event) => {
        switch (event.type) {
          case 'ready':
            cache.clear();
            this.auth
              .session()
              .then((session) => {
                if (!this.stream?.connected) return;
                this.cacheOrgs = new Set(session.orgs.map((org) => org.id));
                const waiters = this.readyWaiters;
                this.readyWaiters = [];
                for (const resolve of waiters) resolve();
              })
              .catch(() => {
                this.cacheOrgs = null;
              });
            break;
          case 'org.changed':
          case 'resources.changed':
            cache.clearOrg(event.orgId);
            break;
          default:
            cache.clearToken(event.tokenId);
        }
      },
      onDisconnect: () => {
        this.cacheOrgs = null;
        cache.clear();
      },
    });
  }

  /**
   * Resolves once the cache is live: subscribed to token events and answering from memory. Useful
   * at boot or in tests; `verify()` works before that, asking the server every time.
   *
   * @example
   * const latchkey = new Latchkey({ baseUrl, token, cache: { ttlMs: 60_000 } });
   * await latchkey.cacheReady();
   */
  cacheReady(): Promise<void> {
    if (!this.cache) return Promise.reject(new TypeError('Latchkey: created without a cache'));
    this.startEvents();
    if (this.cacheLive()) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * Ends the event subscription and forgets the cache. Call it when shutting down, or the open
   * stream keeps the process alive.
   *
   * @example
   * process.on('SIGTERM', () => latchkey.close());
   */
  close(): void {
    this.closed = true;
    this.stream?.close();
    this.stream = null;
    this.cacheOrgs = null;
    this.cache?.clear();
  }
}
