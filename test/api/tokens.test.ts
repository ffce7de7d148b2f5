import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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

const DAY = 86_400_000;
const tokenShape = /^lk_[0-9A-Za-z]{36}$/;

for (const dialect of await testDialects()) {
  describe(`tokens (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    let base: string;

    before(async () => {
      server = await startServer({ dialect: dialect.name });
      admin = await setupAdmin(server.url);
      base = `/v1/orgs/${admin.orgId}/tokens`;
    });
    after(() => server.close());

    test('create answers 201 with the value, the client id and the token info, marked no-store', async () => {
      const answer = await admin.client.post(base, {
        name: 'deploy',
        access: 'granular',
        permissions: ['blocks:read'],
      });
      assert.equal(answer.status, 201);
      assert.match(answer.body.token, tokenShape);
      assert.equal(answer.body.clientId, answer.body.tokenInfo.id);
      assert.match(answer.body.clientId, /^tok_/);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      const info = answer.body.tokenInfo;
      assert.equal(info.kind, 'personal');
      assert.equal(info.ownerId, admin.userId);
      assert.equal(info.status, 'active');
      assert.deepEqual(info.permissions, ['blocks:read']);
      assert.equal(info.resourceIds, null);
      assert.equal(info.hint, `lk_…${answer.body.token.slice(-4)}`);
      assert.equal(info.useCount, 0);
    });

    test('the value is in no answer but the create answer: list and show hold only the hint', async () => {
      const created = await createToken(admin);
      const list = await admin.client.get(`${base}?limit=100`);
      const show = await admin.client.get(`${base}/${created.id}`);
      assert.equal(list.status, 200);
      assert.equal(show.status, 200);
      assert.ok(list.body.items.some((t: { id: string }) => t.id === created.id));
      assert.ok(!JSON.stringify(list.body).includes(created.token));
      assert.ok(!JSON.stringify(show.body).includes(created.token));
      assert.equal(show.body.hint, `lk_…${created.token.slice(-4)}`);
    });

    test('a token lives 30 days by default', async () => {
      const { info } = await createToken(admin);
      const lifetime = Date.parse(info.expiresAt) - Date.parse(info.createdAt);
      assert.ok(Math.abs(lifetime - 30 * DAY) < 5_000, `lifetime ${lifetime}`);
    });

    test('expiresIn takes seconds or a number with s, m, h, d or y', async () => {
      for (const [expiresIn, ms] of [
        [3600, 3_600_000],
        ['90s', 90_000],
        ['15m', 900_000],
        ['12h', 12 * 3_600_000],
        ['7d', 7 * DAY],
        ['1y', 365 * DAY],
      ] as const) {
        const { info } = await createToken(admin, { expiresIn });
        const lifetime = Date.parse(info.expiresAt) - Date.parse(info.createdAt);
        assert.ok(Math.abs(lifetime - ms) < 5_000, `${expiresIn}: ${lifetime}`);
      }
    });

    test('expiresAt takes an RFC 3339 date; a past date or junk is 400 VALIDATION_FAILED', async () => {
      const at = new Date(Date.now() + 3 * DAY).toISOString();
      const { info } = await createToken(admin, { expiresAt: at });
      assert.equal(info.expiresAt, at);
      for (const bad of [new Date(Date.now() - DAY).toISOString(), 'tomorrow']) {
        const answer = await admin.client.post(base, { name: unique('t'), access: 'full', expiresAt: bad });
        assert.equal(answer.status, 400);
        assert.equal(answer.body.error.code, 'VALIDATION_FAILED');
      }
      const both = await admin.client.post(base, {
        name: unique('t'),
        access: 'full',
        expiresAt: at,
        expiresIn: '1d',
      });
      assert.equal(both.status, 400);
    });

    test("a lifetime beyond the org's maxTtlDays is refused; no expiry needs allowNoExpiry", async () => {
      const tooLong = await admin.client.post(base, { name: unique('t'), access: 'full', expiresIn: '400d' });
      assert.equal(tooLong.status, 400);
      assert.equal(tooLong.body.error.code, 'VALIDATION_FAILED');
      const never = await admin.client.post(base, { name: unique('t'), access: 'full', expiresAt: null });
      assert.equal(never.status, 400);

      const policy = await admin.client.patch(`/v1/orgs/${admin.orgId}`, {
        policy: { maxTtlDays: 10, allowNoExpiry: true },
      });
      assert.equal(policy.status, 200);
      assert.deepEqual(policy.body.policy, {
        maxTtlDays: 10,
        allowNoExpiry: true,
        notifyUnused: false,
        requireTwoFactor: false,
        requireSso: false,
      });
      const eleven = await admin.client.post(base, { name: unique('t'), access: 'full', expiresIn: '11d' });
      assert.equal(eleven.status, 400);
      const { info } = await createToken(admin, { expiresAt: null });
      assert.equal(info.expiresAt, null);
      // The default lifetime never exceeds the policy.
      const short = await createToken(admin);
      assert.ok(Date.parse(short.info.expiresAt) - Date.now() <= 10 * DAY + 5_000);
      await admin.client.patch(`/v1/orgs/${admin.orgId}`, {
        policy: { maxTtlDays: 365, allowNoExpiry: false },
      });
    });

    test('a duplicate active token name of the same owner is 409 CONFLICT; a revoked one frees the name', async () => {
      const name = unique('dup');
      const first = await createToken(admin, { name });
      const again = await admin.client.post(base, { name, access: 'full' });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'CONFLICT');
      assert.equal((await admin.client.delete(`${base}/${first.id}`)).status, 200);
      await createToken(admin, { name });
    });

    test('an expired token frees its name', async () => {
      const name = unique('expiring');
      const first = await createToken(admin, { name });
      await server.deps.db
        .updateTable('tokens')
        .set({ expiresAt: Date.now() - 1000 })
        .where('id', '=', first.id)
        .execute();
      const second = await createToken(admin, { name });
      assert.notEqual(second.id, first.id);
      const old = await admin.client.get(`${base}/${first.id}`);
      assert.equal(old.body.status, 'expired');
    });

    test('full, granular and role access; granular takes permissions or a role, not both', async () => {
      const full = await createToken(admin, { access: 'full', permissions: undefined });
      assert.equal(full.info.access, 'full');
      const role = await createToken(admin, {
        access: 'granular',
        permissions: undefined,
        roleId: 'rol_readonly',
      });
      assert.equal(role.info.roleId, 'rol_readonly');
      const verdict = await verify(server.url, { token: role.token, permission: 'chunks:read' });
      assert.equal(verdict.body.valid, true);
      const noWrite = await verify(server.url, { token: role.token, permission: 'transactions:write' });
      assert.deepEqual(noWrite.body, { valid: false, code: 'FORBIDDEN' });
      for (const body of [
        { access: 'granular' },
        { access: 'granular', permissions: ['blocks:read'], roleId: 'rol_readonly' },
        { access: 'granular', permissions: ['no-such:permission'] },
        { access: 'granular', roleId: 'rol_nosuchrole' },
        { access: 'full', permissions: ['blocks:read'] },
        { access: 'sometimes' },
      ]) {
        const answer = await admin.client.post(base, { name: unique('t'), ...body });
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(answer.body.error.code, 'VALIDATION_FAILED');
      }
    });

    test('resource limits are checked against the org resources at creation', async () => {
      const shard = await createResource(admin);
      const limited = await createToken(admin, { resourceIds: [shard.id] });
      assert.deepEqual(limited.info.resourceIds, [shard.id]);
      const unknown = await admin.client.post(base, {
        name: unique('t'),
        access: 'full',
        resourceIds: ['res_doesnotexist000'],
      });
      assert.equal(unknown.status, 400);
    });

    test('allowedIps takes IPv4 and IPv6 addresses and CIDRs, and refuses anything else', async () => {
      const ok = await createToken(admin, {
        allowedIps: ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7'],
      });
      assert.deepEqual(ok.info.allowedIps, ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7']);
      const bad = await admin.client.post(base, {
        name: unique('t'),
        access: 'full',
        allowedIps: ['10.0.0.0/33'],
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.error.details.bad, ['10.0.0.0/33']);
    });

    test('PATCH renames and edits the description; a rename to a taken name is 409', async () => {
      const a = await createToken(admin);
      const b = await createToken(admin);
      const renamed = await admin.client.patch(`${base}/${a.id}`, {
        name: unique('renamed'),
        description: 'for CI',
      });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.description, 'for CI');
      const taken = await admin.client.patch(`${base}/${a.id}`, { name: b.info.name });
      assert.equal(taken.status, 409);
      const empty = await admin.client.patch(`${base}/${a.id}`, {});
      assert.equal(empty.status, 400);
    });

    test('revoke keeps the record with status revoked, who and when, and verify answers REVOKED at once', async () => {
      const created = await createToken(admin);
      assert.equal((await verify(server.url, { token: created.token })).body.valid, true);
      const revoked = await admin.client.delete(`${base}/${created.id}`);
      assert.equal(revoked.status, 200);
      assert.equal(revoked.body.status, 'revoked');
      assert.equal(revoked.body.revokedBy, admin.userId);
      assert.ok(revoked.body.revokedAt);
      assert.deepEqual((await verify(server.url, { token: created.token })).body, {
        valid: false,
        code: 'REVOKED',
      });
      const again = await admin.client.delete(`${base}/${created.id}`);
      assert.equal(again.status, 200);
      assert.equal(again.body.revokedAt, revoked.body.revokedAt);
    });

    test('rotation issues a new value for the same id; without grace the old value stops at once', async () => {
      const created = await createToken(admin);
      assert.equal((await verify(server.url, { token: created.token })).body.valid, true);
      const rotated = await admin.client.post(`${base}/${created.id}/rotate`, {});
      assert.equal(rotated.status, 200);
      assert.equal(rotated.headers.get('cache-control'), 'no-store');
      assert.equal(rotated.body.clientId, created.id);
      assert.notEqual(rotated.body.token, created.token);
      assert.equal(rotated.body.tokenInfo.hint, `lk_…${rotated.body.token.slice(-4)}`);
      assert.equal((await verify(server.url, { token: rotated.body.token })).body.valid, true);
      assert.equal((await verify(server.url, { token: created.token })).body.code, 'NOT_FOUND');
    });

    test('rotation with a grace period keeps the old value working until the grace ends', async () => {
      const created = await createToken(admin);
      const rotated = await admin.client.post(`${base}/${created.id}/rotate`, { gracePeriod: '1h' });
      assert.equal(rotated.status, 200);
      assert.equal((await verify(server.url, { token: created.token })).body.valid, true);
      assert.equal((await verify(server.url, { token: rotated.body.token })).body.valid, true);
      // End the grace in the database, as the clock would, and drop the cached entry.
      await server.deps.db
        .updateTable('tokenSecrets')
        .set({ notAfter: Date.now() - 1 })
        .where('tokenId', '=', created.id)
        .where('notAfter', 'is not', null)
        .execute();
      server.deps.events.tokenChanged(admin.orgId, created.id);
      assert.equal((await verify(server.url, { token: created.token })).body.valid, false);
      assert.equal((await verify(server.url, { token: rotated.body.token })).body.valid, true);
      const tooLong = await admin.client.post(`${base}/${created.id}/rotate`, { gracePeriod: '8d' });
      assert.equal(tooLong.status, 400);
    });

    test('a revoked token cannot be rotated (409)', async () => {
      const created = await createToken(admin);
      await admin.client.delete(`${base}/${created.id}`);
      const answer = await admin.client.post(`${base}/${created.id}/rotate`, {});
      assert.equal(answer.status, 409);
      assert.equal(answer.body.error.code, 'CONFLICT');
    });

    test('lists page by cursor, newest first, and filter by status, kind and owner', async () => {
      const fresh = await startServer({ dialect: dialect.name });
      try {
        const boss = await setupAdmin(fresh.url);
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await createToken(boss)).id);
        const app = await createToken(boss, { kind: 'application' });
        await boss.client.delete(`/v1/orgs/${boss.orgId}/tokens/${ids[0]}`);
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page: any = await boss.client.get(
            `/v1/orgs/${boss.orgId}/tokens?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          );
          assert.equal(page.status, 200);
          assert.ok(page.body.items.length <= 2);
          seen.push(...page.body.items.map((t: { id: string }) => t.id));
          cursor = page.body.nextCursor;
        } while (cursor !== null);
        assert.deepEqual(seen, [app.id, ...ids].sort().reverse());
        const revoked = await boss.client.get(`/v1/orgs/${boss.orgId}/tokens?status=revoked`);
        assert.deepEqual(
          revoked.body.items.map((t: { id: string }) => t.id),
          [ids[0]],
        );
        const apps = await boss.client.get(`/v1/orgs/${boss.orgId}/tokens?kind=application`);
        assert.deepEqual(
          apps.body.items.map((t: { id: string }) => t.id),
          [app.id],
        );
        const mine = await boss.client.get(`/v1/orgs/${boss.orgId}/tokens?owner=me&status=active`);
        assert.equal(mine.body.items.length, 4);
        const tooMany = await boss.client.get(`/v1/orgs/${boss.orgId}/tokens?limit=101`);
        assert.equal(tooMany.status, 400);
      } finally {
        await fresh.close();
      }
    });

    test('application tokens need tokens:write, have no owner, and survive their creator leaving', async () => {
      const writer = await addMember(admin, 'rol_readwrite');
      const refused = await writer.client.post(base, {
        name: unique('app'),
        kind: 'application',
        access: 'full',
      });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'FORBIDDEN');

      const role = await admin.client.post(`/v1/orgs/${admin.orgId}/roles`, {
        name: unique('token-admins'),
        permissions: ['tokens:read', 'tokens:write', 'blocks:read'],
      });
      assert.equal(role.status, 201);
      const manager = await addMember(admin, role.body.id);
      const app = await createToken(manager, { kind: 'application', permissions: ['blocks:read'] });
      assert.equal(app.info.kind, 'application');
      assert.equal(app.info.ownerId, null);
      const personal = await createToken(manager);

      assert.equal(
        (await admin.client.delete(`/v1/orgs/${admin.orgId}/members/${manager.userId}`)).status,
        204,
      );
      assert.equal(
        (await verify(server.url, { token: app.token, permission: 'blocks:read' })).body.valid,
        true,
      );
      assert.deepEqual((await verify(server.url, { token: personal.token })).body, {
        valid: false,
        code: 'REVOKED',
      });
      const after = await admin.client.get(`${base}/${personal.id}`);
      assert.equal(after.body.revokedReason, 'owner_removed');
    });

    test('a session needs nothing for its own tokens; others see only their own without tokens:read', async () => {
      const reader = await addMember(admin, 'rol_readonly');
      const own = await createToken(reader);
      const list = await reader.client.get(base);
      assert.equal(list.status, 200);
      assert.ok(list.body.items.length >= 1);
      assert.ok(list.body.items.every((t: { ownerId: string }) => t.ownerId === reader.userId));
      const adminToken = await createToken(admin);
      assert.equal((await reader.client.get(`${base}/${adminToken.id}`)).status, 404);
      assert.equal((await reader.client.delete(`${base}/${adminToken.id}`)).status, 404);
      assert.equal((await reader.client.post(`${base}/${own.id}/rotate`, {})).status, 200);
      assert.equal((await reader.client.delete(`${base}/${own.id}`)).status, 200);
      // An admin with tokens:write revokes anyone's token.
      const other = await createToken(reader);
      assert.equal((await admin.client.delete(`${base}/${other.id}`)).status, 200);
    });

    test('tokens on the management API need tokens:read to list and tokens:write to create, even their own', async () => {
      const plain = await createToken(admin, { permissions: ['blocks:read'] });
      const asToken = new ApiClient(server.url).withToken(plain.token);
      const list = await asToken.get(base);
      assert.equal(list.status, 403);
      assert.equal(list.body.error.code, 'FORBIDDEN');
      const create = await asToken.post(base, {
        name: unique('t'),
        access: 'granular',
        permissions: ['blocks:read'],
      });
      assert.equal(create.status, 403);
      const manager = await createToken(admin, {
        permissions: ['tokens:read', 'tokens:write', 'blocks:read'],
      });
      const asManager = new ApiClient(server.url).withToken(manager.token);
      assert.equal((await asManager.get(base)).status, 200);
      const child = await asManager.post(base, {
        name: unique('child'),
        access: 'granular',
        permissions: ['blocks:read'],
      });
      assert.equal(child.status, 201);
      assert.equal(child.body.tokenInfo.ownerId, admin.userId);
    });
  });
}
