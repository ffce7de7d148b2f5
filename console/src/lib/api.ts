// The one place the console talks HTTP. Every non-2xx answer becomes an ApiError
// carrying the server's error envelope {"error": {code, message, details}}.
import type {
  AuditEvent,
  CreatedWebhook,
  CreateTokenBody,
  Delivery,
  Invite,
  IssuedToken,
  Member,
  Org,
  OrgPolicy,
  OutboxPage,
  Page,
  PatchTokenBody,
  Permission,
  Resource,
  Role,
  Session,
  TokenInfo,
  TokenLookup,
  TokenUsage,
  WebhookBody,
  WebhookDelivery,
  WebhookEndpoint,
} from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let csrfToken: string | null = null;

/** Remembers the CSRF token of the current session; unsafe requests send it. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

type Query = Record<string, string | number | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Could not reach the Latchkey server. Check your connection.', null);
  }
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const envelope = isRecord(data) && isRecord(data.error) ? data.error : null;
    const code = envelope && typeof envelope.code === 'string' ? envelope.code : `HTTP_${response.status}`;
    const message =
      envelope && typeof envelope.message === 'string'
        ? envelope.message
        : `The server answered ${response.status} ${response.statusText}.`;
    throw new ApiError(response.status, code, message, envelope ? envelope.details : null);
  }
  return data as T;
}

const org = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}`;

/** The catalog may arrive as a bare array, `{items}` or `{permissions}`. */
function catalogItems(data: unknown): Permission[] {
  if (Array.isArray(data)) return data as Permission[];
  if (isRecord(data)) {
    if (Array.isArray(data.items)) return data.items as Permission[];
    if (Array.isArray(data.permissions)) return data.permissions as Permission[];
  }
  return [];
}

/** Lists may arrive as `{items, nextCursor}` (SPEC §5) or, defensively, a bare array. */
function page<T>(data: unknown): Page<T> {
  if (Array.isArray(data)) return { items: data as T[], nextCursor: null };
  if (isRecord(data) && Array.isArray(data.items)) {
    return {
      items: data.items as T[],
      nextCursor: typeof data.nextCursor === 'string' ? data.nextCursor : null,
    };
  }
  return { items: [], nextCursor: null };
}

async function allPages<T>(path: string, query: Query = {}): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const got: Page<T> = page<T>(
      await request<unknown>('GET', withQuery(path, { ...query, limit: 100, cursor })),
    );
    out.push(...got.items);
    if (!got.nextCursor) break;
    cursor = got.nextCursor;
  }
  return out;
}

export interface TokenFilters {
  status?: string;
  owner?: string;
  kind?: string;
  /** Tokens that may reach this resource: limited to it, or to every resource. */
  resource?: string;
  /** Part of the name or hint, or the token id. */
  q?: string;
  cursor?: string | null;
}

/** Adding a member answers the Member, or an invitation (for an e-mail without an account). */
export interface AddMemberAnswer {
  userId?: string;
  inviteUrl?: string;
  expiresAt?: string;
  /** Where the invitation mail went. */
  delivery?: { email: 'smtp' | 'outbox' };
}

export const api = {
  setupNeeded: async () => (await request<{ needed: boolean }>('GET', '/v1/setup')).needed,
  setup: (body: { email: string; password: string; name: string; orgName: string }) =>
    request<unknown>('POST', '/v1/setup', body),
  session: async (): Promise<Session | null> => {
    try {
      return await request<Session>('GET', '/v1/auth/session');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  },
  login: (body: { email: string; password: string }) => request<unknown>('POST', '/v1/auth/login', body),
  logout: () => request<unknown>('POST', '/v1/auth/logout'),
  acceptInvite: (body: { inviteToken: string; password: string; name: string }) =>
    request<unknown>('POST', '/v1/auth/accept-invite', body),

  catalog: async () => catalogItems(await request<unknown>('GET', '/v1/permissions')),

  createOrg: (body: { name: string }) => request<Org>('POST', '/v1/orgs', body),
  org: (orgId: string) => request<Org>('GET', org(orgId)),
  updateOrg: (orgId: string, body: { name?: string; policy?: Partial<OrgPolicy> }) =>
    request<Org>('PATCH', org(orgId), body),

  tokens: async (orgId: string, filters: TokenFilters) =>
    page<TokenInfo>(await request<unknown>('GET', withQuery(`${org(orgId)}/tokens`, { ...filters }))),
  token: (orgId: string, tokenId: string) =>
    request<TokenInfo>('GET', `${org(orgId)}/tokens/${encodeURIComponent(tokenId)}`),
  createToken: (orgId: string, body: CreateTokenBody) =>
    request<IssuedToken>('POST', `${org(orgId)}/tokens`, body),
  updateToken: (orgId: string, tokenId: string, body: PatchTokenBody) =>
    request<TokenInfo>('PATCH', `${org(orgId)}/tokens/${encodeURIComponent(tokenId)}`, body),
  revokeToken: (orgId: string, tokenId: string, reason?: string) =>
    request<TokenInfo>(
      'DELETE',
      `${org(orgId)}/tokens/${encodeURIComponent(tokenId)}`,
      reason ? { reason } : undefined,
    ),
  tokenUsage: (orgId: string, tokenId: string, days: number) =>
    request<TokenUsage>(
      'GET',
      withQuery(`${org(orgId)}/tokens/${encodeURIComponent(tokenId)}/usage`, { days }),
    ),
  /** Which token a value belongs to; the value goes in the body, never in a URL. */
  lookupToken: (orgId: string, value: string) =>
    request<TokenLookup>('POST', `${org(orgId)}/tokens/lookup`, { value }),
  /** E-mails a value the caller holds (it must be this token's) to the caller's own address. */
  deliverToken: (orgId: string, tokenId: string, token: string) =>
    request<{ delivery: Delivery }>('POST', `${org(orgId)}/tokens/${encodeURIComponent(tokenId)}/deliver`, {
      token,
    }),
  rotateToken: (orgId: string, tokenId: string, gracePeriod?: string) =>
    request<IssuedToken>(
      'POST',
      `${org(orgId)}/tokens/${encodeURIComponent(tokenId)}/rotate`,
      gracePeriod ? { gracePeriod } : {},
    ),

  invites: (orgId: string) => allPages<Invite>(`${org(orgId)}/invites`),
  cancelInvite: (orgId: string, inviteId: string) =>
    request<unknown>('DELETE', `${org(orgId)}/invites/${encodeURIComponent(inviteId)}`),
  members: (orgId: string) => allPages<Member>(`${org(orgId)}/members`),
  addMember: (orgId: string, body: { email: string; roleId: string }) =>
    request<AddMemberAnswer>('POST', `${org(orgId)}/members`, body),
  updateMember: (orgId: string, userId: string, body: { roleId: string }) =>
    request<unknown>('PATCH', `${org(orgId)}/members/${encodeURIComponent(userId)}`, body),
  removeMember: (orgId: string, userId: string) =>
    request<unknown>('DELETE', `${org(orgId)}/members/${encodeURIComponent(userId)}`),

  roles: (orgId: string) => allPages<Role>(`${org(orgId)}/roles`),
  createRole: (orgId: string, body: { name: string; description?: string; permissions: string[] }) =>
    request<Role>('POST', `${org(orgId)}/roles`, body),
  updateRole: (
    orgId: string,
    roleId: string,
    body: { name?: string; description?: string; permissions?: string[] },
  ) => request<Role>('PATCH', `${org(orgId)}/roles/${encodeURIComponent(roleId)}`, body),
  deleteRole: (orgId: string, roleId: string) =>
    request<unknown>('DELETE', `${org(orgId)}/roles/${encodeURIComponent(roleId)}`),

  resources: (orgId: string) => allPages<Resource>(`${org(orgId)}/resources`),
  createResource: (orgId: string, body: { type: string; name: string }) =>
    request<Resource>('POST', `${org(orgId)}/resources`, body),
  deleteResource: (orgId: string, resourceId: string) =>
    request<unknown>('DELETE', `${org(orgId)}/resources/${encodeURIComponent(resourceId)}`),

  webhooks: (orgId: string) => allPages<WebhookEndpoint>(`${org(orgId)}/webhooks`),
  createWebhook: (orgId: string, body: WebhookBody) =>
    request<CreatedWebhook>('POST', `${org(orgId)}/webhooks`, body),
  updateWebhook: (orgId: string, hookId: string, body: Partial<WebhookBody> & { enabled?: boolean }) =>
    request<WebhookEndpoint>('PATCH', `${org(orgId)}/webhooks/${encodeURIComponent(hookId)}`, body),
  deleteWebhook: (orgId: string, hookId: string) =>
    request<unknown>('DELETE', `${org(orgId)}/webhooks/${encodeURIComponent(hookId)}`),
  pingWebhook: (orgId: string, hookId: string) =>
    request<WebhookDelivery>('POST', `${org(orgId)}/webhooks/${encodeURIComponent(hookId)}/ping`),
  webhookDeliveries: async (orgId: string, hookId: string, cursor?: string | null) =>
    page<WebhookDelivery>(
      await request<unknown>(
        'GET',
        withQuery(`${org(orgId)}/webhooks/${encodeURIComponent(hookId)}/deliveries`, { limit: 20, cursor }),
      ),
    ),

  outbox: async (cursor?: string | null): Promise<OutboxPage> => {
    const data = await request<unknown>('GET', withQuery('/v1/outbox', { limit: 50, cursor }));
    const transport = isRecord(data) && typeof data.transport === 'string' ? data.transport : 'outbox';
    return { ...page(data), transport };
  },

  audit: async (orgId: string, filters: { tokenId?: string; cursor?: string | null }) =>
    page<AuditEvent>(
      await request<unknown>('GET', withQuery(`${org(orgId)}/audit`, { ...filters, limit: 50 })),
    ),
};
