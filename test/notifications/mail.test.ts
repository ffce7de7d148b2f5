// E-mail over real SMTP (smtp-server in this process, STARTTLS and AUTH from SMTP_URL): each mail's recipient and
// content, the queue surviving an SMTP outage and a restart, expiry and unused notices sent once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../helpers/dialects.ts';
import {
  type AdminSession,
  addMember,
  createToken,
  setupAdmin,
  unique,
  verify,
} from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { invite, waitFor } from '../helpers/workflows.ts';
import { type SmtpSink, startSmtp, toOf } from './receivers.ts';

const DAY = 86_400_000;
const fast = {
  WORKER_INTERVAL_MS: '50',
  RETRY_BACKOFF_BASE_MS: '50',
  NOTICE_SCAN_INTERVAL_MS: '50',
  LOGIN_ATTEMPTS_PER_MINUTE: '1000',
  MAIL_FROM: 'Latchkey Test <keys@example.test>',
};

for (const dialect of await testDialects()) {
  describe(`mail over SMTP (${dialect.name})`, { skip: dialect.skip }, () => {
    let smtp: SmtpSink;
    let server: TestServer;
    let admin: AdminSession;

    before(async () => {
      smtp = await startSmtp();
      server = await startServer({ dialect: dialect.name, env: { ...fast, SMTP_URL: smtp.url } });
      admin = await setupAdmin(server.url, `${unique('admin')}@example.com`);
    });

    after(async () => {
      await server?.close();
      await smtp?.close();
    });

    const jobsHolding = async (text: string) =>
      (await server.deps.db.selectFrom('jobs').select('payload').execute()).filter((j) =>
        j.payload.includes(text),
      );

    test("a token's value is mailed at creation to the creator only, and is kept nowhere", async () => {
      const name = unique('mailed');
      const answer = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
        name,
        access: 'granular',
        permissions: ['blocks:read'],
        deliver: { email: true },
      });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.deepEqual(answer.body.delivery, { email: 'smtp' });
      // Sent during the request: the mail is already there.
      const [mail] = smtp.mails.filter((m) => m.text?.includes(answer.body.token));
      assert.ok(mail, 'the value mail arrived');
      assert.equal(toOf(mail), admin.email);
      assert.equal(mail.from?.text, '"Latchkey Test" <keys@example.test>');
      assert.match(mail.subject ?? '', new RegExp(`Your new Latchkey token "${name}" \\(Acme\\)`));
      assert.ok(String(mail.html).includes(answer.body.token), 'the HTML part holds it too');
      assert.ok(mail.text?.includes(`${server.url}/orgs/${admin.orgId}/tokens`), 'links to the console');
      assert.deepEqual(await jobsHolding(answer.body.token), [], 'never queued');
      assert.deepEqual(await jobsHolding(answer.body.token.slice(-12)), []);
    });

    test('an invitation is queued and mailed to the invitee with its link; the queue keeps no secret', async () => {
      const email = `${unique('invitee')}@example.com`;
      const { inviteToken, answer } = await invite(admin, email, 'rol_readonly');
      const [mail] = await smtp.waitFor((m) => toOf(m) === email);
      assert.ok(mail);
      assert.match(mail.subject ?? '', /You are invited to Acme on Latchkey/);
      assert.ok(mail.text?.includes(answer.body.inviteUrl));
      assert.ok(String(mail.html).includes('Accept the invitation'));
      assert.deepEqual(await jobsHolding(inviteToken), [], 'sealed while queued');
      await waitFor(
        async () => {
          const rows = await server.deps.db
            .selectFrom('jobs')
            .selectAll()
            .where('eventType', '=', 'invite')
            .execute();
          return rows.length > 0 && rows.every((r) => r.status === 'sent' && r.payload === '');
        },
        { what: 'the sent invite emptied from the queue' },
      );
    });

    test('a leaked token is revoked and its owner is mailed, naming it by its hint', async () => {
      const member = await addMember(admin, 'rol_readwrite');
      const leaked = await createToken(member);
      const response = await fetch(`${server.url}/v1/leaks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': admin.client.csrfToken ?? '',
          cookie: admin.client.sessionCookie ?? '',
        },
        body: JSON.stringify({ tokens: [leaked.token] }),
      });
      assert.equal(response.status, 200, await response.text());
      const [mail] = await smtp.waitFor((m) => toOf(m) === member.email && /leaked/.test(m.subject ?? ''));
      assert.ok(mail?.text?.includes(leaked.info.hint));
      assert.ok(!mail?.text?.includes(leaked.token), 'never the value');
      assert.ok(mail?.text?.includes('in "Acme"'));
    });

    test('a token expiring within 7 days gets one notice with a link that pre-fills the create dialog', async () => {
      const expiring = await createToken(admin, { expiresIn: '3d' });
      // A 3-day token's owner knows when it ends: only tokens that lived longer than 7 days are noticed.
      // Move its creation back to make it a 30-day token in its last 3 days.
      await server.deps.db
        .updateTable('tokens')
        .set({ createdAt: Date.now() - 27 * DAY })
        .where('id', '=', expiring.id)
        .execute();
      const [mail] = await smtp.waitFor(
        (m) => toOf(m) === admin.email && /expires in 3 days/.test(m.subject ?? ''),
      );
      assert.ok(mail);
      assert.ok(mail.subject?.includes(expiring.info.name));
      assert.ok(mail.text?.includes(`${server.url}/orgs/${admin.orgId}/tokens?create=${expiring.id}`));
      assert.ok(String(mail.html).includes(`/orgs/${admin.orgId}/tokens?create=${expiring.id}`));
      const short = await createToken(admin, { expiresIn: '2d' });
      // Several more scans run; still exactly one notice, and none for the short-lived token.
      const key = `token.expiring:${expiring.id}:${Date.parse(expiring.info.expiresAt)}`;
      await waitFor(
        async () =>
          (await server.deps.db.selectFrom('notices').select('key').where('key', '=', key).execute())
            .length === 1,
      );
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 60));
        await server.deps.jobs.drain();
      }
      assert.equal(smtp.mails.filter((m) => m.subject?.includes(expiring.info.name)).length, 1);
      assert.equal(smtp.mails.filter((m) => m.subject?.includes(short.info.name)).length, 0);
    });

    test('tokens unused for 90 days are mailed about only where the org opted in', async () => {
      const quiet = await createToken(admin);
      const ninetyOneDaysAgo = Date.now() - 91 * DAY;
      await server.deps.db
        .updateTable('tokens')
        .set({ createdAt: ninetyOneDaysAgo })
        .where('id', '=', quiet.id)
        .execute();
      await new Promise((resolve) => setTimeout(resolve, 120));
      await server.deps.jobs.drain();
      assert.equal(
        smtp.mails.filter((m) => m.subject?.includes(quiet.info.name)).length,
        0,
        'off by default',
      );
      const patched = await admin.client.patch(`/v1/orgs/${admin.orgId}`, { policy: { notifyUnused: true } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.policy.notifyUnused, true);
      const [mail] = await smtp.waitFor((m) => m.subject?.includes(quiet.info.name) === true);
      assert.equal(toOf(mail as never), admin.email);
      assert.match(mail?.subject ?? '', /has not been used for 90 days/);
      assert.ok(mail?.text?.includes('since it was created'));
      // Used since: no longer unused.
      assert.equal((await verify(server.url, { token: quiet.token })).body.valid, true);
    });
  });

  describe(`mail when the SMTP server is down (${dialect.name})`, { skip: dialect.skip }, () => {
    test('a mail queued while SMTP is down arrives once it is up, across a restart; a value mail reports failed', async () => {
      // Take a free port, then leave nothing listening on it.
      const probe = await startSmtp();
      const port = probe.port;
      const url = probe.url;
      await probe.close();
      let server = await startServer({
        dialect: dialect.name,
        keepData: true,
        env: { ...fast, SMTP_URL: url },
      });
      const admin = await setupAdmin(server.url, `${unique('admin')}@example.com`);

      const email = `${unique('patient')}@example.com`;
      const started = Date.now();
      await invite(admin, email, 'rol_readonly');
      assert.ok(Date.now() - started < 2000, 'the request did not wait on SMTP');

      const value = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
        name: unique('unmailed'),
        access: 'granular',
        permissions: ['blocks:read'],
        deliver: { email: true },
      });
      assert.equal(value.status, 201);
      assert.equal(value.body.delivery.email, 'failed');
      assert.equal(
        (await verify(server.url, { token: value.body.token })).body.valid,
        true,
        'the token is not lost',
      );

      const job = await waitFor(
        async () => {
          const row = await server.deps.db
            .selectFrom('jobs')
            .selectAll()
            .where('eventType', '=', 'invite')
            .executeTakeFirst();
          return row && row.attempts >= 2 && row.status === 'pending' ? row : undefined;
        },
        { what: 'failed attempts' },
      );
      assert.ok(job.lastError && !job.lastError.includes('mail-pass-1'), 'no credential in the error');
      assert.ok(!server.logs.join('').includes('mail-pass-1'), 'no credential in the logs');

      // Restart on the same data while SMTP is still down; then SMTP comes up.
      const { dataDir, databaseUrl } = server;
      await server.close();
      server = await startServer({
        dialect: dialect.name,
        dataDir,
        ...(databaseUrl && { databaseUrl }),
        env: { ...fast, SMTP_URL: url },
      });
      const smtp = await startSmtp(port);
      try {
        const mails = await smtp.waitFor((m) => toOf(m) === email);
        assert.equal(mails.length, 1);
        assert.match(mails[0]?.subject ?? '', /You are invited to Acme/);
        assert.equal(
          smtp.mails.filter((m) => m.text?.includes(value.body.token)).length,
          0,
          'a failed value mail is never retried',
        );
      } finally {
        await server.close();
        await smtp.close();
      }
    });
  });
}
