// The Latchkey client without anything Node-only: the typed API calls, `verify()` asked of the server,
// and the event stream. `@latchkey/sdk/browser` exports it for browsers (the console uses it); the
// Node client `Latchkey` (client.ts) extends it with the in-process verification cache.
import { LatchkeyError } from './errors.ts';
import { type EventStream, subscribeEvents } from './events.ts';
import { evaluateToken } from './permissions.ts';
import { isWellFormedToken } from './rules/token-format.ts';
import { isVerifyCode } from './rules/verify-codes.ts';
import type {
  AccountSession,
  AddedMember,
  AuditEvent,
  CreatedWebhook,
  CreateTokenInput,
  CreateWebhookInput,
  InsightSettings,
  InsightsReport,
  Invite,
  InvitePreview,
  IssuedLink,
  IssuedToken,
  LatchkeyEvent,
  ListTokensParams,
  MailDelivery,
  Member,
  OpenedLink,
  Org,
  OrgPolicy,
  OutboxMail,
  OutboxPage,
  Page,
  PageParams,
  Permission,
  PermissionQuery,
  ResentInvite,
  Resource,
  RevealLink,
  Role,
  Session,
  SsoProvider,
  TokenDelivery,
  TokenInfo,
  TokenLookup,
  TokenUsage,
  TokenUse,
  TwoFactorChallenge,
  TwoFactorEnrolment,
  TwoFactorStatus,
  UpdateTokenInput,
  UpdateWebhookInput,
  UserInvitation,
  VerifiedToken,
  VerifyOptions,
  VerifyResult,
  Webhook,
  WebhookDelivery,
} from './types.ts';

/**
 * Options of {@link LatchkeyClient} (and of the Node client `Latchkey`, which adds `cache`).
 *
 * @example
 * const options: LatchkeyClientOptions = { baseUrl: 'http://127.0.0.1:4000', token: process.env.LATCHKEY_TOKEN };
 * // in a browser page served by Latchkey, with the console's session cookie:
 * const inPage: LatchkeyClientOptions = { baseUrl: location.origin, credentials: 'same-origin' };
 */
export interface LatchkeyClientOptions {
  /** The server's address, without `/v1` (`http://127.0.0.1:4000`; in a page, `location.origin`). */
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
   * In a browser: let `fetch` send the browser's own session cookie (`'same-origin'` for a page the
   * server serves, as the console is; `'include'` from another origin the server's `CORS_ORIGINS`
   * allows). The client then never sees the cookie; it keeps the session's CSRF token (from
   * `auth.session()` or a sign-in) and sends it on unsafe calls. Leave it unset in Node, where the
   * client holds the cookie itself.
   */
  credentials?: 'same-origin' | 'include';
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
  /**
   * The call is answered without a session (sign-in, setup, a mailed link's secret in the body): no
   * CSRF token is fetched first (one already known is still sent).
   */
  anonymous?: boolean;
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
 * The body of `POST /v1/auth/accept-invite`; `inviteToken` (and `proof`) are the `#token=…&proof=…`
 * fragment of the invitation link. A new account sets `password` and `name`; an address that already
 * has an account accepts signed in, without them.
 *
 * @example
 * const fragment = new URLSearchParams(new URL(inviteUrl).hash.slice(1));
 * const input: AcceptInviteInput = { inviteToken: fragment.get('token') ?? '', password: 'a long passphrase', name: 'Bo' };
 * await new Latchkey({ baseUrl }).auth.acceptInvite(input);
 */
export interface AcceptInviteInput {
  inviteToken: string;
  /** The mailed link's proof that the mail was opened (its `proof=` fragment part). */
  proof?: string;
  password?: string;
  name?: string;
}

/**
 * Whether `auth.login()` answered a second-factor challenge rather than a session.
 *
 * @example
 * const answer = await latchkey.auth.login({ email, password });
 * const session = isTwoFactorChallenge(answer)
 *   ? await latchkey.auth.loginSecondFactor({ challenge: answer.challenge, code: askForCode() })
 *   : answer;
 */
export function isTwoFactorChallenge(answer: unknown): answer is TwoFactorChallenge {
  return typeof answer === 'object' && answer !== null && 'twoFactorRequired' in answer;
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
 * The Latchkey client without the Node-only parts: a typed method for every API call (SPEC §3),
 * `verify()` asked of the server every time, and the event stream. It runs in browsers (import it
 * from `@latchkey/sdk/browser`) as well as in Node; in Node, `Latchkey` from `@latchkey/sdk` is the
 * same client plus an in-process verification cache. API errors are thrown as {@link LatchkeyError}
 * carrying the envelope's code; a refused token is data (`{ valid: false, code }`), not an exception.
 *
 * @example
 * import { LatchkeyClient } from '@latchkey/sdk/browser';
 *
 * // A page served by Latchkey, signed in to the console: the browser sends the session cookie.
 * const latchkey = new LatchkeyClient({ baseUrl: location.origin, credentials: 'same-origin' });
 * const { orgs } = await latchkey.auth.session(); // also keeps the CSRF token for unsafe calls
 * const page = await latchkey.tokens.list(orgs[0].id, { owner: 'me' });
 */
export class LatchkeyClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly cookies = new Map<string, string>();
  private readonly credentials: 'same-origin' | 'include' | undefined;
  private csrfToken: string | null = null;
  private readonly timeoutMs: number;
  private readonly extraHeaders: Record<string, string>;
  protected readonly doFetch: typeof fetch;

  constructor(options: LatchkeyClientOptions) {
    if (!options.baseUrl) throw new TypeError('Latchkey: baseUrl is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.token = options.token || undefined;
    this.credentials = options.credentials;
    if (options.cookie) this.addCookies([options.cookie]);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.extraHeaders = options.headers ?? {};
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  // ---------------------------------------------------------------- transport

  /** Whether this client holds a credential of its own (a token or a session cookie), as a cache needs. */
  protected holdsCredential(): boolean {
    return this.token !== undefined || this.cookies.size > 0;
  }

  /** Whether the credential is a console session (held here, or the browser's cookie), which needs CSRF. */
  private usesSession(): boolean {
    return !this.token && (this.cookies.size > 0 || this.credentials !== undefined);
  }

  private authHeaders(method: string): Record<string, string> {
    if (this.token) return { authorization: `Bearer ${this.token}` };
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      // A browser sends Origin itself (and forbids setting it); this client speaks for one here.
      if (UNSAFE.has(method)) headers.origin = new URL(this.baseUrl).origin;
    }
    if (UNSAFE.has(method) && this.csrfToken && this.usesSession()) headers['x-csrf-token'] = this.csrfToken;
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
   * to keep and pass later as the `cookie` option; `undefined` without a session (and always with
   * `credentials`, where the browser keeps the cookie). It is a credential: store it like a token.
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

  /** Learns the session's CSRF token before an unsafe call that needs it; a signed-out browser has none. */
  private async fetchCsrfToken(): Promise<void> {
    try {
      await this.auth.session();
    } catch (error) {
      const signedOut = error instanceof LatchkeyError && error.status === 401;
      if (!(signedOut && this.credentials !== undefined)) throw error;
    }
  }

  protected async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    if (UNSAFE.has(method) && !options.anonymous && this.csrfToken === null && this.usesSession()) {
      await this.fetchCsrfToken();
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
        ...(this.credentials === undefined ? {} : { credentials: this.credentials }),
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
    // In a browser the cookie is the browser's business (and Set-Cookie is never readable there).
    if (this.credentials === undefined) {
      const setCookies = response.headers.getSetCookie();
      if (setCookies.length > 0) this.addCookies(setCookies);
    }
    return response;
  }

  protected async toError(response: Response): Promise<LatchkeyError> {
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

  protected async call<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
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

  protected async *paginate<T>(
    fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  ): AsyncGenerator<T> {
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
    /** `GET /v1/auth/session`; keeps the session's CSRF token for the unsafe calls that follow. */
    session: async (): Promise<Session> => {
      try {
        const session = await this.call<Session>('GET', '/v1/auth/session');
        if (session.csrfToken) this.csrfToken = session.csrfToken;
        return session;
      } catch (error) {
        if (error instanceof LatchkeyError && error.status === 401) this.csrfToken = null;
        throw error;
      }
    },
    /** `GET /v1/setup`: whether the first-run setup is still open (no user exists yet). */
    setupStatus: (): Promise<{ needed: boolean }> => this.call('GET', '/v1/setup'),
    /** `POST /v1/setup`: the first user and org; signs this client in. */
    setup: async (input: SetupInput): Promise<Session> => this.signIn('/v1/setup', input),
    /**
     * `POST /v1/auth/login`; signs this client in — or, for an account with a second factor, answers
     * a {@link TwoFactorChallenge} to finish with `loginSecondFactor()` (see {@link isTwoFactorChallenge}).
     */
    login: async (input: { email: string; password: string }): Promise<Session | TwoFactorChallenge> =>
      this.signIn<Session | TwoFactorChallenge>('/v1/auth/login', input),
    /** `POST /v1/auth/login/two-factor`: the challenge of `login()` and a code (or a recovery code). */
    loginSecondFactor: async (input: { challenge: string; code: string }): Promise<Session> =>
      this.signIn('/v1/auth/login/two-factor', input),
    /** `POST /v1/auth/logout`; forgets the session. */
    logout: async (): Promise<void> => {
      await this.call<unknown>('POST', '/v1/auth/logout');
      this.cookies.clear();
      this.csrfToken = null;
    },
    /** `POST /v1/auth/invite-preview`: what an invitation link is for, before accepting it. */
    previewInvite: (inviteToken: string): Promise<InvitePreview> =>
      this.call('POST', '/v1/auth/invite-preview', { body: { inviteToken }, anonymous: true }),
    /**
     * `POST /v1/auth/accept-invite`; signs this client in as the invited user (a new account), or
     * adds the signed-in person to the org.
     */
    acceptInvite: async (input: AcceptInviteInput): Promise<Session> => {
      const session = await this.call<Session>('POST', '/v1/auth/accept-invite', { body: input });
      this.csrfToken = session?.csrfToken ?? this.csrfToken;
      return session;
    },
    /** `POST /v1/auth/password-reset`: mails a reset link if the address has an account (the same answer either way). */
    requestPasswordReset: (email: string): Promise<{ message: string }> =>
      this.call('POST', '/v1/auth/password-reset', { body: { email }, anonymous: true }),
    /** `POST /v1/auth/password-reset/inspect`: the address a reset link (its `#token=`) is for. */
    inspectPasswordReset: (token: string): Promise<{ email: string }> =>
      this.call('POST', '/v1/auth/password-reset/inspect', { body: { token }, anonymous: true }),
    /** `POST /v1/auth/password-reset/complete`: sets the new password; every session of the account ends. */
    completePasswordReset: (input: { token: string; password: string }): Promise<void> =>
      this.call('POST', '/v1/auth/password-reset/complete', { body: input, anonymous: true }),
    /** `GET /v1/auth/sso/providers`: the single sign-on providers this server offers. */
    ssoProviders: (): Promise<{ items: SsoProvider[] }> => this.call('GET', '/v1/auth/sso/providers'),
  };

  /**
   * The signed-in person's own account: password, e-mail confirmation, sessions, invitations
   * addressed to them, second factor. Needs a console session (a token gets `SESSION_REQUIRED`).
   *
   * @example
   * const admin = new Latchkey({ baseUrl });
   * await admin.auth.login({ email, password });
   * const { items } = await admin.account.sessions();
   * await admin.account.endOtherSessions();
   */
  readonly account = {
    changePassword: (input: { currentPassword: string; newPassword: string }): Promise<void> =>
      this.call('POST', '/v1/auth/password', { body: input }),
    /** Mails a confirmation link to the account's address (`sent: false` when it is already confirmed). */
    sendEmailVerification: (): Promise<{
      emailVerified: boolean;
      sent: boolean;
      delivery: MailDelivery | null;
    }> => this.call('POST', '/v1/auth/email-verification'),
    /** Confirms the address with the `#token=` of the mailed link. */
    verifyEmail: (token: string): Promise<{ email: string; emailVerified: boolean }> =>
      this.call('POST', '/v1/auth/verify-email', { body: { token } }),
    sessions: (): Promise<{ items: AccountSession[] }> => this.call('GET', '/v1/auth/sessions'),
    endSession: (sessionId: string): Promise<void> =>
      this.call('DELETE', `/v1/auth/sessions/${encode(sessionId)}`),
    /** Ends every session but this one. */
    endOtherSessions: (): Promise<{ ended: number }> => this.call('DELETE', '/v1/auth/sessions'),
    /** Invitations addressed to the signed-in person; accepting needs a confirmed address (`emailVerified`). */
    invitations: (): Promise<{ items: UserInvitation[]; emailVerified: boolean }> =>
      this.call('GET', '/v1/auth/invitations'),
    acceptInvitation: (invitationId: string): Promise<void> =>
      this.call('POST', `/v1/auth/invitations/${encode(invitationId)}/accept`),
    declineInvitation: (invitationId: string): Promise<void> =>
      this.call('DELETE', `/v1/auth/invitations/${encode(invitationId)}`),
    /** The second factor (TOTP): status, enrol then confirm with a code, disable with password and code. */
    twoFactor: {
      status: (): Promise<TwoFactorStatus> => this.call('GET', '/v1/auth/two-factor'),
      enrol: (): Promise<TwoFactorEnrolment> => this.call('POST', '/v1/auth/two-factor/enrol'),
      /** Switches it on; answers the recovery codes, shown this once. */
      confirm: (code: string): Promise<{ recoveryCodes: string[] }> =>
        this.call('POST', '/v1/auth/two-factor/confirm', { body: { code } }),
      disable: (input: { password: string; code: string }): Promise<void> =>
        this.call('POST', '/v1/auth/two-factor/disable', { body: input }),
    },
  };

  private async signIn<T extends Session | TwoFactorChallenge = Session>(
    path: string,
    body: unknown,
  ): Promise<T> {
    this.csrfToken = null;
    const answer = await this.call<T>('POST', path, { body, anonymous: true });
    this.csrfToken = answer && 'csrfToken' in answer ? answer.csrfToken : null;
    return answer;
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
    /** Every member, following the cursor. */
    listAll: (org: string, params: Omit<PageParams, 'cursor'> = {}): AsyncGenerator<Member> =>
      this.paginate((cursor) => this.members.list(org, { ...params, cursor })),
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
    /** Every resource (of a `type`), following the cursor. */
    listAll: (org: string, params: { type?: string; limit?: number } = {}): AsyncGenerator<Resource> =>
      this.paginate((cursor) => this.resources.list(org, { ...params, cursor })),
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
    /**
     * A one-time reveal link for a value the caller holds (it must be a working value of this token),
     * `ttl` default `15m`, at most `7d`. The value and the key travel in bodies, never in URLs.
     */
    createLink: (
      org: string,
      tokenId: string,
      input: { token: string; ttl?: string | number },
    ): Promise<IssuedLink> =>
      this.call('POST', `/v1/orgs/${encode(org)}/tokens/${encode(tokenId)}/links`, { body: input }),
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
    settings: (org: string): Promise<InsightSettings> =>
      this.call('GET', `/v1/orgs/${encode(org)}/insights/settings`),
    /** Opt in to the weekly digest mailed to administrators, or change the reported age (a signed-in person). */
    updateSettings: (org: string, input: Partial<InsightSettings>): Promise<InsightSettings> =>
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
    /** A new link for a pending invitation, mailed again; the old link stops working. */
    resend: (org: string, inviteId: string): Promise<ResentInvite> =>
      this.call('POST', `/v1/orgs/${encode(org)}/invites/${encode(inviteId)}/resend`),
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
   * Opens a one-time reveal link (`POST /v1/reveal`) with the key from its fragment (the text after
   * `#`): the value the first time, then only `opened` or `expired`. Needs no credential.
   *
   * @example
   * const opened = await new LatchkeyClient({ baseUrl }).revealLink(new URL(link).hash.slice(1));
   * if (opened.status === 'revealed') console.log(opened.token);
   */
  revealLink(key: string): Promise<OpenedLink> {
    return this.call('POST', '/v1/reveal', { body: { key }, anonymous: true });
  }

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

  protected async verifyRemote(body: {
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
    if (!isWellFormedToken(token)) return MALFORMED;
    return this.judgeAddress(await this.verifyRemote({ token, ...options }), options);
  }

  /** A valid answer is judged again on the end client's address, as the server may not have (see `token`). */
  protected judgeAddress(answer: VerifyResult, options: VerifyOptions): VerifyResult {
    if (!answer.valid || options.ip === undefined) return answer;
    return this.decide(answer.token, { ip: options.ip });
  }

  protected decide(token: VerifiedToken, options: VerifyOptions): VerifyResult {
    const failure = evaluateToken(token, options);
    return failure === null ? { valid: true, token } : { valid: false, code: failure };
  }
}
