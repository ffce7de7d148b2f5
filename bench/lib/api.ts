/** A minimal API client for seeding: keeps a session cookie and its CSRF token, or uses a bearer token. */
export class Api {
  private cookie: string | undefined;
  private csrf: string | undefined;
  bearer: string | undefined;

  constructor(readonly baseUrl: string) {}

  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      if (pair.startsWith('lk_session') || pair.includes('session')) this.cookie = pair;
    }
    const text = await response.text();
    const parsed = text === '' ? undefined : JSON.parse(text);
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    if (parsed && typeof parsed === 'object' && typeof parsed.csrfToken === 'string')
      this.csrf = parsed.csrfToken;
    return parsed as T;
  }
}

export interface Fixture {
  userId: string;
  /** The org listed in the list case: holds LIST_TOKENS tokens. */
  orgA: string;
  /** The org holding the rest of the seeded tokens. */
  orgB: string;
  resA: string;
  resB: string;
  /** A full-access personal token of the admin, for management calls (create, list) and the SDK's event stream. */
  adminToken: string;
  adminTokenId: string;
}

/** First-run setup through the API: the admin, two orgs, one resource each, an admin token. */
export async function setupFixture(baseUrl: string): Promise<Fixture> {
  const api = new Api(baseUrl);
  const setup = await api.call('POST', '/v1/setup', {
    email: 'bench@example.com',
    password: 'correct horse battery staple',
    name: 'Bench Admin',
    orgName: 'Bench A',
  });
  await api.call('GET', '/v1/auth/session');
  const orgA: string = setup.orgs[0].id;
  const orgB: string = (await api.call('POST', '/v1/orgs', { name: 'Bench B' })).id;
  await api.call('GET', '/v1/auth/session');
  const resA: string = (
    await api.call('POST', `/v1/orgs/${orgA}/resources`, { type: 'shard', name: 'shard-a' })
  ).id;
  const resB: string = (
    await api.call('POST', `/v1/orgs/${orgB}/resources`, { type: 'shard', name: 'shard-b' })
  ).id;
  const admin = await api.call('POST', `/v1/orgs/${orgA}/tokens`, {
    name: 'bench-admin',
    access: 'full',
    // A token cannot create one that outlives it: the admin token lives a year, the created ones a week.
    expiresIn: '365d',
  });
  return {
    userId: setup.user.id,
    orgA,
    orgB,
    resA,
    resB,
    adminToken: admin.token,
    adminTokenId: admin.clientId,
  };
}
