// Webhooks never reach the server's own network (issue 12, rule 9): loopback, private, link-local,
// metadata, CGNAT, unspecified and multicast addresses, and the IPv6 forms that reach them, are refused
// when an endpoint is saved and again at delivery, on the addresses the connection is made to.
// The rule does not depend on the database, so it runs on SQLite only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AdminSession, setupAdmin, unique } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError, waitFor } from '../helpers/workflows.ts';
import { type HookReceiver, startReceiver } from '../notifications/receivers.ts';

const fast = { WORKER_INTERVAL_MS: '50', RETRY_BACKOFF_BASE_MS: '60000', LOGIN_ATTEMPTS_PER_MINUTE: '1000' };

describe('webhook destinations', () => {
  let server: TestServer;
  let open: TestServer;
  let receiver: HookReceiver;
  let admin: AdminSession;
  let openAdmin: AdminSession;

  before(async () => {
    receiver = await startReceiver();
    server = await startServer({ env: fast });
    open = await startServer({ env: { ...fast, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
    admin = await setupAdmin(server.url, `${unique('admin')}@example.com`);
    openAdmin = await setupAdmin(open.url, `${unique('admin')}@example.com`);
  });

  after(async () => {
    await server?.close();
    await open?.close();
    await receiver?.close();
  });

  const hooks = (session: AdminSession) => `/v1/orgs/${session.orgId}/webhooks`;
  const port = () => new URL(receiver.url).port;

  test('loopback, private, link-local, metadata and their IPv6 forms are refused at creation, naming url', async () => {
    const refused = [
      `http://127.0.0.1:${port()}/hook`,
      `http://localhost:${port()}/hook`,
      `http://[::1]:${port()}/hook`,
      `http://[::ffff:127.0.0.1]:${port()}/hook`,
      'http://2130706433/', // 127.0.0.1 written as a number
      'http://0x7f.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://192.168.1.1/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://[::]/',
      'http://224.0.0.1/',
      'http://[ff02::1]/',
      'http://[fe80::1]/',
      'http://[fc00::1]/',
      'http://[fd12:3456::1]/',
      'http://[::ffff:10.0.0.1]/',
      'http://[::ffff:0:a9fe:a9fe]/', // IPv4-translated metadata address
      'http://[64:ff9b::a9fe:a9fe]/', // NAT64 of the metadata address
      'http://[2002:7f00:1::1]/', // 6to4 of loopback
      'http://[::7f00:1]/', // IPv4-compatible loopback
    ];
    for (const url of refused) {
      const answer = await admin.client.post(hooks(admin), { url, events: ['*'] });
      assertError(answer, 400, 'VALIDATION_FAILED');
      assert.equal(answer.body.error.details.field, 'url', url);
      assert.match(answer.body.error.message, /^url: .* address/i, url);
    }
    const listed = await admin.client.get(hooks(admin));
    assert.deepEqual(listed.body.items, []);
  });

  test('public addresses, and names that do not resolve from here, are accepted', async () => {
    for (const url of [
      'https://8.8.8.8/hook',
      'http://[2606:4700::1111]/hook',
      'https://hooks.example.com/x',
    ]) {
      const answer = await admin.client.post(hooks(admin), { url, events: ['*'] });
      assert.equal(answer.status, 201, `${url}: ${JSON.stringify(answer.body)}`);
    }
  });

  test('an endpoint cannot be moved to a private address', async () => {
    const created = await admin.client.post(hooks(admin), { url: 'https://8.8.4.4/hook', events: ['*'] });
    assert.equal(created.status, 201);
    const moved = await admin.client.patch(`${hooks(admin)}/${created.body.id}`, {
      url: `http://[::ffff:127.0.0.1]:${port()}/hook`,
    });
    assertError(moved, 400, 'VALIDATION_FAILED');
    assert.equal(moved.body.error.details.field, 'url');
  });

  test('delivery checks the address it connects to: a stored private URL or a name resolving to loopback gets nothing', async () => {
    // An endpoint saved before the rule, or a name that resolved elsewhere when it was saved (a DNS rebind):
    // the stored URL is replaced under the API's feet.
    for (const url of [`http://127.0.0.1:${port()}/rebound`, `http://localhost:${port()}/rebound`]) {
      const created = await admin.client.post(hooks(admin), { url: 'https://8.8.8.8/hook', events: ['*'] });
      assert.equal(created.status, 201);
      await server.deps.db
        .updateTable('webhookEndpoints')
        .set({ url })
        .where('id', '=', created.body.id)
        .execute();
      const ping = await admin.client.post(`${hooks(admin)}/${created.body.id}/ping`, {});
      assert.equal(ping.status, 202, JSON.stringify(ping.body));
      const delivery = await waitFor(
        async () => {
          const log = await admin.client.get(`${hooks(admin)}/${created.body.id}/deliveries`);
          const item = log.body.items.find((d: { id: string }) => d.id === ping.body.id);
          return item?.lastError ? item : undefined;
        },
        { what: `the failed delivery to ${url}` },
      );
      assert.match(delivery.lastError, /^refused: .*loopback/, url);
      assert.equal(delivery.responseCode, null);
    }
    assert.deepEqual(
      receiver.received.filter((hook) => hook.path === '/rebound'),
      [],
      'nothing reached the receiver on loopback',
    );
  });

  test('WEBHOOK_ALLOW_PRIVATE_NETWORKS=true lets deliveries reach a receiver on loopback', async () => {
    const created = await openAdmin.client.post(hooks(openAdmin), {
      url: `http://127.0.0.1:${port()}/allowed`,
      events: ['*'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const ping = await openAdmin.client.post(`${hooks(openAdmin)}/${created.body.id}/ping`, {});
    assert.equal(ping.status, 202);
    await receiver.waitFor(
      (hook) => hook.path === '/allowed' && hook.headers['latchkey-delivery'] === ping.body.id,
    );
  });
});
