// Two servers on one PostgreSQL database share one queue: each mail and each notice is sent once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postgresUnavailable } from '../helpers/dialects.ts';
import { type AdminSession, createToken, setupAdmin, unique } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { invite, waitFor } from '../helpers/workflows.ts';
import { type HookReceiver, type SmtpSink, startReceiver, startSmtp, toOf } from './receivers.ts';

const DAY = 86_400_000;
const fast = {
  // Processes sharing a database share the server secret (docs/operations.md): it keys hashes and seals.
  LATCHKEY_SECRET: 'multi-process-notifications-test-secret-0123456789',
  WORKER_INTERVAL_MS: '20',
  RETRY_BACKOFF_BASE_MS: '50',
  NOTICE_SCAN_INTERVAL_MS: '20',
  LOGIN_ATTEMPTS_PER_MINUTE: '1000',
  // The receivers listen on 127.0.0.1, which webhooks may reach only with this (docs/security.md).
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
};

const skip = await postgresUnavailable();

describe('two processes on one PostgreSQL', { skip }, () => {
  let smtp: SmtpSink;
  let receiver: HookReceiver;
  let first: TestServer;
  let second: TestServer;
  let admin: AdminSession;

  before(async () => {
    smtp = await startSmtp();
    receiver = await startReceiver();
    first = await startServer({ dialect: 'postgres', env: { ...fast, SMTP_URL: smtp.url } });
    second = await startServer({
      dialect: 'postgres',
      databaseUrl: first.databaseUrl as string,
      keepData: true,
      env: { ...fast, SMTP_URL: smtp.url },
    });
    admin = await setupAdmin(first.url, `${unique('admin')}@example.com`);
  });

  after(async () => {
    await second?.close();
    await first?.close();
    await smtp?.close();
    await receiver?.close();
  });

  test('queued mails and webhook deliveries are each sent once; an expiry notice once', async () => {
    const hook = await admin.client.post(`/v1/orgs/${admin.orgId}/webhooks`, {
      url: receiver.url,
      events: ['*'],
    });
    assert.equal(hook.status, 201);
    const emails = Array.from({ length: 20 }, () => `${unique('many')}@example.com`);
    await Promise.all(emails.map((email) => invite(admin, email, 'rol_readonly')));
    const expiring = await createToken(admin, { expiresIn: '3d' });
    await first.deps.db
      .updateTable('tokens')
      .set({ createdAt: Date.now() - 27 * DAY })
      .where('id', '=', expiring.id)
      .execute();

    await smtp.waitFor((m) => emails.includes(toOf(m)), emails.length);
    await smtp.waitFor((m) => m.subject?.includes(expiring.info.name) === true);
    await receiver.waitFor((h) => JSON.parse(h.body).type === 'token.expiring');
    // Both processes keep scanning and claiming; wait until the queue is empty, then a few more rounds.
    await waitFor(async () => {
      const open = await first.deps.db
        .selectFrom('jobs')
        .select('id')
        .where('status', 'in', ['pending', 'sending'])
        .execute();
      return open.length === 0;
    });
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      await Promise.all([first.deps.jobs.drain(), second.deps.jobs.drain()]);
    }

    for (const email of emails) assert.equal(smtp.mails.filter((m) => toOf(m) === email).length, 1, email);
    assert.equal(smtp.mails.filter((m) => m.subject?.includes(expiring.info.name)).length, 1);
    const deliveries = receiver.received.map((h) => String(h.headers['latchkey-delivery']));
    assert.equal(new Set(deliveries).size, deliveries.length, 'no delivery sent twice');
    assert.equal(receiver.received.filter((h) => JSON.parse(h.body).type === 'member.invited').length, 20);
    assert.equal(receiver.received.filter((h) => JSON.parse(h.body).type === 'token.expiring').length, 1);
  });
});
