// Console sessions: first-run setup, sign-in, cookies, logout, CSRF and Origin checks, invites, login limit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiClient } from '../helpers/client.ts';
import { testDialects } from '../helpers/dialects.ts';
import { type AdminSession, PASSWORD, setupAdmin, unique } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError, invite, parseSetCookie, signIn } from '../helpers/workflows.ts';

/** A request with exactly the headers given: no cookie jar, no CSRF header unless asked. */
async function raw(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: response.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text,
  };
}

const sessionCookieLine = (headers: Headers) => {
  const line = headers.getSetCookie().find((l) => l.startsWith('lk_session='));
  assert.ok(line, `no lk_session cookie in ${JSON.stringify(headers.getSetCookie())}`);
  return line;
};

for (const dialect of await testDialects()) {
  describe(`console sessions (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    let setupAnswer: { status: number; body: any; headers: Headers };

    before(async () => {
      server = await startServer({ dialect: dialect.name, env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
    });

    after(async () => {
      await server?.close();
    });

    describe('first-run setup', () => {
      test('GET /v1/setup says setup is needed while no user exists', async () => {
        const answer = await raw(server.url, 'GET', '/v1/setup', {});
        assert.equal(answer.status, 200);
        assert.deepEqual(answer.body, { needed: true });
      });

      test('POST /v1/setup creates the first user and org and signs in as its administrator', async () => {
        const client = new ApiClient(server.url);
        setupAnswer = await client.post('/v1/setup', {
          email: 'Admin@Example.com',
          password: PASSWORD,
          name: 'Ada Admin',
          orgName: 'Acme',
        });
        assert.equal(setupAnswer.status, 201, JSON.stringify(setupAnswer.body));
        assert.equal(setupAnswer.body.user.email, 'admin@example.com');
        assert.match(setupAnswer.body.user.id, /^usr_/);
        assert.equal(setupAnswer.body.orgs.length, 1);
        assert.equal(setupAnswer.body.orgs[0].name, 'Acme');
        assert.equal(setupAnswer.body.orgs[0].roleId, 'rol_admin');
        assert.equal(typeof setupAnswer.body.csrfToken, 'string');
        assert.ok(client.sessionCookie, 'setup sets the session cookie');
        admin = {
          client,
          orgId: setupAnswer.body.orgs[0].id,
          userId: setupAnswer.body.user.id,
          email: 'admin@example.com',
        };
        const session = await client.get('/v1/auth/session');
        assert.equal(session.status, 200);
        assert.equal(session.body.user.id, admin.userId);
      });

      test('GET /v1/setup says setup is no longer needed afterwards', async () => {
        const answer = await raw(server.url, 'GET', '/v1/setup', {});
        assert.deepEqual(answer.body, { needed: false });
      });

      test('POST /v1/setup a second time is 409 CONFLICT and creates nobody', async () => {
        const answer = await new ApiClient(server.url).post('/v1/setup', {
          email: 'intruder@example.com',
          password: PASSWORD,
          name: 'Eve',
          orgName: 'Takeover',
        });
        assertError(answer, 409, 'CONFLICT');
        assert.equal(answer.headers.getSetCookie().length, 0);
        const users = await server.deps.db.selectFrom('users').select('email').execute();
        assert.deepEqual(
          users.map((u) => u.email),
          ['admin@example.com'],
        );
        assertError(
          await new ApiClient(server.url).post('/v1/auth/login', {
            email: 'intruder@example.com',
            password: PASSWORD,
          }),
          401,
          'UNAUTHENTICATED',
        );
      });
    });

    describe('sign-in and the cookie', () => {
      test('a wrong password is 401 UNAUTHENTICATED, like an unknown e-mail, and sets no cookie', async () => {
        const wrong = await new ApiClient(server.url).post('/v1/auth/login', {
          email: admin.email,
          password: 'not the password at all',
        });
        assertError(wrong, 401, 'UNAUTHENTICATED');
        assert.equal(wrong.headers.getSetCookie().length, 0);
        const unknown = await new ApiClient(server.url).post('/v1/auth/login', {
          email: 'nobody@example.com',
          password: PASSWORD,
        });
        assertError(unknown, 401, 'UNAUTHENTICATED');
        assert.equal(unknown.body.error.message, wrong.body.error.message);
      });

      test('the session cookie is HttpOnly and SameSite=Lax, on path /, not readable by scripts', async () => {
        const answer = await new ApiClient(server.url).post('/v1/auth/login', {
          email: admin.email,
          password: PASSWORD,
        });
        assert.equal(answer.status, 200);
        const cookie = parseSetCookie(sessionCookieLine(answer.headers));
        assert.ok(cookie.attributes.has('httponly'), 'HttpOnly');
        assert.equal(cookie.attributes.get('samesite')?.toLowerCase(), 'lax');
        assert.equal(cookie.attributes.get('path'), '/');
        assert.ok(cookie.value.length >= 32, 'a long random session id');
        assert.equal(answer.headers.get('cache-control'), 'no-store');
      });

      test('the session answer holds the user, their orgs and the CSRF token, and no password hash', async () => {
        const client = await signIn(server.url, admin.email);
        const answer = await client.get('/v1/auth/session');
        assert.equal(answer.status, 200);
        assert.deepEqual(Object.keys(answer.body).sort(), ['csrfToken', 'orgs', 'user']);
        assert.equal(answer.body.user.id, admin.userId);
        assert.equal(answer.body.user.email, admin.email);
        assert.deepEqual(
          answer.body.orgs.map((o: { id: string }) => o.id),
          [admin.orgId],
        );
        assert.deepEqual(answer.body.orgs[0].policy, {
          maxTtlDays: 365,
          allowNoExpiry: false,
          notifyUnused: false,
          requireTwoFactor: false,
          requireSso: false,
        });
        assert.equal(typeof answer.body.csrfToken, 'string');
        assert.ok(answer.body.csrfToken.length >= 20);
        assert.ok(!JSON.stringify(answer.body).includes('scrypt'), 'no password hash');
        assertError(await raw(server.url, 'GET', '/v1/auth/session', {}), 401, 'UNAUTHENTICATED');
      });

      test('every login issues a new session id, and the cookie from before stops working', async () => {
        const client = await signIn(server.url, admin.email);
        const first = client.sessionCookie as string;
        assert.equal((await raw(server.url, 'GET', '/v1/auth/session', { cookie: first })).status, 200);
        // Sign in again with the old cookie attached, as a browser would.
        const again = await client.post('/v1/auth/login', { email: admin.email, password: PASSWORD });
        assert.equal(again.status, 200);
        const second = client.sessionCookie as string;
        assert.notEqual(second, first);
        assertError(
          await raw(server.url, 'GET', '/v1/auth/session', { cookie: first }),
          401,
          'UNAUTHENTICATED',
        );
        assert.equal((await raw(server.url, 'GET', '/v1/auth/session', { cookie: second })).status, 200);
      });

      test('a session id planted before sign-in is not adopted by the login', async () => {
        const planted = 'lk_session=attacker-chosen-session-id-0123456789abcdef';
        const answer = await raw(
          server.url,
          'POST',
          '/v1/auth/login',
          { cookie: planted },
          {
            email: admin.email,
            password: PASSWORD,
          },
        );
        assert.equal(answer.status, 200);
        const issued = parseSetCookie(sessionCookieLine(answer.headers));
        assert.notEqual(`lk_session=${issued.value}`, planted);
        assertError(
          await raw(server.url, 'GET', '/v1/auth/session', { cookie: planted }),
          401,
          'UNAUTHENTICATED',
        );
      });

      test('logout ends the session on the server: replaying the old cookie is 401', async () => {
        const client = await signIn(server.url, admin.email);
        const cookie = client.sessionCookie as string;
        const csrf = (await client.get('/v1/auth/session')).body.csrfToken as string;
        const out = await raw(server.url, 'POST', '/v1/auth/logout', { cookie, 'x-csrf-token': csrf });
        assert.equal(out.status, 204);
        const cleared = parseSetCookie(sessionCookieLine(out.headers));
        assert.equal(cleared.value, '');
        assertError(await raw(server.url, 'GET', '/v1/auth/session', { cookie }), 401, 'UNAUTHENTICATED');
        assertError(
          await raw(
            server.url,
            'POST',
            `/v1/orgs/${admin.orgId}/resources`,
            { cookie, 'x-csrf-token': csrf },
            {
              type: 'shard',
              name: unique('after-logout'),
            },
          ),
          401,
          'UNAUTHENTICATED',
        );
      });
    });

    describe('CSRF and Origin checks on unsafe methods', () => {
      let cookie: string;
      let csrf: string;
      const resourceNames = async () =>
        (await admin.client.get(`/v1/orgs/${admin.orgId}/resources?limit=100`)).body.items.map(
          (r: { name: string }) => r.name,
        );

      before(async () => {
        const client = await signIn(server.url, admin.email);
        cookie = client.sessionCookie as string;
        csrf = (await client.get('/v1/auth/session')).body.csrfToken;
      });

      test('an unsafe request with the cookie but without X-CSRF-Token is 403 FORBIDDEN and changes nothing', async () => {
        const name = unique('no-csrf');
        const answer = await raw(
          server.url,
          'POST',
          `/v1/orgs/${admin.orgId}/resources`,
          { cookie },
          {
            type: 'shard',
            name,
          },
        );
        assertError(answer, 403, 'FORBIDDEN');
        assert.ok(!(await resourceNames()).includes(name));
        assertError(
          await raw(
            server.url,
            'PATCH',
            `/v1/orgs/${admin.orgId}`,
            { cookie },
            { policy: { maxTtlDays: 1 } },
          ),
          403,
          'FORBIDDEN',
        );
        assertError(await raw(server.url, 'POST', '/v1/auth/logout', { cookie }), 403, 'FORBIDDEN');
        assert.equal(
          (await raw(server.url, 'GET', '/v1/auth/session', { cookie })).status,
          200,
          'still signed in',
        );
      });

      test("a wrong X-CSRF-Token (another session's) is 403 FORBIDDEN", async () => {
        const other = await signIn(server.url, admin.email);
        const otherCsrf = (await other.get('/v1/auth/session')).body.csrfToken as string;
        assert.notEqual(otherCsrf, csrf);
        const name = unique('wrong-csrf');
        const answer = await raw(
          server.url,
          'POST',
          `/v1/orgs/${admin.orgId}/resources`,
          { cookie, 'x-csrf-token': otherCsrf },
          { type: 'shard', name },
        );
        assertError(answer, 403, 'FORBIDDEN');
        assert.ok(!(await resourceNames()).includes(name));
      });

      test('a foreign Origin is 403 FORBIDDEN even with the right CSRF token', async () => {
        const name = unique('foreign');
        const answer = await raw(
          server.url,
          'POST',
          `/v1/orgs/${admin.orgId}/resources`,
          { cookie, 'x-csrf-token': csrf, origin: 'https://evil.example' },
          { type: 'shard', name },
        );
        assertError(answer, 403, 'FORBIDDEN');
        assert.ok(!(await resourceNames()).includes(name));
      });

      test('the same request from the same origin with the CSRF token succeeds', async () => {
        const name = unique('same-origin');
        const answer = await raw(
          server.url,
          'POST',
          `/v1/orgs/${admin.orgId}/resources`,
          { cookie, 'x-csrf-token': csrf, origin: server.url },
          { type: 'shard', name },
        );
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        assert.ok((await resourceNames()).includes(name));
      });

      test('a bearer token needs no CSRF header (it is not sent by browsers on their own)', async () => {
        const created = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
          name: unique('bearer'),
          access: 'granular',
          permissions: ['resources:write', 'resources:read'],
        });
        assert.equal(created.status, 201);
        const answer = await raw(
          server.url,
          'POST',
          `/v1/orgs/${admin.orgId}/resources`,
          { authorization: `Bearer ${created.body.token}` },
          { type: 'shard', name: unique('by-token') },
        );
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
      });
    });

    describe('invites', () => {
      test('accepting an invite signs the invitee in with the invited role', async () => {
        const email = `${unique('invitee')}@example.com`;
        const { inviteToken, answer } = await invite(admin, email, 'rol_readwrite');
        assert.equal(answer.headers.get('cache-control'), 'no-store');
        const client = new ApiClient(server.url);
        const accepted = await client.post('/v1/auth/accept-invite', {
          inviteToken,
          password: PASSWORD,
          name: 'Ivy',
        });
        assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
        assert.equal(accepted.body.user.email, email);
        assert.equal(typeof accepted.body.csrfToken, 'string');
        assert.deepEqual(
          accepted.body.orgs.map((o: { id: string; roleId: string }) => [o.id, o.roleId]),
          [[admin.orgId, 'rol_readwrite']],
        );
        const session = await client.get('/v1/auth/session');
        assert.equal(session.body.user.email, email);
        assert.ok(parseSetCookie(sessionCookieLine(accepted.headers)).attributes.has('httponly'));
      });

      test('an invite link works once: a second accept is 404 NOT_FOUND', async () => {
        const email = `${unique('once')}@example.com`;
        const { inviteToken } = await invite(admin, email, 'rol_readonly');
        const first = await new ApiClient(server.url).post('/v1/auth/accept-invite', {
          inviteToken,
          password: PASSWORD,
          name: 'Once',
        });
        assert.equal(first.status, 200, JSON.stringify(first.body));
        const second = await new ApiClient(server.url).post('/v1/auth/accept-invite', {
          inviteToken,
          password: 'another password entirely',
          name: 'Twice',
        });
        assertError(second, 404, 'NOT_FOUND');
        assert.equal(second.headers.getSetCookie().length, 0);
        // The first password still stands.
        await signIn(server.url, email);
      });

      test('an expired invite link is 404 NOT_FOUND and creates no account', async () => {
        const email = `${unique('late')}@example.com`;
        const { inviteToken } = await invite(admin, email, 'rol_readonly');
        await server.deps.db
          .updateTable('invites')
          .set({ expiresAt: Date.now() - 1000 })
          .where('email', '=', email)
          .execute();
        const answer = await new ApiClient(server.url).post('/v1/auth/accept-invite', {
          inviteToken,
          password: PASSWORD,
          name: 'Late',
        });
        assertError(answer, 404, 'NOT_FOUND');
        assertError(
          await new ApiClient(server.url).post('/v1/auth/login', { email, password: PASSWORD }),
          401,
          'UNAUTHENTICATED',
        );
        const members = await admin.client.get(`/v1/orgs/${admin.orgId}/members?limit=100`);
        assert.ok(!members.body.items.some((m: { email: string }) => m.email === email));
      });

      test('an unknown invite token is 404 NOT_FOUND', async () => {
        assertError(
          await new ApiClient(server.url).post('/v1/auth/accept-invite', {
            inviteToken: 'x'.repeat(43),
            password: PASSWORD,
            name: 'Nobody',
          }),
          404,
          'NOT_FOUND',
        );
      });

      test('the invite expires INVITE_TTL_HOURS after it is sent (72 by default)', async () => {
        const { answer } = await invite(admin, `${unique('ttl')}@example.com`, 'rol_readonly');
        const hours = (Date.parse(answer.body.expiresAt) - Date.now()) / 3_600_000;
        assert.ok(hours > 71.9 && hours <= 72, `expires in ${hours} h`);
      });
    });
  });

  describe(`login rate limit (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;

    before(async () => {
      server = await startServer({ dialect: dialect.name, env: { LOGIN_ATTEMPTS_PER_MINUTE: '3' } });
      admin = await setupAdmin(server.url);
    });

    after(async () => {
      await server?.close();
    });

    test('past LOGIN_ATTEMPTS_PER_MINUTE a login is 429 RATE_LIMITED with Retry-After, even with the right password', async () => {
      const attempt = (password: string) =>
        new ApiClient(server.url).post('/v1/auth/login', { email: admin.email, password });
      for (let i = 0; i < 3; i++) assertError(await attempt(`wrong password ${i}`), 401, 'UNAUTHENTICATED');
      const limited = await attempt(PASSWORD);
      assertError(limited, 429, 'RATE_LIMITED');
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(
        Number.isFinite(retryAfter) && retryAfter > 0 && retryAfter <= 60,
        `Retry-After ${retryAfter}`,
      );
      assert.equal(limited.headers.getSetCookie().length, 0);
    });
  });
}
