// Password reset (issue 16): a one-time link mailed for 30 minutes, HMAC-stored, the same answer for any
// address, rate-limited; the new password ends every session. The operator's way in: the CLI prints a link.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../helpers/client.ts';
import { testDialects } from '../helpers/dialects.ts';
import { type AdminSession, addMember, PASSWORD, setupAdmin } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError, newMails, outboxFiles, signIn } from '../helpers/workflows.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const NEW_PASSWORD = 'a brand new passphrase';

/** Asks for a reset of `email` and answers the secret of the mailed link (undefined: no mail was sent). */
async function requestReset(server: TestServer, email: string) {
  // Mails queued earlier (the member's invite, sent in the background on PostgreSQL) are out first, so the
  // new mail to this address is the reset mail.
  await server.deps.jobs.drain();
  const before = outboxFiles(server.dataDir);
  const answer = await new ApiClient(server.url).post('/v1/auth/password-reset', { email });
  await server.deps.jobs.drain();
  const mail = newMails(server.dataDir, before).find(
    (m) => m.to === email && m.text.includes('/reset-password#token='),
  );
  const secret = mail && /\/reset-password#token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  return { answer, secret };
}

const complete = (server: TestServer, token: string | undefined, password = NEW_PASSWORD) =>
  new ApiClient(server.url).post('/v1/auth/password-reset/complete', { token, password });

function latchkey(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      [join(root, 'bin/latchkey.js'), ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

for (const dialect of await testDialects()) {
  describe(`password reset (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;

    before(async () => {
      server = await startServer({ dialect: dialect.name, env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
      admin = await setupAdmin(server.url);
    });
    after(() => server?.close());

    test('the answer is the same whether or not the address has an account; only an account gets a mail', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const known = await requestReset(server, member.email);
      const unknown = await requestReset(server, 'nobody@example.com');
      assert.equal(known.answer.status, 202);
      assert.equal(unknown.answer.status, 202);
      assert.equal(
        known.answer.body.message.replace(member.email, 'X'),
        unknown.answer.body.message.replace('nobody@example.com', 'X'),
      );
      assert.ok(known.secret, 'a mail with a link');
      assert.equal(unknown.secret, undefined);
    });

    test('the link sets a new password once, ends every session, and proves the address', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const other = await signIn(server.url, member.email);
      const { secret } = await requestReset(server, member.email);
      assert.equal(
        (await new ApiClient(server.url).post('/v1/auth/password-reset/inspect', { token: secret })).body
          .email,
        member.email,
      );
      const done = await complete(server, secret);
      assert.equal(done.status, 204, JSON.stringify(done.body));
      assertError(await member.client.get('/v1/auth/session'), 401, 'UNAUTHENTICATED');
      assertError(await other.get('/v1/auth/session'), 401, 'UNAUTHENTICATED');
      assertError(
        await new ApiClient(server.url).post('/v1/auth/login', { email: member.email, password: PASSWORD }),
        401,
        'UNAUTHENTICATED',
      );
      const again = await signIn(server.url, member.email, NEW_PASSWORD);
      assert.equal((await again.get('/v1/auth/session')).body.user.emailVerified, true);
      // Used once: the same link again is refused.
      assertError(await complete(server, secret, 'yet another passphrase'), 404, 'NOT_FOUND');
      // The secret is nowhere in the database: only its HMAC.
      const rows = await server.deps.db.selectFrom('accountLinks').selectAll().execute();
      assert.ok(!JSON.stringify(rows).includes(secret ?? '!'));
      // Audited in the member's org, without the secret.
      const audit = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?limit=100`);
      const event = audit.body.items.find(
        (e: { action: string; target: { id: string } }) =>
          e.action === 'user.password_reset' && e.target.id === member.userId,
      );
      assert.ok(event, 'audited');
      assert.equal(event.details.via, 'email');
      assert.ok(!JSON.stringify(event).includes(secret ?? '!'));
    });

    test('a link expires after 30 minutes', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const { secret } = await requestReset(server, member.email);
      const link = await server.deps.db
        .selectFrom('accountLinks')
        .selectAll()
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      assert.equal(Number(link.expiresAt) - Number(link.createdAt), 30 * 60_000);
      await server.deps.db
        .updateTable('accountLinks')
        .set({ expiresAt: Date.now() - 1 })
        .where('id', '=', link.id)
        .execute();
      assertError(await complete(server, secret), 404, 'NOT_FOUND');
      assertError(await complete(server, 'x'.repeat(43)), 404, 'NOT_FOUND');
      await signIn(server.url, member.email);
    });

    test('a new link, once used, ends the older unused ones', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const first = await requestReset(server, member.email);
      const second = await requestReset(server, member.email);
      assert.equal((await complete(server, second.secret)).status, 204);
      assertError(await complete(server, first.secret), 404, 'NOT_FOUND');
    });

    test('at most three mails an hour per address; the answer does not change', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const sent = [];
      for (let i = 0; i < 4; i++) sent.push(await requestReset(server, member.email));
      assert.deepEqual(
        sent.map((s) => [s.answer.status, s.secret !== undefined]),
        [
          [202, true],
          [202, true],
          [202, true],
          [202, false],
        ],
      );
    });

    test('a too short password is refused with the field named, and the link still works', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const { secret } = await requestReset(server, member.email);
      const short = await complete(server, secret, 'short');
      assertError(short, 400, 'VALIDATION_FAILED');
      assert.match(JSON.stringify(short.body.error), /password/i);
      assert.equal((await complete(server, secret)).status, 204);
    });

    test('changing the password while signed in needs the current one and ends the other sessions', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const other = await signIn(server.url, member.email);
      assertError(
        await member.client.post('/v1/auth/password', {
          currentPassword: 'wrong password',
          newPassword: NEW_PASSWORD,
        }),
        401,
        'UNAUTHENTICATED',
      );
      const changed = await member.client.post('/v1/auth/password', {
        currentPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
      });
      assert.equal(changed.status, 204, JSON.stringify(changed.body));
      assert.equal((await member.client.get('/v1/auth/session')).status, 200, 'this session stays');
      assertError(await other.get('/v1/auth/session'), 401, 'UNAUTHENTICATED');
      await signIn(server.url, member.email, NEW_PASSWORD);
    });

    test('latchkey users reset-password prints a one-time link from the server host, with no API credential', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const env = {
        LATCHKEY_DATA_DIR: server.dataDir,
        ...(server.databaseUrl && { DATABASE_URL: server.databaseUrl }),
      };
      const printed = await latchkey(['users', 'reset-password', member.email, '--json'], env);
      assert.equal(printed.code, 0, printed.stderr);
      const { url, email } = JSON.parse(printed.stdout);
      assert.equal(email, member.email);
      const secret = new URL(url).hash.replace('#token=', '');
      assert.equal((await complete(server, secret)).status, 204);
      const again = await signIn(server.url, member.email, NEW_PASSWORD);
      // It reached no mailbox: the address stays unproved.
      assert.equal((await again.get('/v1/auth/session')).body.user.emailVerified, false);
      const unknown = await latchkey(['users', 'reset-password', 'nobody@example.com'], env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no account has the e-mail address nobody@example.com/);
    });
  });
}

describe('password reset requests are limited per client address', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { LOGIN_ATTEMPTS_PER_MINUTE: '3' } });
  });
  after(() => server?.close());

  test('past LOGIN_ATTEMPTS_PER_MINUTE the answer is 429 RATE_LIMITED', async () => {
    const client = new ApiClient(server.url);
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await client.post('/v1/auth/password-reset', { email: `a${i}@example.com` })).status,
        202,
      );
    }
    const limited = await client.post('/v1/auth/password-reset', { email: 'a@example.com' });
    assertError(limited, 429, 'RATE_LIMITED');
    assert.ok(limited.headers.get('retry-after'));
  });
});
