// The Sessions page's API (issue 16): a user sees their active sessions (device, address, last seen)
// and ends any of them; nobody sees or ends another's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiClient } from '../helpers/client.ts';
import { testDialects } from '../helpers/dialects.ts';
import { type AdminSession, addMember, createToken, PASSWORD, setupAdmin } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError } from '../helpers/workflows.ts';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

async function signInAs(server: TestServer, email: string, userAgent: string) {
  const client = new ApiClient(server.url);
  const answer = await client.post(
    '/v1/auth/login',
    { email, password: PASSWORD },
    { 'user-agent': userAgent },
  );
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return client;
}

for (const dialect of await testDialects()) {
  describe(`account sessions (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;

    before(async () => {
      server = await startServer({ dialect: dialect.name, env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
      admin = await setupAdmin(server.url);
    });
    after(() => server?.close());

    test('a user sees their sessions with browser, address and last seen, and which one is current', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const firefox = await signInAs(server, member.email, FIREFOX);
      const listed = await firefox.get('/v1/auth/sessions');
      assert.equal(listed.status, 200);
      assert.equal(listed.body.items.length, 2);
      const current = listed.body.items.find((s: { current: boolean }) => s.current);
      assert.equal(current.userAgent, FIREFOX);
      assert.equal(current.ip, '127.0.0.1');
      assert.match(current.id, /^ses_/);
      for (const item of listed.body.items) {
        assert.deepEqual(Object.keys(item).sort(), [
          'createdAt',
          'current',
          'expiresAt',
          'id',
          'ip',
          'lastSeenAt',
          'userAgent',
        ]);
        assert.ok(Date.parse(item.lastSeenAt) <= Date.now());
      }
      // Nothing that could be replayed: neither the cookie nor the stored hash.
      const rows = await server.deps.db.selectFrom('sessions').select('idHash').execute();
      for (const row of rows) assert.ok(!JSON.stringify(listed.body).includes(row.idHash));
    });

    test('ending another session signs it out at once; the current one stays', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const firefox = await signInAs(server, member.email, FIREFOX);
      const listed = await member.client.get('/v1/auth/sessions');
      const other = listed.body.items.find((s: { current: boolean }) => !s.current);
      assert.equal((await member.client.delete(`/v1/auth/sessions/${other.id}`)).status, 204);
      assertError(await firefox.get('/v1/auth/session'), 401, 'UNAUTHENTICATED');
      assert.equal((await member.client.get('/v1/auth/session')).status, 200);
      assertError(await member.client.delete(`/v1/auth/sessions/${other.id}`), 404, 'NOT_FOUND');
    });

    test('nobody ends or sees a session of someone else', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const theirs = (await member.client.get('/v1/auth/sessions')).body.items[0];
      assertError(await admin.client.delete(`/v1/auth/sessions/${theirs.id}`), 404, 'NOT_FOUND');
      assert.equal((await member.client.get('/v1/auth/session')).status, 200);
      const mine = (await admin.client.get('/v1/auth/sessions')).body.items;
      assert.ok(!mine.some((s: { id: string }) => s.id === theirs.id));
    });

    test('"sign out everywhere else" ends every other session', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const a = await signInAs(server, member.email, FIREFOX);
      const b = await signInAs(server, member.email, 'curl/8.5.0');
      const ended = await member.client.delete('/v1/auth/sessions');
      assert.deepEqual(ended.body, { ended: 2 });
      assertError(await a.get('/v1/auth/session'), 401, 'UNAUTHENTICATED');
      assertError(await b.get('/v1/auth/session'), 401, 'UNAUTHENTICATED');
      assert.equal((await member.client.get('/v1/auth/sessions')).body.items.length, 1);
    });

    test('ending the current session signs out; a token cannot list sessions; a malformed id is a 400', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const current = (await member.client.get('/v1/auth/sessions')).body.items[0];
      assert.equal((await member.client.delete(`/v1/auth/sessions/${current.id}`)).status, 204);
      assertError(await member.client.get('/v1/auth/session'), 401, 'UNAUTHENTICATED');
      const token = await createToken(admin, { access: 'full', permissions: undefined });
      assertError(
        await admin.client.withToken(token.token).get('/v1/auth/sessions'),
        403,
        'SESSION_REQUIRED',
      );
      assertError(await admin.client.delete('/v1/auth/sessions/nope'), 400, 'VALIDATION_FAILED');
    });
  });
}
