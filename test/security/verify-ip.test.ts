// Verify's `ip` is believed only from callers the operator trusts (issue 12, rule 2; docs/security.md):
// a caller presenting a valid token of the verified token's org, or one at an address in
// VERIFY_TRUSTED_PROXIES. From anyone else it is ignored: failures count against the caller's own
// address, and allowedIps is judged on it. Callers speak from distinct loopback addresses (127.0.0.x)
// so that an attacker and an API are different clients, as they would be.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Latchkey } from '@latchkey/sdk';
import { startGateway } from '../../gateway/index.ts';
import { generateTokenValue } from '../../server/tokens/token-value.ts';
import { startRestServer } from '../gateway/upstreams.ts';
import { testDialects } from '../helpers/dialects.ts';
import { type AdminSession, createToken, setupAdmin, unique } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { verifyFrom } from '../helpers/verify-from.ts';

const junk = () => generateTokenValue('lk');

for (const dialect of await testDialects()) {
  describe(`verify's ip is trusted only from trusted callers (${dialect.name})`, {
    skip: dialect.skip,
  }, () => {
    let server: TestServer;
    let proxied: TestServer;
    let admin: AdminSession;
    let other: AdminSession;
    /** A token of the org, as an API protected by the SDK or the gateway holds it: no special permission. */
    let apiCredential: string;

    before(async () => {
      server = await startServer({
        dialect: dialect.name,
        env: {
          VERIFY_FAILURE_LIMIT: '5',
          VERIFY_TRUSTED_FAILURE_LIMIT: '8',
          LOGIN_ATTEMPTS_PER_MINUTE: '1000',
        },
      });
      proxied = await startServer({
        dialect: dialect.name,
        // Behind one reverse proxy too (TRUST_PROXY=true): requests without X-Forwarded-For are direct.
        env: {
          VERIFY_FAILURE_LIMIT: '5',
          VERIFY_TRUSTED_PROXIES: '127.0.0.9/32, 10.0.0.0/8',
          TRUST_PROXY: 'true',
        },
      });
      admin = await setupAdmin(server.url, `${unique('admin')}@example.com`);
      apiCredential = (await createToken(admin, { permissions: ['blocks:read'] })).token;
      const created = await admin.client.post('/v1/orgs', { name: unique('Other org') });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      other = { ...admin, orgId: created.body.id };
    });
    after(async () => {
      await server?.close();
      await proxied?.close();
    });

    test('an anonymous caller that varies ip is throttled at the limit all the same', async () => {
      for (let i = 0; i < 5; i++) {
        const answer = await verifyFrom(server, '127.0.0.2', { token: junk(), ip: `198.51.100.${i + 1}` });
        assert.equal(answer.body.code, 'NOT_FOUND');
      }
      const sixth = await verifyFrom(server, '127.0.0.2', { token: junk(), ip: '198.51.100.99' });
      assert.equal(sixth.status, 429);
      assert.equal(sixth.body.error.code, 'RATE_LIMITED');
      assert.ok(Number(sixth.retryAfter) > 0);
    });

    test("junk verifies naming someone else's ip do not lock that end client out", async () => {
      const victim = '203.0.113.50';
      for (let i = 0; i < 21; i++) await verifyFrom(server, '127.0.0.3', { token: junk(), ip: victim });
      // The attacker locked out only itself.
      assert.equal((await verifyFrom(server, '127.0.0.3', { token: junk() })).status, 429);
      const { token } = await createToken(admin);
      // The victim's requests reach Latchkey through an API using the SDK with its credential…
      const sdk = new Latchkey({ baseUrl: server.url, token: apiCredential });
      assert.equal((await sdk.verify(token, { permission: 'blocks:read', ip: victim })).valid, true);
      // …or through an API without one: then the API's own address is judged, which the attacker did not touch.
      assert.equal((await verifyFrom(server, '127.0.0.4', { token, ip: victim })).body.valid, true);
    });

    test('an untrusted ip cannot make an allowlisted token valid', async () => {
      const { token } = await createToken(admin, { allowedIps: ['203.0.113.0/24'] });
      const anonymous = await verifyFrom(server, '127.0.0.5', { token, ip: '203.0.113.7' });
      assert.deepEqual(anonymous.body, { valid: false, code: 'IP_NOT_ALLOWED' });
      // A credential of another org vouches for nothing here.
      const foreign = await createToken(other, { permissions: ['blocks:read'] });
      const fromOtherOrg = await verifyFrom(server, '127.0.0.5', { token, ip: '203.0.113.7' }, foreign.token);
      assert.deepEqual(fromOtherOrg.body, { valid: false, code: 'IP_NOT_ALLOWED' });
      // A credential that is not a valid token is refused, not ignored.
      const bad = await verifyFrom(server, '127.0.0.5', { token, ip: '203.0.113.7' }, junk());
      assert.equal(bad.status, 401);
      assert.equal(bad.body.error.code, 'UNAUTHENTICATED');
    });

    test("a caller with a token of the verified token's org has allowedIps judged on ip", async () => {
      const { token, id } = await createToken(admin, { allowedIps: ['203.0.113.0/24'] });
      const sdk = new Latchkey({ baseUrl: server.url, token: apiCredential });
      assert.equal((await sdk.verify(token, { ip: '203.0.113.7' })).valid, true);
      assert.deepEqual(await sdk.verify(token, { ip: '198.51.100.1' }), {
        valid: false,
        code: 'IP_NOT_ALLOWED',
      });
      // The same question without the credential is judged on the caller's address.
      const anonymous = await verifyFrom(server, '127.0.0.6', { token, ip: '203.0.113.7' });
      assert.equal(anonymous.body.code, 'IP_NOT_ALLOWED');
      // A trusted ip must be an address.
      const garbled = await verifyFrom(server, '127.0.0.6', { token, ip: 'not an address' }, apiCredential);
      assert.equal(garbled.status, 400);
      assert.equal(garbled.body.error.details.field, 'ip');
      // Usage records the end client.
      await server.deps.usage.flush();
      const info = await waitForUse(admin, id);
      assert.equal(info.lastUsedIp, '203.0.113.7');
    });

    test('a trusted caller has a failure counter per end client, under a ceiling for itself', async () => {
      const { token } = await createToken(admin);
      const relay = (ip: string, value = junk()) =>
        verifyFrom(server, '127.0.0.7', { token: value, ip }, apiCredential);
      for (let i = 0; i < 5; i++) assert.equal((await relay('192.0.2.1')).body.code, 'NOT_FOUND');
      assert.equal((await relay('192.0.2.1', token)).status, 429, 'that end client is throttled');
      assert.equal((await relay('192.0.2.2', token)).body.valid, true, 'another end client is not');
      // 8 failures a minute at most through one caller, whatever end clients it names.
      for (let i = 0; i < 3; i++) assert.equal((await relay(`192.0.2.${10 + i}`)).body.code, 'NOT_FOUND');
      assert.equal((await relay('192.0.2.20', token)).status, 429, 'the caller reached its ceiling');
    });

    test('a caller at an address in VERIFY_TRUSTED_PROXIES has allowedIps judged on ip', async () => {
      const proxiedAdmin = await setupAdmin(proxied.url, `${unique('admin')}@example.com`);
      const { token } = await createToken(proxiedAdmin, { allowedIps: ['203.0.113.0/24'] });
      assert.equal((await verifyFrom(proxied, '127.0.0.9', { token, ip: '203.0.113.7' })).body.valid, true);
      assert.equal(
        (await verifyFrom(proxied, '127.0.0.9', { token, ip: '198.51.100.1' })).body.code,
        'IP_NOT_ALLOWED',
      );
      assert.equal(
        (await verifyFrom(proxied, '127.0.0.8', { token, ip: '203.0.113.7' })).body.code,
        'IP_NOT_ALLOWED',
        'a caller outside the list is judged on its own address',
      );
    });

    test('behind TRUST_PROXY=true, what a client writes in X-Forwarded-For does not choose its address', async () => {
      // The proxy (127.0.0.10 here) appends the address it saw, 203.0.113.66, to whatever the client sent.
      const viaProxy = (client: string, spoofed: string) =>
        verifyFrom(proxied, '127.0.0.10', { token: junk() }, undefined, {
          'x-forwarded-for': `${spoofed}, ${client}`,
        });
      for (let i = 0; i < 5; i++) {
        assert.equal((await viaProxy('203.0.113.66', `198.51.100.${i + 1}`)).body.code, 'NOT_FOUND');
      }
      assert.equal((await viaProxy('203.0.113.66', '198.51.100.77')).status, 429);
      assert.equal(
        (await viaProxy('203.0.113.67', '198.51.100.77')).status,
        200,
        'another client is not affected',
      );
    });

    test('a gateway with --trust-proxy sends the address its proxy appended, not one the client wrote', async () => {
      const upstream = await startRestServer();
      const rules = join(tmpdir(), `${unique('rules')}.yaml`);
      writeFileSync(
        rules,
        'rules:\n  - match: { method: GET, path: "/things/**" }\n    permission: blocks:read\n',
      );
      const gateway = await startGateway({
        upstream: upstream.url,
        rulesFile: rules,
        port: 0,
        trustProxy: true,
        latchkeyUrl: server.url,
        token: apiCredential,
        cache: false,
      });
      try {
        const { token } = await createToken(admin, { allowedIps: ['203.0.113.0/24'] });
        const get = (forwardedFor: string) =>
          fetch(`${gateway.url}/things/1`, {
            headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': forwardedFor },
          });
        // The proxy in front of the gateway appended the client's real address last.
        assert.equal((await get('203.0.113.7, 198.51.100.20')).status, 401, 'a written allowlisted address');
        assert.equal(
          (await get('198.51.100.20, 203.0.113.7')).status,
          200,
          'the appended allowlisted address',
        );
      } finally {
        await gateway.close();
        await upstream.close();
      }
    });
  });
}

async function waitForUse(admin: AdminSession, id: string): Promise<{ lastUsedIp: string | null }> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const info = (await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${id}`)).body;
    if (info.lastUsedIp !== null || Date.now() > deadline) return info;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
