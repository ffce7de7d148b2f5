// Webhooks against a real HTTP receiver: signed deliveries verified with the code from docs/notifications.md,
// events from the audit trail, a ping and the delivery log, retries, and an endpoint disabled after failing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../helpers/dialects.ts';
import { type AdminSession, addMember, createToken, setupAdmin, unique } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError, readOutbox, waitFor } from '../helpers/workflows.ts';
import { type HookReceiver, type ReceivedHook, startReceiver } from './receivers.ts';

/** The verification snippet of docs/notifications.md, verbatim. */
function documentedVerifier(): (
  secret: string,
  header: string,
  rawBody: string,
  tolerance?: number,
) => boolean {
  const doc = readFileSync(new URL('../../docs/notifications.md', import.meta.url), 'utf8');
  const code = /<!-- verify-snippet -->\n```js\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(code, 'the snippet is in the docs');
  return new Function('require', `${code}\nreturn verifyLatchkeySignature;`)(createRequire(import.meta.url));
}
const verifySignature = documentedVerifier();

const fast = {
  WORKER_INTERVAL_MS: '50',
  RETRY_BACKOFF_BASE_MS: '50',
  RETRY_WINDOW_SECONDS: '2',
  NOTICE_SCAN_INTERVAL_MS: '50',
  LOGIN_ATTEMPTS_PER_MINUTE: '1000',
  // The receivers listen on 127.0.0.1, which webhooks may reach only with this (docs/security.md).
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
};

for (const dialect of await testDialects()) {
  describe(`webhooks (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let receiver: HookReceiver;
    let admin: AdminSession;

    before(async () => {
      receiver = await startReceiver();
      server = await startServer({ dialect: dialect.name, env: fast });
      admin = await setupAdmin(server.url, `${unique('admin')}@example.com`);
    });

    after(async () => {
      await server?.close();
      await receiver?.close();
    });

    const hooks = () => `/v1/orgs/${admin.orgId}/webhooks`;
    const typeOf = (hook: ReceivedHook) => JSON.parse(hook.body).type as string;
    const addEndpoint = async (events: string[], url = receiver.url) => {
      const answer = await admin.client.post(hooks(), { url, events, description: 'test' });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      return answer.body as { id: string; secret: string; enabled: boolean };
    };

    test('signed token events reach the receiver and verify with the documented code; never a value', async () => {
      const endpoint = await addEndpoint(['token.*']);
      assert.match(endpoint.secret, /^whsec_/);
      const shown = await admin.client.get(`${hooks()}/${endpoint.id}`);
      assert.equal(shown.body.secret, undefined, 'the secret is shown once');
      const stored = await server.deps.db
        .selectFrom('webhookEndpoints')
        .select('secretSealed')
        .where('id', '=', endpoint.id)
        .executeTakeFirstOrThrow();
      assert.ok(!stored.secretSealed.includes(endpoint.secret), 'sealed in the database');

      const token = await createToken(admin);
      await admin.client.post(`/v1/orgs/${admin.orgId}/tokens/${token.id}/rotate`, {});
      await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${token.id}`);
      const mine = (h: ReceivedHook) => h.body.includes(token.id);
      const received = await receiver.waitFor(mine, 3);
      assert.deepEqual(received.map(typeOf).sort(), ['token.created', 'token.revoked', 'token.rotated']);
      for (const hook of received) {
        assert.equal(
          verifySignature(endpoint.secret, String(hook.headers['latchkey-signature']), hook.body),
          true,
        );
        assert.equal(
          verifySignature(
            endpoint.secret,
            String(hook.headers['latchkey-signature']),
            hook.body.replace('token', 'tokem'),
          ),
          false,
          'a changed body fails',
        );
        assert.equal(
          verifySignature('whsec_other', String(hook.headers['latchkey-signature']), hook.body),
          false,
        );
        assert.ok(!hook.body.includes(token.token), 'no token value in a payload');
        const event = JSON.parse(hook.body);
        assert.equal(hook.headers['latchkey-event'], event.type);
        assert.equal(event.orgId, admin.orgId);
        assert.match(event.id, /^evt_/);
        assert.deepEqual(event.data.target, { type: 'token', id: token.id });
      }
      const created = JSON.parse(received.find((h) => typeOf(h) === 'token.created')?.body ?? '{}');
      assert.equal(created.data.details.name, token.info.name);
      // An old signature is refused by the documented check.
      const old = Math.floor(Date.now() / 1000) - 3600;
      const { createHmac } = await import('node:crypto');
      const mac = createHmac('sha256', endpoint.secret).update(`${old}.x`).digest('hex');
      assert.equal(verifySignature(endpoint.secret, `t=${old},v1=${mac}`, 'x'), false);
      await admin.client.delete(`${hooks()}/${endpoint.id}`);
    });

    test('member and role events, a ping, and the delivery log', async () => {
      const endpoint = await addEndpoint(['member.*', 'role.*']);
      await addMember(admin, 'rol_readonly');
      const role = await admin.client.post(`/v1/orgs/${admin.orgId}/roles`, {
        name: unique('role'),
        permissions: ['blocks:read'],
      });
      assert.equal(role.status, 201);
      await createToken(admin); // not subscribed
      const ping = await admin.client.post(`${hooks()}/${endpoint.id}/ping`);
      assert.equal(ping.status, 202, JSON.stringify(ping.body));
      assert.equal(ping.body.event, 'ping');
      const forEndpoint = (h: ReceivedHook) =>
        h.headers['latchkey-signature'] !== undefined &&
        ['member.invited', 'member.added', 'role.created', 'ping'].includes(typeOf(h)) &&
        JSON.parse(h.body).orgId === admin.orgId;
      await receiver.waitFor((h) => typeOf(h) === 'ping' && h.headers['latchkey-delivery'] === ping.body.id);
      await receiver.waitFor(forEndpoint, 4);
      const log = await waitFor(
        async () => {
          const answer = await admin.client.get(`${hooks()}/${endpoint.id}/deliveries`);
          return answer.body.items.length >= 4 &&
            answer.body.items.every((d: { status: string }) => d.status === 'sent')
            ? answer.body.items
            : undefined;
        },
        { what: 'the delivery log' },
      );
      assert.deepEqual(log.map((d: { event: string }) => d.event).sort(), [
        'member.added',
        'member.invited',
        'ping',
        'role.created',
      ]);
      for (const delivery of log) {
        assert.equal(delivery.responseCode, 200);
        assert.equal(delivery.attempts, 1);
      }
      await admin.client.delete(`${hooks()}/${endpoint.id}`);
    });

    test('managing endpoints needs a signed-in administrator; bad input is refused', async () => {
      const full = await createToken(admin, { access: 'full', permissions: undefined });
      assertError(
        await admin.client.withToken(full.token).post(hooks(), { url: receiver.url, events: ['*'] }),
        403,
        'SESSION_REQUIRED',
      );
      const reader = await addMember(admin, 'rol_readwrite');
      assertError(await reader.client.post(hooks(), { url: receiver.url, events: ['*'] }), 403, 'FORBIDDEN');
      assertError(
        await admin.client.post(hooks(), { url: 'ftp://example.com/x', events: ['*'] }),
        400,
        'VALIDATION_FAILED',
      );
      assertError(
        await admin.client.post(hooks(), { url: receiver.url, events: ['token.exploded'] }),
        400,
        'VALIDATION_FAILED',
      );
      assertError(await admin.client.get(`${hooks()}/whk_0000000000000000000000`), 404, 'NOT_FOUND');
    });

    test('a failing receiver is retried with backoff until it answers', async () => {
      const endpoint = await addEndpoint(['token.created']);
      let failures = 0;
      receiver.respond = (hook) => (typeOf(hook) === 'token.created' && failures++ < 2 ? 503 : 200);
      const token = await createToken(admin);
      const hooksFor = await receiver.waitFor((h) => h.body.includes(token.id) && h.status === 200);
      const all = receiver.received.filter((h) => h.body.includes(token.id));
      assert.equal(all.length, 3);
      assert.deepEqual(
        all.map((h) => h.status),
        [503, 503, 200],
      );
      assert.equal(
        new Set(all.map((h) => h.headers['latchkey-delivery'])).size,
        1,
        'one delivery, three attempts',
      );
      assert.ok(hooksFor[0]);
      const log = await waitFor(async () => {
        const items = (await admin.client.get(`${hooks()}/${endpoint.id}/deliveries`)).body.items;
        return items[0]?.status === 'sent' ? items : undefined;
      });
      assert.equal(log[0].attempts, 3);
      receiver.respond = () => 200;
      await admin.client.delete(`${hooks()}/${endpoint.id}`);
    });

    test('an endpoint that keeps failing for the retry window is disabled and the admins are mailed', async () => {
      const endpoint = await addEndpoint(['token.created'], `${receiver.url}/broken`);
      receiver.respond = (hook) => (hook.path.endsWith('/broken') ? 500 : 200);
      const token = await createToken(admin);
      const disabled = await waitFor(
        async () => {
          const answer = await admin.client.get(`${hooks()}/${endpoint.id}`);
          return answer.body.enabled === false ? answer.body : undefined;
        },
        { timeoutMs: 10_000, what: 'the endpoint disabled' },
      );
      assert.match(disabled.disabledReason, /kept failing/);
      const log = (await admin.client.get(`${hooks()}/${endpoint.id}/deliveries`)).body.items;
      assert.equal(log[0].status, 'failed');
      assert.equal(log[0].responseCode, 500);
      assert.ok(log[0].attempts >= 3, `retried (${log[0].attempts} attempts)`);
      assert.ok(receiver.received.filter((h) => h.body.includes(token.id)).length >= 3);
      // Without SMTP the mail is in the outbox, and the admin reads it through the API.
      await server.deps.jobs.drain();
      const mails = readOutbox(server.dataDir).filter((m) => m.text.includes(endpoint.id));
      assert.deepEqual(
        mails.map((m) => m.to),
        [admin.email],
      );
      const outbox = await admin.client.get('/v1/outbox');
      assert.equal(outbox.status, 200);
      assert.equal(outbox.body.transport, 'outbox');
      const listed = outbox.body.items.find((m: { kind: string }) => m.kind === 'webhook.disabled');
      assert.ok(listed?.text.includes(endpoint.id));
      // Disabled: new events are not queued for it; enabling resumes.
      receiver.respond = () => 200;
      const reenabled = await admin.client.patch(`${hooks()}/${endpoint.id}`, { enabled: true });
      assert.equal(reenabled.body.enabled, true);
      const next = await createToken(admin);
      await receiver.waitFor((h) => h.body.includes(next.id) && h.status === 200);
    });

    test('the outbox shows a token-value mail to its recipient only', async () => {
      const member = await addMember(admin, 'rol_readwrite');
      const answer = await member.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
        name: unique('mailed'),
        access: 'granular',
        permissions: ['blocks:read'],
        deliver: { email: true },
      });
      assert.deepEqual(answer.body.delivery, { email: 'outbox' });
      const own = (await member.client.get('/v1/outbox')).body.items;
      assert.ok(own.some((m: { text: string }) => m.text.includes(answer.body.token)));
      const asAdmin = (await admin.client.get('/v1/outbox')).body.items;
      assert.ok(
        !asAdmin.some((m: { text: string }) => m.text.includes(answer.body.token)),
        'not even an admin',
      );
      assert.ok(
        asAdmin.some((m: { kind: string; to: string }) => m.kind === 'invite' && m.to === member.email),
        'admins see their org’s invitations',
      );
      const token = await createToken(admin, { access: 'full', permissions: undefined });
      assertError(await admin.client.withToken(token.token).get('/v1/outbox'), 403, 'SESSION_REQUIRED');
    });
  });
}
