// Rotation that ends on evidence (issue 17): with gracePeriod "until-used" the old value works until the new value
// is first verified, on any process, then stops at once; presenting it afterwards is refused, audited as
// token.old_value_reused with the address, and sent as a webhook event.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postgresUnavailable, testDialects } from '../helpers/dialects.ts';
import { type AdminSession, createToken, setupAdmin, verify } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError, waitFor } from '../helpers/workflows.ts';
import { type HookReceiver, startReceiver } from '../notifications/receivers.ts';

const env = {
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  WORKER_INTERVAL_MS: '20',
  // The tests name end clients with verify's `ip`, as a trusted proxy may.
  VERIFY_TRUSTED_PROXIES: '127.0.0.1',
  LATCHKEY_SECRET: 'rotation-until-used-test-secret-0123456789abcdef',
};

async function actions(admin: AdminSession, tokenId: string) {
  const audit = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?tokenId=${tokenId}&limit=100`);
  assert.equal(audit.status, 200);
  return audit.body.items as { action: string; ip: string | null; details: Record<string, unknown> | null }[];
}

for (const dialect of await testDialects()) {
  describe(`rotation until the new value is used (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    let receiver: HookReceiver;

    before(async () => {
      receiver = await startReceiver();
      server = await startServer({ dialect: dialect.name, env });
      admin = await setupAdmin(server.url);
      const hook = await admin.client.post(`/v1/orgs/${admin.orgId}/webhooks`, {
        url: receiver.url,
        events: ['token.old_value_reused'],
      });
      assert.equal(hook.status, 201, JSON.stringify(hook.body));
    });
    after(async () => {
      await server?.close();
      await receiver?.close();
    });

    test('the old value works until the new one is first verified, then stops; reuse is audited and sent', async () => {
      const token = await createToken(admin);
      const rotated = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens/${token.id}/rotate`, {
        gracePeriod: 'until-used',
        maxGrace: '2d',
      });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      const graceEnd = Date.parse(rotated.body.tokenInfo.previousValueExpiresAt);
      assert.ok(Math.abs(graceEnd - (Date.now() + 2 * 86_400_000)) < 60_000, 'at most maxGrace');
      // Until the new value is used, the old one keeps working (again and again).
      for (let i = 0; i < 3; i++) {
        assert.equal(
          (await verify(server.url, { token: token.token, permission: 'blocks:read' })).body.valid,
          true,
        );
      }
      const first = await verify(server.url, { token: rotated.body.token, permission: 'blocks:read' });
      assert.equal(first.body.valid, true);
      // Answered after the old value stopped: the very next verification refuses it.
      const old = await verify(server.url, { token: token.token, ip: '203.0.113.9' });
      assert.deepEqual(old.body, { valid: false, code: 'NOT_FOUND' });
      assert.equal((await verify(server.url, { token: rotated.body.token })).body.valid, true);
      const info = await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${token.id}`);
      assert.equal(info.body.previousValueExpiresAt, null);

      const reuse = await waitFor(async () =>
        (await actions(admin, token.id)).find((e) => e.action === 'token.old_value_reused'),
      );
      assert.equal(reuse.ip, '203.0.113.9');
      assert.deepEqual(reuse.details, { ip: '203.0.113.9' });
      const done = (await actions(admin, token.id)).filter((e) => e.action === 'token.rotation_completed');
      assert.equal(done.length, 1);
      assert.deepEqual(done[0]?.details, { reason: 'new_value_used', stoppedValues: 1 });
      const [delivered] = await receiver.waitFor((h) => JSON.parse(h.body).type === 'token.old_value_reused');
      const event = JSON.parse(delivered?.body ?? '{}');
      assert.equal(event.data.target.id, token.id);
      assert.equal(event.data.details.ip, '203.0.113.9');
      // Bearer use of the management API is refused too.
      assert.equal(
        (await admin.client.withToken(token.token).get(`/v1/orgs/${admin.orgId}/tokens`)).status,
        401,
      );
    });

    test('a value stopped this way is kept through the lapsed-values sweep, so its reuse stays visible', async () => {
      const token = await createToken(admin);
      const rotated = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens/${token.id}/rotate`, {
        gracePeriod: 'until-used',
      });
      assert.equal((await verify(server.url, { token: rotated.body.token })).body.valid, true);
      const { deleteLapsedSecrets } = await import('../../server/tokens/tokens.repository.ts');
      await deleteLapsedSecrets(server.deps.db, Date.now() + 1000);
      const rows = await server.deps.db
        .selectFrom('tokenSecrets')
        .selectAll()
        .where('tokenId', '=', token.id)
        .execute();
      assert.equal(rows.length, 2);
      assert.equal(rows.filter((r) => r.retiredAt !== null).length, 1);
    });

    test('maxGrace goes only with until-used and is at most 7 days', async () => {
      const token = await createToken(admin);
      const path = `/v1/orgs/${admin.orgId}/tokens/${token.id}/rotate`;
      const alone = await admin.client.post(path, { gracePeriod: '1h', maxGrace: '1d' });
      assertError(alone, 400, 'VALIDATION_FAILED');
      assert.equal(alone.body.error.details.field, 'maxGrace');
      const long = await admin.client.post(path, { gracePeriod: 'until-used', maxGrace: '8d' });
      assertError(long, 400, 'VALIDATION_FAILED');
      assert.equal(long.body.error.details.field, 'maxGrace');
      // Nothing was rotated: the value still works.
      assert.equal((await verify(server.url, { token: token.token })).body.valid, true);
    });
  });
}

const skip = await postgresUnavailable();

describe('rotation until used, across two processes on one PostgreSQL', { skip }, () => {
  let first: TestServer;
  let second: TestServer;
  let admin: AdminSession;

  before(async () => {
    first = await startServer({ dialect: 'postgres', env });
    second = await startServer({
      dialect: 'postgres',
      databaseUrl: first.databaseUrl as string,
      keepData: true,
      env,
    });
    admin = await setupAdmin(first.url);
  });
  after(async () => {
    await second?.close();
    await first?.close();
  });

  test("the new value's first use on one process stops the old value on the other", async () => {
    const token = await createToken(admin);
    const rotated = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens/${token.id}/rotate`, {
      gracePeriod: 'until-used',
    });
    assert.equal(rotated.status, 200);
    // The second process answers the old value, and caches it.
    for (let i = 0; i < 2; i++)
      assert.equal((await verify(second.url, { token: token.token })).body.valid, true);
    assert.equal((await verify(first.url, { token: rotated.body.token })).body.valid, true);
    // The relay tells the second process (as it does a revocation): its cached entry goes.
    await waitFor(async () => (await verify(second.url, { token: token.token })).body.code === 'NOT_FOUND', {
      timeoutMs: 1000,
      what: 'the old value to stop on the other process',
    });
    const reuse = await waitFor(async () => {
      const audit = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?tokenId=${token.id}`);
      return audit.body.items.find((e: { action: string }) => e.action === 'token.old_value_reused');
    });
    assert.equal(reuse.ip, '127.0.0.1');
    assert.equal((await verify(second.url, { token: rotated.body.token })).body.valid, true);
  });
});
