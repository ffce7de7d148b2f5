import { answerFromEntry, VerifyCache, type VerifyCacheOptions } from './cache.ts';
import { LatchkeyError } from './errors.ts';
import { type EventStream, subscribeEvents } from './events.ts';
import { evaluateToken } from './permissions.ts';
import { isWellFormedToken } from './rules/token-format.ts';
import { isVerifyCode } from './rules/verify-codes.ts';
import type {
  AddedMember,
  AuditEvent,
  CreatedWebhook,
  CreateTokenInput,
  CreateWebhookInput,
  InsightsReport,
  Invite,
  IssuedToken,
  LatchkeyEvent,
  ListTokensParams,
  Member,
  Org,
  OrgPolicy,
  OutboxMail,
  OutboxPage,
  Page,
  PageParams,
  Permission,
  PermissionQuery,
  Resource,
  RevealLink,
  Role,
  Session,
  TokenDelivery,
  TokenInfo,
  TokenLookup,
  TokenUsage,
  TokenUse,
  UpdateTokenInput,
  UpdateWebhookInput,
  VerifiedToken,
  VerifyOptions,
  VerifyResult,
  Webhook,
  WebhookDelivery,
} from './types.ts';

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
export interface LatchkeyOptions {
  /** The server's address, without `/v1` (`http://127.0.0.1:4000`). */
  baseUrl: string;
  /**
   * A token used as `Authorization: Bearer` for management calls, the event stream and `verify()`. On
   * verify it is what makes the server believe the `ip` you pass (the end client's address): give a
   * token of the org whose tokens you verify. Without it the server ignores `ip`, judges `allowedIps`
   * on this process's own address and counts every failed verification against it (docs/security.md).
   */
  token?: string;
  /** A console session cookie (`name=value`); set automatically by `auth.login()` and `auth.setup()`. */
  cookie?: string;
  /**
   * Cache verifications in this process. Needs `token` (or a session): the client subscribes to the
   * server's token events so that a revocation clears an entry within a second. Answers come from
   * the cache only while that subscription is up.
   */
  cache?: VerifyCacheOptions | boolean;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /** A `fetch` implementation; default the global one. */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | boolean | undefined | null>;

interface RequestOptions {
  query?: Query | undefined;
  body?: unknown;
}

/**
 * The body of `POST /v1/setup`: the first user and their org.
 *
 * @example
 * const input: SetupInput = { email: 'ada@example.com', password: 'a long passphrase', name: 'Ada', orgName: 'Acme' };
 * await new Latchkey({ baseUrl }).auth.setup(input);
 */
export interface SetupInput {
  email: string;
  password: string;
  name: string;
  orgName: string;
}

/**
 * The body of `POST /v1/auth/accept-invite`; `inviteToken` is the `#token=` part of the invitation link.
 *
 * @example
 * const inviteToken = new URL(inviteUrl).hash.replace('#token=', '');
 * const input: AcceptInviteInput = { inviteToken, password: 'a long passphrase', name: 'Bo' };
 * await new Latchkey({ baseUrl }).auth.acceptInvite(input);
 */
export interface AcceptInviteInput {
  inviteToken: string;
  password: string;
  name: string;
}

/**
 * The answer of `POST /v1/leaks`: per reported value, its hint and whether it was a live token
 * (`true_positive`, now revoked) or not — the shape secret scanners expect.
 *
 * @example
 * const results: LeakReportResult = await latchkey.reportLeaks(['lk_…']);
 * console.log(results[0]?.label);
 */
export type LeakReportResult = Array<{ token_hint: string; label: 'true_positive' | 'false_positive' }>;

function encode(segment: string): string {
  return encodeURIComponent(segment);
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const MALFORMED: VerifyResult = Object.freeze({ valid: false, code: 'MALFORMED' });

/**
 * The Latchkey client: a typed method for every API call (SPEC §3), `verify()` with an optional
 * in-process cache kept fresh by the server's token events, and the event stream itself.
 * API errors are thrown as {@link LatchkeyError} carrying the envelope's code; a refused token is
 * data (`{ valid: false, code }`), not an exception.
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
export class Latchkey {
  readonly baseUrl: string;
  /** The verification cache, when enabled. */
  readonly cache: VerifyCache | null;
  private token: string | undefined;
  private readonly cookies = new Map<string, string>();
  private csrfToken: string | null = null;
  private readonly timeoutMs: number;
  private readonly extraHeaders: Record<string, string>;
  private readonly doFetch: typeof fetch;
  private stream: EventStream | null = null;
  private cacheOrgs: Set<string> | null = null;
  private readyWaiters: Array<() => void> = [];
  private readonly inflight = new Map<string, Promise<VerifyResult>>();
  private closed = false;

  constructor(options: LatchkeyOptions) {
    if (!options.baseUrl) throw new TypeError('Latchkey: baseUrl is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.token = options.token || undefined;
    if (options.cookie) this.addCookies([options.cookie]);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.extraHeaders = options.headers ?? {};
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    const cacheOptions = options.cache === true ? {} : options.cache || null;
    if (cacheOptions && !this.token && this.cookies.size === 0) {
      throw new TypeError(
        'Latchkey: a cache needs a credential (token) to subscribe to token events; without one, revocations could not reach it',
      );
    }
    this.cache = cacheOptions ? new VerifyCache(cacheOptions) : null;
  }

  // ---------------------------------------------------------------- transport

  private authHeaders(method: string): Record<string, string> {
    if (this.token) return { authorization: `Bearer ${this.token}` };
    if (this.cookies.size === 0) return {};
    const headers: Record<string, string> = {
      cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
    };
    if (UNSAFE.has(method)) {
      headers.origin = new URL(this.baseUrl).origin;
      if (this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    }
    return headers;
  }

  private addCookies(setCookies: string[]): void {
    for (const line of setCookies) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0\b/i.test(line)) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
  }

  /**
   * The console session cookie(s) this client holds (`name=value; …`), e.g. after `auth.login()`,
   * to keep and pass later as the `cookie` option; `undefined` without a session. It is a
   * credential: store it like a token.
   *
   * @example
   * const admin = new Latchkey({ baseUrl });
   * await admin.auth.login({ email, password });
   * const later = new Latchkey({ baseUrl, cookie: admin.sessionCookie() });
   */
  sessionCookie(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    if (this.cookies.size > 0 && !this.token && UNSAFE.has(method) && this.csrfToken === null) {
      await this.auth.session();
    }
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.extraHeaders,
      ...this.authHeaders(method),
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.doFetch(url, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new LatchkeyError(
        'NETWORK_ERROR',
        `Could not reach Latchkey at ${this.baseUrl}: ${String(error)}`,
        {
          status: 0,
          cause: error,
        },
      );
    }
    const setCookies = response.headers.getSetCookie();
    if (setCookies.length > 0) this.addCookies(setCookies);
    return response;
  }

  private async toError(response: Response): Promise<LatchkeyError> {
    const text = await response.text().catch(() => '');
    const retryHeader = response.headers.get('retry-after');
    const retryAfter = retryHeader !== null && /^\d+$/.test(retryHeader) ? Number(retryHeader) : undefined;
    const requestId = response.headers.get('x-request-id') ?? undefined;
    try {
      const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
      const error = parsed.error;
      if (error && typeof error.code === 'string') {
        return new LatchkeyError(error.code, typeof error.message === 'string' ? error.message : error.code, {
          status: response.status,
          details: error.details,
          requestId:
            requestId ??
            (typeof (error as { requestId?: unknown }).requestId === 'string'
              ? (error as { requestId: string }).requestId
              : undefined),
          retryAfter,
        });
      }
    } catch {
      // not the envelope: fall through
    }
    const code =
      response.status === 503 ? 'UNAVAILABLE' : response.status >= 500 ? 'INTERNAL' : 'NETWORK_ERROR';
    return new LatchkeyError(code, `Latchkey answered HTTP ${response.status}`, {
      status: response.status,
      details: text.slice(0, 500),
      requestId,
      retryAfter,
    });
  }

  private async call<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    if (!response.ok) throw await this.toError(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new LatchkeyError('NETWORK_ERROR', 'Latchkey answered something that is not JSON', {
        status: response.status,
        details: text.slice(0, 500),
        cause: error,
      });
    }
  }

  private async *paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const page = await fetchPage(cursor);
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  // ---------------------------------------------------------------- API

  /**
   * Console sessions: setup, sign in and out, the current session. A client that signs in keeps the
   * session cookie and sends the CSRF token on unsafe calls by itself.
   *
   * @example
   * const admin = new Latchkey({ baseUrl });
   * await admin.auth.login({ email: 'ada@example.com', password: 'correct horse' });
   * const { user, orgs } = await admin.auth.session();
   */
  readonly auth = {
    /** `GET /v1/auth/session`. */
    session: async (): Promise<Session> => {
      const session = await this.call<Session>('GET', '/v1/auth/session');
      if (session.csrfToken) this.csrfToken = session.csrfToken;
      return session;
    },
    /** `POST /v1/setup`: the first user and org; signs this client in. */
    setup: async (input: SetupInput): Promise<Session> => this.signIn('/v1/setup', input),
    /** `POST /v1/auth/login`; signs this client in. */
    login: async (input: { email: string; password: string }): Promise<Session> =>
      this.signIn('/v1/auth/login', input),
    /** `POST /v1/auth/logout`; forgets the session. */
    logout: async (): Promise<void> => {
      await this.call<unknown>('POST', '/v1/auth/logout');
      this.cookies.clear();
      this.csrfToken = null;
    },
    /** `POST /v1/auth/accept-invite`; signs this client in as the invited user. */
    acceptInvite: async (input: AcceptInviteInput): Promise<Session> =>
      this.signIn('/v1/auth/accept-invite', input),
  };

  private async signIn(path: string, body: unknown): Promise<Session> {
    this.csrfToken = null;
    const session = await this.call<Session>('POST', path, { body });
    this.csrfToken = session?.csrfToken ?? null;
    return session;
  }

  /**
   * The permission catalog (`GET /v1/permissions`).
   *
   * @example
   * const catalog = await latchkey.permissions();
   * console.log(catalog.map((p) => p.key));
   */
  async permissions(): Promise<Permission[]> {
    const answer = await this.call<Permission[] | { items?: Permission[]; permissions?: Permission[] }>(
      'GET',
      '/v1/permissions',
    );
    if (Array.isArray(answer)) return answer;
    return answer.items ?? answer.permissions ?? [];
  }

  /**
   * Organizations and their token policy.
   *
   * @example
   * const page = await latchkey.orgs.list();
   * await latchkey.orgs.update(page.items[0].id, { policy: { maxTtlDays: 90 } });
   */
  readonly orgs = {
    list: (params: PageParams = {}): Promise<Page<Org>> =>
      this.call('GET', '/v1/orgs', { query: { ...params } }),
    create: (input: { name: string; policy?: Partial<OrgPolicy> }): Promise<Org> =>
      this.call('POST', '/v1/orgs', { body: input }),
    get: (org: string): Promise<Org> => this.call('GET', `/v1/orgs/${encode(org)}`),
    update: (org: string, input: { name?: string; policy?: Partial<OrgPolicy> }): Promise<Org> =>
      this.call('PATCH', `/v1/orgs/${encode(org)}`, { body: input }),
  };

  /**
   * Members of an org and their roles. Adding someone without an account invites them.
   *
   * @example
   * const added = await latchkey.members.add('org_1', { email: 'bo@example.com', roleId: 'rol_readonly' });
   * await latchkey.members.update('org_1', added.userId, { roleId: 'rol_readwrite' });
   */
  readonly members = {
    list: (org: string, params: PageParams = {}): Promise<Page<Member>> =>
      this.call('GET', `/v1/orgs/${encode(org)}/members`, { query: { ...params } }),
    add: (org: string, input: { email: string; roleId: string }): Promise<AddedMember> =>
      this.call('POST', `/v1/orgs/${encode(org)}/members`, { body: input }),
    update: (org: string, userId: string, input: { roleId: string }): Promise<Member> =>
      this.call('PATCH', `/v1/orgs/${encode(org)}/members/${encode(userId)}`, { body: input }),
    remove: (org: string, userId: string): Promise<void> =>
      this.call('DELETE', `/v1/orgs/${encode(org)}/members/${encode(userId)}`),
  };

  /**
   * Roles: the built-in ones (listed first) and an org's custom roles. Reading needs `roles:read`;
   * changes need a signed-in person with `roles:write`.
   *
   * @example
   * const role = await latchkey.roles.create('org_1', { name: 'Indexer', permissions: ['blocks:read', 'chunks:read'] });
   * const first = await latchkey.roles.list('org_1', { limit: 10 });
   * for await (const r of latchkey.roles.listAll('org_1')) console.log(r.id, r.name);
   */
  readonly roles = {
    /** One page (`?cursor=&limit=`, limit 1–100, default 50): built-in roles, then custom ones. */
    list: (org: string, params: PageParams = {}): Promise<Page<Role>> =>
      this.call('GET', `/v1/orgs/${encode(org)}/roles`, { query: { ...params } }),
    /** Every role, following the cursor; `limit` is the page size of each request. */
    listAll: (org: string, params: Omit<PageParams, 'cursor'> = {}): AsyncGenerator<Role> =>
      this.paginate((cursor) => this.roles.list(org, { ...params, cursor })),
    /** One role, built-in or custom. */
    get: (org: string, roleId: string): Promise<Role> =>
      this.call('GET', `/v1/orgs/${encode(org)}/roles/${encode(roleId)}`),
    create: (
      org: string,
      input: { name: string; description?: string; permissions: string[] },
    ): Promise<Role> => this.call('POST', `/v1/orgs/${encode(org)}/roles`, { body: input }),
    update: (
      org: string,
      roleId: string,
      input: { name?: string; description?: string; permissions?: string[] },
    ): Promise<Role> =>
      this.call('PATCH', `/v1/orgs/${encode(org)}/roles/${encode(roleId)}`, { body: input }),
    delete: (org: string, roleId: string): Promise<void> =>
      this.call('DELETE', `/v1/orgs/${encode(org)}/roles/${encode(roleId)}`),
  };

  /**
   * Resources a token can be limited to.
   *
   * @example
   * const shard = await latchkey.resources.create('org_1', { type: 'shard', name: 'testnet-1' });
   */
  readonly resources = {
    list: (org: string, params: PageParams & { type?: string } = {}): Promise<Page<Resource>> =>
      this.call('GET', `/v1/orgs/${encode(org)}/resources`, { query: { ...params } }),
    create: (org: string, input: { type: string; name: string }): Promise<Resource> =>
      this.call('POST', `/v1/orgs/${encode(org)}/resources`, { body: input }),
    delete: (org: string, resourceId: string): Promise<void> =>
      this.call('DELETE', `/v1/orgs/${encode(org)}/resources/${encode(resourceId)}`),
  };

  /**
   * Tokens: create (the only call that returns a value, with rotate), list, show, rename, revoke,
   * rotate.
   *
   * @example
   * const { token, clientId } = await latchkey.tokens.create('org_1', { name: 'ci', access: 'full', expiresIn: '7d' });
   * for await (const info of latchkey.tokens.listAll('org_1', { status: 'active' })) console.log(info.name);
   * await latchkey.tokens.revoke('org_1', clientId);
   */
  readonly tokens = {
    create: (org: string, input: CreateTokenInput): Promise<IssuedToken> =>
      this.call('POST', `/v1/orgs/${encode(org)}/tokens`, { body: input }),
    list: (org: string, params: ListTokensParams = {}): Promise<Page<TokenInfo>> =>
      this.call('GET', `/v1/orgs/${encode(org)}/tokens`, { query: { ...params } }),
    /** Every token matching the filters, following the cursor. */
    listAll: (org: string, params: Omit<ListTokensParams, 'cursor'> = {}): AsyncGenerator<TokenInfo> =>
      this.paginate((cursor) => this.tokens.list(org, { ...params, cursor })),
    get: (org: string, tokenId: string): Promise<TokenInfo> =>
      this.call('GET', `/v1/orgs/${encode(org)}/tokens/${encode(tokenId)}`),
    /**
     * Renames, re-describes, or edits the grants (`PATCH`): narrowing always; widening only within
     * what the caller holds (else `403 FORBIDDEN` with `details.missing`); `expiresAt` only earlier.
     */
    update: (org: string, tokenId: string, input: UpdateTokenInput): Promise<TokenInfo> =>
      this.call('PATCH', `/v1/orgs/${encode(org)}/tokens/${encode(tokenId)}`, { body: input }),
    /**
     * Revokes; the record stays with status `revoked`, and is answered. `reason` (1–200 characters,
     * default `revoked`) is kept as `revokedReason`. An already revoked token is answered unchanged.
     */
    revoke: (org: string, tokenId: string, input: { reason?: string } = {}): Promise<TokenInfo> =>
      this.call('DELETE', `/v1/orgs/${encode(org)}/tokens/${encode(tokenId)}`, {
        ...(input.reason === undefined ? {} : { body: { reason: input.reason } }),
      }),
    /** A new value for the same id; the old one keeps working for `gracePeriod` (`"1h"`, at most 7 days). */
    rotate: (
      org: string,
      tokenId: string,
      input: {
        /** How long the old value works, or `"until-used"`: until the new value is first verified. */
        gracePeriod?: string | number;
        /** With `"until-used"`: the longest the old value works (default and at most `7d`). */
        maxGrace?: string | number;
        deliver?: { link?: { ttl?: string | number } };
      } = {},
    ): Promise<IssuedToken> =>
      this.call('POST', `/v1/orgs/${encode(org)}/tokens/${encode(tokenId)}/rotate`, { body: input }),
    /**
     * E-mails a value the caller holds (it must be this token's: the create or rotate answer) to
     * the caller's own address — "send to my e-mail" after the reveal. Sent during the request;
     * the answer says whether it went out, and a failed mail is not retried. Needs a credential
     * that may see the token; an application token has no address (`VALIDATION_FAILED`).
     */
    deliver: (org: string, tokenId: string, value: string): Promise<TokenDelivery> =>
      this.call('POST', `/v1/orgs/${encode(org)}/tokens/${encode(tokenId)}/deliver`, {
        body: { token: value },
      }),
    /**
     * Which token a value belongs to — for a value found in a log. The server hashes it and never
     * logs it; `NOT_FOUND` when it is no token of the org, or one the caller may not see. `match` is
     * `previous` for the old value of a rotation still in its grace (`valueExpiresAt`: when it stops).
     */
    lookup: (org: string, value: string): Promise<TokenLookup> =>
      this.call('POST', `/v1/orgs/${encode(org)}/tokens/lookup`, { body: { value } }),
    /** Verifications per UTC day over the last `days` (1–90, default 30), valid and refused, oldest first. */
    usage: (org: string, tokenId: string, params: { days?: number } = {}): Promise<TokenUsage> =>
      this.call('GET', `/v1/orgs/${encode(org)}/tokens/${encode(tokenId)}/usage`, { query: { ...params } }),
    /**
     * Which of its permissions and resources the token used in the last `days` (1–90, default 90), and
     * the `update()` body that narrows it to them (`narrow`, null when there is nothing to narrow).
     */
    use: (org: string, tokenId: string, params: { days?: number } = {}): Promise<TokenUse> =>
      this.call('GET', `/v1/orgs/${encode(org)}/tokens/${encode(tokenId)}/use`, { query: { ...params } }),
    /** The token's one-time reveal links, newest first: whether and when each was opened. */
    links: (org: string, tokenId: string): Promise<{ items: RevealLink[] }> =>
      this.call('GET', `/v1/orgs/${encode(org)}/tokens/${encode(tokenId)}/links`),
  };

  /**
   * Token insights (least privilege from observed use): tokens whose grants exceed their use, never used,
   * without expiry or past the org's configured age, each with its owner; and the org's settings of them.
   */
  readonly insights = {
    get: (org: string, params: { days?: number } = {}): Promise<InsightsReport> =>
      this.call('GET', `/v1/orgs/${encode(org)}/insights`, { query: { ...params } }),
    settings: (org: string): Promise<{ weeklyDigest: boolean; maxAgeDays: number }> =>
      this.call('GET', `/v1/orgs/${encode(org)}/insights/settings`),
    /** Opt in to the weekly digest mailed to administrators, or change the reported age (a signed-in person). */
    updateSettings: (
      org: string,
      input: { weeklyDigest?: boolean; maxAgeDays?: number },
    ): Promise<{ weeklyDigest: boolean; maxAgeDays: number }> =>
      this.call('PATCH', `/v1/orgs/${encode(org)}/insights/settings`, { body: input }),
  };

  /**
   * Pending invitations of an org (not accepted, not expired), newest first. Listing needs
   * `members:read`; cancelling needs a signed-in person with `members:write`, and the link stops
   * working at once. Invitations are made by `members.add()` for an address without an account.
   *
   * @example
   * for await (const invite of admin.invites.listAll('org_1')) {
   *   if (invite.email === 'bo@example.com') await admin.invites.cancel('org_1', invite.id);
   * }
   */
  readonly invites = {
    /** One page (`?cursor=&limit=`). */
    list: (org: string, params: PageParams = {}): Promise<Page<Invite>> =>
      this.call('GET', `/v1/orgs/${encode(org)}/invites`, { query: { ...params } }),
    /** Every pending invitation, following the cursor. */
    listAll: (org: string, params: Omit<PageParams, 'cursor'> = {}): AsyncGenerator<Invite> =>
      this.paginate((cursor) => this.invites.list(org, { ...params, cursor })),
    /** Cancels one (`DELETE …/invites/{inv}`); audited as `member.invite_cancelled`. */
    cancel: (org: string, inviteId: string): Promise<void> =>
      this.call('DELETE', `/v1/orgs/${encode(org)}/invites/${encode(inviteId)}`),
  };

  /**
   * Webhook endpoints of an org: signed deliveries of token, member and role events. Reading
   * (list, get, deliveries) needs `audit:read`; create, update, delete and ping need a signed-in
   * person with `members:write` and `roles:write` (a token gets `SESSION_REQUIRED`). The signing
   * secret is in the create answer only; check deliveries with {@link verifyWebhookSignature}.
   *
   * @example
   * const hook = await admin.webhooks.create('org_1', {
   *   url: 'https://hooks.example.com/latchkey',
   *   events: ['token.*', 'member.removed'],
   *   description: 'SIEM',
   * });
   * saveSecret(hook.secret); // whsec_…, shown this once
   * const ping = await admin.webhooks.ping('org_1', hook.id);
   * const log = await admin.webhooks.deliveries('org_1', hook.id);
   * console.log(log.items.find((d) => d.id === ping.id)?.status);
   */
  readonly webhooks = {
    /** Every endpoint of the org (never their secrets); the server answers them in one page. */
    list: (org: string): Promise<Page<Webhook>> => this.call('GET', `/v1/orgs/${encode(org)}/webhooks`),
    /** Adds an endpoint; `201` with its `secret` (`whsec_…`), shown this once. */
    create: (org: string, input: CreateWebhookInput): Promise<CreatedWebhook> =>
      this.call('POST', `/v1/orgs/${encode(org)}/webhooks`, { body: input }),
    get: (org: string, webhookId: string): Promise<Webhook> =>
      this.call('GET', `/v1/orgs/${encode(org)}/webhooks/${encode(webhookId)}`),
    /** Changes the address, events or description; `{enabled: false}` disables, `{enabled: true}` resumes. */
    update: (org: string, webhookId: string, input: UpdateWebhookInput): Promise<Webhook> =>
      this.call('PATCH', `/v1/orgs/${encode(org)}/webhooks/${encode(webhookId)}`, { body: input }),
    /** Deletes the endpoint; its pending deliveries are dropped. */
    delete: (org: string, webhookId: string): Promise<void> =>
      this.call('DELETE', `/v1/orgs/${encode(org)}/webhooks/${encode(webhookId)}`),
    /** Queues a signed `ping` event (`202`); the answer is the queued delivery. A disabled endpoint is `CONFLICT`. */
    ping: (org: string, webhookId: string): Promise<WebhookDelivery> =>
      this.call('POST', `/v1/orgs/${encode(org)}/webhooks/${encode(webhookId)}/ping`),
    /** The endpoint's delivery log, newest first (`?cursor=&limit=`). */
    deliveries: (org: string, webhookId: string, params: PageParams = {}): Promise<Page<WebhookDelivery>> =>
      this.call('GET', `/v1/orgs/${encode(org)}/webhooks/${encode(webhookId)}/deliveries`, {
        query: { ...params },
      }),
    /** Every delivery of the endpoint, newest first, following the cursor. */
    listAllDeliveries: (
      org: string,
      webhookId: string,
      params: Omit<PageParams, 'cursor'> = {},
    ): AsyncGenerator<WebhookDelivery> =>
      this.paginate((cursor) => this.webhooks.deliveries(org, webhookId, { ...params, cursor })),
  };

  /**
   * The mail outbox (`GET /v1/outbox`) of a server without SMTP: the mails addressed to the
   * signed-in person and, for an Organization Administrator, the mails about that org except
   * those holding a token's value. Needs a console session (a token gets `SESSION_REQUIRED`).
   * Newest first; `transport` is `smtp` when mail goes to an SMTP server (the list is then empty).
   *
   * @example
   * const admin = new Latchkey({ baseUrl });
   * await admin.auth.login({ email, password });
   * const page = await admin.outbox.list({ limit: 20 });
   * const invite = page.items.find((mail) => mail.kind === 'invite');
   */
  readonly outbox = {
    /** One page (`?cursor=&limit=`). */
    list: (params: PageParams = {}): Promise<OutboxPage> =>
      this.call('GET', '/v1/outbox', { query: { ...params } }),
    /** Every visible mail, newest first, following the cursor. */
    listAll: (params: Omit<PageParams, 'cursor'> = {}): AsyncGenerator<OutboxMail> =>
      this.paginate((cursor) => this.outbox.list({ ...params, cursor })),
  };

  /**
   * The org's audit log, newest first.
   *
   * @example
   * const page = await latchkey.audit.list('org_1', { tokenId: 'tok_1', limit: 20 });
   */
  readonly audit = {
    list: (
      org: string,
      params: PageParams & { tokenId?: string; action?: string } = {},
    ): Promise<Page<AuditEvent>> =>
      this.call('GET', `/v1/orgs/${encode(org)}/audit`, { query: { ...params } }),
  };

  /**
   * Reports leaked token values (`POST /v1/leaks`, at most 100); each live one is revoked with
   * reason `leaked`, audited, and its owner e-mailed. Needs this client's credential (a token or a
   * session): a value is revoked only where the caller could revoke that token itself
   * (`tokens:write` in its org, or being its owner); any other value is answered
   * `false_positive`, like an unknown one, and counts against the caller's failure limit. Without
   * a credential the server answers `401 UNAUTHENTICATED`. (Anonymous reports must be signed the
   * way GitHub's secret scanning signs them, against `LEAK_REPORT_PUBLIC_KEYS`; the SDK does not
   * send those — see docs/security.md.)
   *
   * @example
   * const latchkey = new Latchkey({ baseUrl, token: process.env.LATCHKEY_TOKEN }); // tokens:write
   * const results = await latchkey.reportLeaks(['lk_…']);
   * console.log(results[0]?.label); // 'true_positive': it was live and is now revoked
   */
  reportLeaks(tokens: string[]): Promise<LeakReportResult> {
    return this.call('POST', '/v1/leaks', { body: { tokens } });
  }

  /**
   * Liveness (`GET /healthz`).
   *
   * @example
   * await latchkey.health();
   */
  health(): Promise<unknown> {
    return this.call('GET', '/healthz');
  }

  /**
   * Readiness (`GET /readyz`): throws `UNAVAILABLE` when the database is unreachable.
   *
   * @example
   * await latchkey.ready();
   */
  ready(): Promise<unknown> {
    return this.call('GET', '/readyz');
  }

  /**
   * The OpenAPI document of the server (`GET /v1/openapi.json`).
   *
   * @example
   * const doc = await latchkey.openapi();
   */
  openapi(): Promise<Record<string, unknown>> {
    return this.call('GET', '/v1/openapi.json');
  }

  /**
   * The server's token events (`GET /v1/events`), for the orgs of this client's credential.
   *
   * @example
   * const stream = latchkey.events.subscribe({
   *   onEvent: (event) => console.log(event.type),
   * });
   * stream.close();
   */
  readonly events = {
    subscribe: (handlers: {
      onEvent: (event: LatchkeyEvent) => void;
      onDisconnect?: (error: unknown) => void;
    }): EventStream =>
      subscribeEvents({
        url: `${this.baseUrl}/v1/events`,
        headers: { ...this.extraHeaders, ...this.authHeaders('GET') },
        fetch: this.doFetch,
        onEvent: handlers.onEvent,
        onDisconnect: handlers.onDisconnect,
      }),
  };

  // ---------------------------------------------------------------- verify

  private async verifyRemote(body: {
    token: string;
    permission?: PermissionQuery;
    resource?: string;
    ip?: string;
  }) {
    const response = await this.send('POST', '/v1/verify', { body });
    if (!response.ok) throw await this.toError(response);
    const answer = (await response.json()) as VerifyResult;
    if (answer.valid !== true && !(answer.valid === false && isVerifyCode(answer.code))) {
      throw new LatchkeyError('NETWORK_ERROR', 'Latchkey answered an unexpected verify body', {
        status: response.status,
        details: answer,
      });
    }
    return answer;
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
  async verify(token: string, options: VerifyOptions = {}): Promise<VerifyResult> {
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

  /** A valid answer is judged again on the end client's address, as the server may not have (see `token`). */
  private judgeAddress(answer: VerifyResult, options: VerifyOptions): VerifyResult {
    if (!answer.valid || options.ip === undefined) return answer;
    return this.decide(answer.token, { ip: options.ip });
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

  private decide(token: VerifiedToken, options: VerifyOptions): VerifyResult {
    const failure = evaluateToken(token, options);
    return failure === null ? { valid: true, token } : { valid: false, code: failure };
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
