// Sessions and the browser: expiry and idle timeout, cookie flags behind HTTPS, security headers, no-store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sessionHashOf } from '../../server/auth/auth.service.ts';
import { ApiClient } from '../helpers/client.ts';
import { type AdminSession, createToken, PASSWORD, setupAdmin, unique } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError, invite, parseSetCookie, signIn } from '../helpers/workflows.ts';

const HOUR = 3_600_000;

describe('sessions end on the server', () => {
  let server: TestServer;
  let admin: AdminSession;

  before(async () => {
    server = await startServer({
      env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000', SESSION_TTL_HOURS: '12', SESSION_IDLE_HOURS: '2' },
    });
    admin = await setupAdmin(server.url);
  });
  after(async () => {
    await server?.close();
  });

  const rowOf = (client: ApiClient) => {
    const id = (client.sessionCookie as string).split('=')[1] as string;
    return sessionHashOf(server.deps, id);
  };
  const setTimes = (client: ApiClient, times: { expiresAt?: number; lastSeenAt?: number }) =>
    server.deps.db.updateTable('sessions').set(times).where('idHash', '=', rowOf(client)).execute();
  const rowExists = async (client: ApiClient) =>
    (
      await server.deps.db
        .selectFrom('sessions')
        .select('idHash')
        .where('idHash', '=', rowOf(client))
        .execute()
    ).length === 1;

  test('a session lives SESSION_TTL_HOURS: the row says so and the cookie Max-Age matches', async () => {
    const client = new ApiClient(server.url);
    const answer = await client.post('/v1/auth/login', { email: admin.email, password: PASSWORD });
    const cookie = parseSetCookie(answer.headers.getSetCookie()[0] as string);
    assert.equal(cookie.attributes.get('max-age'), String(12 * 3600));
    const row = await server.deps.db
      .selectFrom('sessions')
      .selectAll()
      .where('idHash', '=', rowOf(client))
      .executeTakeFirstOrThrow();
    assert.ok(Math.abs(Number(row.expiresAt) - Number(row.createdAt) - 12 * HOUR) < 1000);
  });

  test('past SESSION_TTL_HOURS the session is 401 and its row is gone, however active it was', async () => {
    const client = await signIn(server.url, admin.email);
    assert.equal((await client.get('/v1/auth/session')).status, 200);
    await setTimes(client, { expiresAt: Date.now() - 1000, lastSeenAt: Date.now() });
    assertError(await client.get('/v1/auth/session'), 401, 'UNAUTHENTICATED');
    assert.equal(await rowExists(client), false);
  });

  test('a session idle for SESSION_IDLE_HOURS is 401 and its row is gone', async () => {
    const client = await signIn(server.url, admin.email);
    await setTimes(client, { lastSeenAt: Date.now() - 2 * HOUR - 1000 });
    assertError(await client.get(`/v1/orgs/${admin.orgId}`), 401, 'UNAUTHENTICATED');
    assert.equal(await rowExists(client), false);
  });

  test('use within the idle window keeps the session and moves its last-seen time', async () => {
    const client = await signIn(server.url, admin.email);
    const earlier = Date.now() - 2 * HOUR + 60_000;
    await setTimes(client, { lastSeenAt: earlier });
    assert.equal((await client.get('/v1/auth/session')).status, 200);
    const row = await server.deps.db
      .selectFrom('sessions')
      .select('lastSeenAt')
      .where('idHash', '=', rowOf(client))
      .executeTakeFirstOrThrow();
    assert.ok(Number(row.lastSeenAt) > earlier + 60_000, 'last seen moved');
  });

  test('logout deletes the session row; the replayed cookie is 401', async () => {
    const client = await signIn(server.url, admin.email);
    await client.get('/v1/auth/session');
    const cookie = client.sessionCookie as string;
    assert.equal((await client.post('/v1/auth/logout')).status, 204);
    const hash = sessionHashOf(server.deps, cookie.split('=')[1] as string);
    const rows = await server.deps.db
      .selectFrom('sessions')
      .select('idHash')
      .where('idHash', '=', hash)
      .execute();
    assert.deepEqual(rows, []);
    const replay = await fetch(`${server.url}/v1/auth/session`, { headers: { cookie } });
    assert.equal(replay.status, 401);
  });

  test('a failed login from a signed-in browser does not end its session', async () => {
    const client = await signIn(server.url, admin.email);
    const wrong = await client.post('/v1/auth/login', { email: admin.email, password: 'not the password!' });
    assertError(wrong, 401, 'UNAUTHENTICATED');
    assert.equal((await client.get('/v1/auth/session')).status, 200);
  });
});

describe('behind HTTPS (PUBLIC_URL=https://…)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({
      env: { PUBLIC_URL: 'https://latchkey.example', LOGIN_ATTEMPTS_PER_MINUTE: '1000' },
    });
  });
  after(async () => {
    await server?.close();
  });

  test('the session cookie is __Host-lk_session: Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain', async () => {
    const answer = await fetch(`${server.url}/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'a@example.com', password: PASSWORD, name: 'A', orgName: 'Acme' }),
    });
    assert.equal(answer.status, 201);
    const cookie = parseSetCookie(answer.headers.getSetCookie()[0] as string);
    assert.equal(cookie.name, '__Host-lk_session');
    assert.ok(cookie.attributes.has('secure'));
    assert.ok(cookie.attributes.has('httponly'));
    assert.equal(cookie.attributes.get('samesite')?.toLowerCase(), 'lax');
    assert.equal(cookie.attributes.get('path'), '/');
    assert.equal(cookie.attributes.has('domain'), false);
    // The cookie works under its prefixed name, and Origin must be the public one.
    const session = await fetch(`${server.url}/v1/auth/session`, {
      headers: { cookie: `${cookie.name}=${cookie.value}` },
    });
    assert.equal(session.status, 200);
    const csrf = ((await session.json()) as { csrfToken: string }).csrfToken;
    const post = (origin: string) =>
      fetch(`${server.url}/v1/orgs`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: `${cookie.name}=${cookie.value}`,
          'x-csrf-token': csrf,
          origin,
        },
        body: JSON.stringify({ name: unique('o') }),
      });
    assert.equal((await post('https://evil.example')).status, 403);
    assert.equal((await post('https://latchkey.example')).status, 201);
  });

  test('HSTS is sent, and the CSP upgrades insecure requests', async () => {
    const answer = await fetch(`${server.url}/healthz`);
    assert.match(answer.headers.get('strict-transport-security') ?? '', /max-age=31536000/);
    assert.match(answer.headers.get('content-security-policy') ?? '', /upgrade-insecure-requests/);
  });
});

describe('security headers and no-store', () => {
  let server: TestServer;
  let admin: AdminSession;
  before(async () => {
    server = await startServer({ env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
    admin = await setupAdmin(server.url);
  });
  after(async () => {
    await server?.close();
  });

  test('over plain HTTP there is no HSTS, and the cookie is lk_session without Secure', async () => {
    const answer = await new ApiClient(server.url).post('/v1/auth/login', {
      email: admin.email,
      password: PASSWORD,
    });
    const cookie = parseSetCookie(answer.headers.getSetCookie()[0] as string);
    assert.equal(cookie.name, 'lk_session');
    assert.equal(cookie.attributes.has('secure'), false);
    assert.equal(answer.headers.get('strict-transport-security'), null);
  });

  test('the console is served with a CSP that allows only its own scripts and no framing', async () => {
    const answer = await fetch(`${server.url}/tokens`, { headers: { accept: 'text/html' } });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /text\/html/);
    const csp = answer.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(answer.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
    assert.match(answer.headers.get('referrer-policy') ?? '', /no-referrer/);
  });

  test('API answers carry frame-ancestors and nosniff too', async () => {
    const answer = await admin.client.get(`/v1/orgs/${admin.orgId}`);
    assert.match(answer.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
  });

  test('every answer that holds a secret is Cache-Control: no-store', async () => {
    const created = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
      name: unique('t'),
      access: 'granular',
      permissions: ['blocks:read'],
    });
    const rotated = await admin.client.post(
      `/v1/orgs/${admin.orgId}/tokens/${created.body.clientId}/rotate`,
      {},
    );
    const invited = await invite(admin, `${unique('x')}@example.com`, 'rol_readonly');
    const accepted = await new ApiClient(server.url).post('/v1/auth/accept-invite', {
      inviteToken: invited.inviteToken,
      password: PASSWORD,
      name: 'Invitee',
    });
    const login = await new ApiClient(server.url).post('/v1/auth/login', {
      email: admin.email,
      password: PASSWORD,
    });
    const session = await admin.client.get('/v1/auth/session');
    const tokenSession = await admin.client
      .withToken((await createToken(admin)).token)
      .get('/v1/auth/session');
    const answers = { created, rotated, invite: invited.answer, accepted, login, session, tokenSession };
    for (const [label, answer] of Object.entries(answers)) {
      assert.ok(answer.status < 300, `${label}: ${answer.status}`);
      assert.equal(answer.headers.get('cache-control'), 'no-store', label);
    }
  });
});
