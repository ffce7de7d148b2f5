import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateTokenValue } from '../../server/tokens/token-value.ts';
import { ApiClient } from '../helpers/client.ts';
import { testDialects } from '../helpers/dialects.ts';
import {
  type AdminSession,
  addMember,
  createResource,
  createToken,
  setupAdmin,
  unique,
  verify,
} from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { verifyFrom } from '../helpers/verify-from.ts';
import { waitFor } from '../helpers/workflows.ts';

/** Polls until `check` holds or the deadline passes: for writes made off the request path. */
async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

for (const dialect of await testDialects()) {
  describe(`verify (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    const reads = () => server.deps.verifier.databaseReads;

    before(async () => {
      server = await startServer({ dialect: dialect.name, env: { VERIFY_FAILURE_LIMIT: '1000' } });
      admin = await setupAdmin(server.url);
    });
    after(() => server.close());

    test('a valid token answers valid:true with its id, org, kind, owner, permissions, resources and expiry', async () => {
      const shard = await createResource(admin);
      const { token, id, info } = await createToken(admin, {
        permissions: ['blocks:read'],
        resourceIds: [shard.id],
      });
      const answer = await verify(server.url, { token, permission: 'blocks:read', resource: shard.id });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, {
        valid: true,
        token: {
          id,
          orgId: admin.orgId,
          kind: 'personal',
          ownerId: admin.userId,
          permissions: ['blocks:read'],
          resourceIds: [shard.id],
          expiresAt: info.expiresAt,
          allowedIps: null,
          rateLimit: null,
          valueExpiresAt: null,
        },
      });
    });

    test('a malformed or checksum-failing token is MALFORMED without touching the database', async () => {
      const { token } = await createToken(admin);
      const before = reads();
      const flipped = token.slice(0, 10) + (token[10] === 'a' ? 'b' : 'a') + token.slice(11);
      for (const bad of [
        '',
        'lk_short',
        `${token}x`,
        token.slice(0, -1),
        flipped,
        token.replace('lk_', 'xx_'),
        `lk_${'!'.repeat(36)}`,
      ]) {
        const answer = await verify(server.url, { token: bad });
        assert.equal(answer.status, 200, bad);
        assert.deepEqual(answer.body, { valid: false, code: 'MALFORMED' }, bad);
      }
      assert.equal(reads(), before);
    });

    test('an unknown well-formed token is NOT_FOUND without a database read (the membership filter)', async () => {
      await waitFor(() => server.deps.verifier.filterReady, { what: 'the membership filter' });
      const before = reads();
      for (let i = 0; i < 20; i++) {
        assert.deepEqual((await verify(server.url, { token: generateTokenValue('lk') })).body, {
          valid: false,
          code: 'NOT_FOUND',
        });
      }
      // A Bloom filter of this size lets about 1 % through to a read; 20 in a row all do with ~1e-40.
      assert.ok(reads() - before < 20, `reads: ${reads() - before}`);
    });

    test('an unknown token the filter lets through costs one read, and asking again costs none', async () => {
      const unknown = generateTokenValue('lk');
      // A false positive of the filter, made on purpose: its hash is in the filter, not in the database.
      server.deps.verifier.addIssued(server.deps.verifier.hash(unknown));
      const before = reads();
      assert.deepEqual((await verify(server.url, { token: unknown })).body, {
        valid: false,
        code: 'NOT_FOUND',
      });
      assert.equal(reads(), before + 1);
      assert.deepEqual((await verify(server.url, { token: unknown })).body, {
        valid: false,
        code: 'NOT_FOUND',
      });
      assert.equal(reads(), before + 1);
    });

    test('a token created a moment ago is found at once (the filter learns every issued value)', async () => {
      await waitFor(() => server.deps.verifier.filterReady, { what: 'the membership filter' });
      for (let i = 0; i < 5; i++) {
        const { token } = await createToken(admin);
        assert.equal((await verify(server.url, { token })).body.valid, true);
      }
    });

    test('an uncached token costs one indexed read; after that it is answered from memory', async () => {
      const { token } = await createToken(admin, { permissions: ['blocks:read', 'chunks:read'] });
      const before = reads();
      await verify(server.url, { token, permission: 'blocks:read' });
      assert.equal(reads(), before + 1);
      for (let i = 0; i < 5; i++) await verify(server.url, { token, permission: 'chunks:read' });
      assert.equal(reads(), before + 1);
    });

    test('an expired token is EXPIRED', async () => {
      const { token, id } = await createToken(admin);
      await server.deps.db
        .updateTable('tokens')
        .set({ expiresAt: Date.now() - 1 })
        .where('id', '=', id)
        .execute();
      server.deps.events.tokenChanged(admin.orgId, id);
      assert.deepEqual((await verify(server.url, { token })).body, { valid: false, code: 'EXPIRED' });
    });

    test('a cached token expires by the clock, with no invalidation', async () => {
      const { token, id } = await createToken(admin, { expiresIn: 2 });
      assert.equal((await verify(server.url, { token })).body.valid, true);
      const expiresAt = (await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${id}`)).body.expiresAt;
      await eventually(async () => Date.now() > Date.parse(expiresAt), 5000);
      assert.deepEqual((await verify(server.url, { token })).body, { valid: false, code: 'EXPIRED' });
    });

    test('a revoked token is REVOKED on the very next verification after the revoke returned', async () => {
      for (let i = 0; i < 10; i++) {
        const { token, id } = await createToken(admin);
        assert.equal((await verify(server.url, { token })).body.valid, true);
        const inFlight = Array.from({ length: 5 }, () => verify(server.url, { token }));
        const revoke = await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${id}`);
        assert.equal(revoke.status, 200);
        assert.deepEqual((await verify(server.url, { token })).body, { valid: false, code: 'REVOKED' });
        await Promise.all(inFlight);
        assert.deepEqual((await verify(server.url, { token })).body, { valid: false, code: 'REVOKED' });
      }
    });

    test('a missing permission is FORBIDDEN; all and any check several', async () => {
      const { token } = await createToken(admin, { permissions: ['blocks:read', 'chunks:read'] });
      assert.equal((await verify(server.url, { token, permission: 'keys:read' })).body.code, 'FORBIDDEN');
      assert.equal(
        (await verify(server.url, { token, permission: { all: ['blocks:read', 'chunks:read'] } })).body.valid,
        true,
      );
      assert.equal(
        (await verify(server.url, { token, permission: { all: ['blocks:read', 'keys:read'] } })).body.code,
        'FORBIDDEN',
      );
      assert.equal(
        (await verify(server.url, { token, permission: { any: ['keys:read', 'chunks:read'] } })).body.valid,
        true,
      );
      assert.equal(
        (await verify(server.url, { token, permission: { any: ['keys:read'] } })).body.code,
        'FORBIDDEN',
      );
      const bad = await verify(server.url, { token, permission: { all: [] } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
    });

    test("a resource outside the token's list, or outside the org, is RESOURCE_FORBIDDEN", async () => {
      const a = await createResource(admin);
      const b = await createResource(admin);
      const limited = await createToken(admin, { resourceIds: [a.id] });
      const open = await createToken(admin);
      assert.equal((await verify(server.url, { token: limited.token, resource: a.id })).body.valid, true);
      assert.equal(
        (await verify(server.url, { token: limited.token, resource: b.id })).body.code,
        'RESOURCE_FORBIDDEN',
      );
      assert.equal((await verify(server.url, { token: open.token, resource: b.id })).body.valid, true);
      assert.equal(
        (await verify(server.url, { token: open.token, resource: 'res_someoneelses00000' })).body.code,
        'RESOURCE_FORBIDDEN',
      );
      // A deleted resource is no longer covered, even by an all-resources token.
      assert.equal((await admin.client.delete(`/v1/orgs/${admin.orgId}/resources/${b.id}`)).status, 204);
      assert.equal(
        (await verify(server.url, { token: open.token, resource: b.id })).body.code,
        'RESOURCE_FORBIDDEN',
      );
    });

    test('allowedIps admits addresses inside its IPv4 and IPv6 ranges and refuses others with IP_NOT_ALLOWED', async () => {
      const { token } = await createToken(admin, { allowedIps: ['203.0.113.0/24', '2001:db8::/32'] });
      // An API holding a token of the org names its end client with `ip` (test/security/verify-ip.test.ts).
      const { token: api } = await createToken(admin);
      const asApi = async (ip: string) => (await verifyFrom(server, '127.0.0.1', { token, ip }, api)).body;
      assert.equal((await asApi('203.0.113.7')).valid, true);
      assert.equal((await asApi('::ffff:203.0.113.9')).valid, true);
      assert.equal((await asApi('2001:db8:1::5')).valid, true);
      assert.equal((await asApi('198.51.100.1')).code, 'IP_NOT_ALLOWED');
      assert.equal((await asApi('2001:db9::1')).code, 'IP_NOT_ALLOWED');
      assert.equal((await asApi('not an address')).error.details.field, 'ip');
      // Without `ip`, the caller's own address (127.0.0.1 here) is checked.
      assert.equal((await verify(server.url, { token })).body.code, 'IP_NOT_ALLOWED');
      const local = await createToken(admin, { allowedIps: ['127.0.0.0/8'] });
      assert.equal((await verify(server.url, { token: local.token })).body.valid, true);
    });

    test("a token's own rate limit answers 200 valid:false RATE_LIMITED past the limit", async () => {
      const { token } = await createToken(admin, { rateLimit: { limit: 3, windowSeconds: 60 } });
      for (let i = 0; i < 3; i++) assert.equal((await verify(server.url, { token })).body.valid, true);
      const limited = await verify(server.url, { token });
      assert.equal(limited.status, 200);
      assert.deepEqual(limited.body, { valid: false, code: 'RATE_LIMITED' });
      const other = await createToken(admin, { rateLimit: { limit: 3, windowSeconds: 60 } });
      assert.equal((await verify(server.url, { token: other.token })).body.valid, true);
    });

    test("a demoted owner's token loses the permission at once; promoting gives it back", async () => {
      const member = await addMember(admin, 'rol_readwrite');
      const { token } = await createToken(member, { permissions: ['transactions:write', 'blocks:read'] });
      assert.equal((await verify(server.url, { token, permission: 'transactions:write' })).body.valid, true);
      const demote = await admin.client.patch(`/v1/orgs/${admin.orgId}/members/${member.userId}`, {
        roleId: 'rol_readonly',
      });
      assert.equal(demote.status, 200);
      assert.equal(
        (await verify(server.url, { token, permission: 'transactions:write' })).body.code,
        'FORBIDDEN',
      );
      const stillReads = await verify(server.url, { token, permission: 'blocks:read' });
      assert.deepEqual(stillReads.body.token.permissions, ['blocks:read']);
      await admin.client.patch(`/v1/orgs/${admin.orgId}/members/${member.userId}`, {
        roleId: 'rol_readwrite',
      });
      assert.equal((await verify(server.url, { token, permission: 'transactions:write' })).body.valid, true);
    });

    test("a full token is bounded by its owner's role", async () => {
      const member = await addMember(admin, 'rol_readonly');
      const { token } = await createToken(member, { access: 'full', permissions: undefined });
      const answer = await verify(server.url, { token });
      assert.equal(answer.body.valid, true);
      assert.ok(answer.body.token.permissions.every((p: string) => p.endsWith(':read')));
      assert.equal((await verify(server.url, { token, permission: 'tokens:write' })).body.code, 'FORBIDDEN');
    });

    test("editing a role changes its tokens' permissions at once", async () => {
      const role = await admin.client.post(`/v1/orgs/${admin.orgId}/roles`, {
        name: unique('viewers'),
        permissions: ['blocks:read'],
      });
      const { token } = await createToken(admin, { permissions: undefined, roleId: role.body.id });
      assert.equal((await verify(server.url, { token, permission: 'chunks:read' })).body.code, 'FORBIDDEN');
      const edit = await admin.client.patch(`/v1/orgs/${admin.orgId}/roles/${role.body.id}`, {
        permissions: ['blocks:read', 'chunks:read'],
      });
      assert.equal(edit.status, 200);
      assert.equal((await verify(server.url, { token, permission: 'chunks:read' })).body.valid, true);
    });

    test("a removed owner's token stops working", async () => {
      const member = await addMember(admin, 'rol_readwrite');
      const { token } = await createToken(member);
      assert.equal((await verify(server.url, { token })).body.valid, true);
      await admin.client.delete(`/v1/orgs/${admin.orgId}/members/${member.userId}`);
      assert.deepEqual((await verify(server.url, { token })).body, { valid: false, code: 'REVOKED' });
    });

    test('each success updates lastUsedAt, lastUsedIp and useCount within seconds', async () => {
      const { token, id } = await createToken(admin);
      const { token: api } = await createToken(admin);
      for (let i = 0; i < 3; i++) await verifyFrom(server, '127.0.0.1', { token, ip: '198.51.100.23' }, api);
      await verify(server.url, { token, permission: 'keys:read' }); // refused: not a use
      await eventually(async () => {
        const info = (await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${id}`)).body;
        return info.useCount === 3;
      });
      const info = (await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${id}`)).body;
      assert.equal(info.lastUsedIp, '198.51.100.23');
      assert.ok(Date.now() - Date.parse(info.lastUsedAt) < 10_000);
    });

    test('bad input to verify is 400 VALIDATION_FAILED in the error envelope', async () => {
      for (const body of ['not json', '{}', '{"token": 5}', '{"token": "lk_x", "extra": 1}', '[]']) {
        const response = await fetch(`${server.url}/v1/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        assert.equal(response.status, 400, body);
        const answer = await response.json();
        assert.equal(answer.error.code, 'VALIDATION_FAILED', body);
      }
    });
  });

  describe(`usage is written off the request path (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;

    before(async () => {
      // A flush interval longer than the test: only an explicit flush (as at shutdown) writes usage.
      server = await startServer({ dialect: dialect.name, env: { USAGE_FLUSH_INTERVAL_MS: '60000' } });
      admin = await setupAdmin(server.url);
    });
    after(() => server.close());

    test('verifications answer before any usage is written; one batch writes them all', async () => {
      const { token, id } = await createToken(admin);
      const answers = await Promise.all(Array.from({ length: 20 }, () => verify(server.url, { token })));
      assert.ok(answers.every((a) => a.body.valid === true));
      const useCount = async () =>
        Number(
          (
            await server.deps.db
              .selectFrom('tokens')
              .select('useCount')
              .where('id', '=', id)
              .executeTakeFirstOrThrow()
          ).useCount,
        );
      assert.equal(await useCount(), 0);
      await server.deps.usage.flush();
      assert.equal(await useCount(), 20);
    });
  });

  describe(`failed verifications are throttled per client address (${dialect.name})`, {
    skip: dialect.skip,
  }, () => {
    let server: TestServer;
    let admin: AdminSession;

    before(async () => {
      server = await startServer({ dialect: dialect.name, env: { VERIFY_FAILURE_LIMIT: '5' } });
      admin = await setupAdmin(server.url);
    });
    after(() => server.close());

    test('past the limit of MALFORMED and NOT_FOUND answers, the answer is 429 RATE_LIMITED with Retry-After', async () => {
      const { token } = await createToken(admin, { permissions: ['blocks:read'] });
      // A real token lacking a permission does not count.
      for (let i = 0; i < 10; i++) {
        assert.equal(
          (await verifyFrom(server, '127.0.0.2', { token, permission: 'keys:read' })).body.code,
          'FORBIDDEN',
        );
      }
      for (let i = 0; i < 5; i++) {
        const answer = await verifyFrom(server, '127.0.0.2', { token: generateTokenValue('lk') });
        assert.equal(answer.body.code, 'NOT_FOUND');
      }
      const throttled = await verifyFrom(server, '127.0.0.2', { token });
      assert.equal(throttled.status, 429);
      assert.equal(throttled.body.error.code, 'RATE_LIMITED');
      assert.ok(Number(throttled.retryAfter) > 0);
      // Another address is not affected.
      assert.equal((await verifyFrom(server, '127.0.0.3', { token })).body.valid, true);
    });

    test('bearer guesses on the management API count too', async () => {
      const client = new ApiClient(server.url);
      let last = 0;
      for (let i = 0; i < 7; i++) {
        last = (await client.withToken(generateTokenValue('lk')).get('/v1/orgs')).status;
      }
      assert.equal(last, 429);
    });
  });
}
