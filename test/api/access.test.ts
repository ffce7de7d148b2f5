// Authorization rules of the management API (spec §2 Rules, §3, §5 Codes).
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
import { assertError } from '../helpers/workflows.ts';

for (const dialect of await testDialects()) {
  describe(`authorization rules (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    let readonly: AdminSession;
    let readwrite: AdminSession;
    /** A full-access personal token of the administrator: every permission there is. */
    let adminFull: ApiClient;
    let customRoleId: string;

    before(async () => {
      server = await startServer({ dialect: dialect.name, env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
      admin = await setupAdmin(server.url);
      readonly = await addMember(admin, 'rol_readonly');
      readwrite = await addMember(admin, 'rol_readwrite');
      adminFull = admin.client.withToken(
        (await createToken(admin, { access: 'full', permissions: undefined })).token,
      );
      const role = await admin.client.post(`/v1/orgs/${admin.orgId}/roles`, {
        name: unique('auditors'),
        permissions: ['blocks:read', 'audit:read'],
      });
      assert.equal(role.status, 201, JSON.stringify(role.body));
      customRoleId = role.body.id;
    });

    after(async () => {
      await server?.close();
    });

    const org = () => `/v1/orgs/${admin.orgId}`;

    describe('a token gets 403 SESSION_REQUIRED where a signed-in person is needed', () => {
      test('a token gets 403 SESSION_REQUIRED when changing the org policy, and the policy stays', async () => {
        const answer = await adminFull.patch(org(), { policy: { maxTtlDays: 7, allowNoExpiry: true } });
        assertError(answer, 403, 'SESSION_REQUIRED');
        const current = await admin.client.get(org());
        assert.deepEqual(current.body.policy, {
          maxTtlDays: 365,
          allowNoExpiry: false,
          notifyUnused: false,
          requireTwoFactor: false,
          requireSso: false,
        });
      });

      test('a token gets 403 SESSION_REQUIRED when adding a member, and nobody is invited', async () => {
        const email = `${unique('via-token')}@example.com`;
        const answer = await adminFull.post(`${org()}/members`, { email, roleId: 'rol_readonly' });
        assertError(answer, 403, 'SESSION_REQUIRED');
        const invites = await server.deps.db
          .selectFrom('invites')
          .select('id')
          .where('email', '=', email)
          .execute();
        assert.equal(invites.length, 0);
      });

      test("a token gets 403 SESSION_REQUIRED when changing a member's role, and the role stays", async () => {
        const answer = await adminFull.patch(`${org()}/members/${readonly.userId}`, {
          roleId: 'rol_readwrite',
        });
        assertError(answer, 403, 'SESSION_REQUIRED');
        const members = await admin.client.get(`${org()}/members`);
        const member = members.body.items.find((m: { userId: string }) => m.userId === readonly.userId);
        assert.equal(member.roleId, 'rol_readonly');
      });

      test('a token gets 403 SESSION_REQUIRED when removing a member, and the member stays', async () => {
        const answer = await adminFull.delete(`${org()}/members/${readonly.userId}`);
        assertError(answer, 403, 'SESSION_REQUIRED');
        const members = await admin.client.get(`${org()}/members`);
        assert.ok(members.body.items.some((m: { userId: string }) => m.userId === readonly.userId));
      });

      test('a token gets 403 SESSION_REQUIRED when creating, editing or deleting a role', async () => {
        const name = unique('token-made');
        assertError(
          await adminFull.post(`${org()}/roles`, { name, permissions: ['blocks:read'] }),
          403,
          'SESSION_REQUIRED',
        );
        assertError(
          await adminFull.patch(`${org()}/roles/${customRoleId}`, { permissions: ['chunks:read'] }),
          403,
          'SESSION_REQUIRED',
        );
        assertError(await adminFull.delete(`${org()}/roles/${customRoleId}`), 403, 'SESSION_REQUIRED');
        const roles = await admin.client.get(`${org()}/roles`);
        assert.ok(!roles.body.items.some((r: { name: string }) => r.name === name));
        const role = roles.body.items.find((r: { id: string }) => r.id === customRoleId);
        assert.deepEqual([...role.permissions].sort(), ['audit:read', 'blocks:read']);
      });

      test('a token gets 403 SESSION_REQUIRED when creating an organization', async () => {
        assertError(await adminFull.post('/v1/orgs', { name: unique('org') }), 403, 'SESSION_REQUIRED');
      });
    });

    describe('tokens on the management API need the permission for the action', () => {
      test('a token without tokens:read gets 403 FORBIDDEN listing or showing tokens', async () => {
        const own = await createToken(admin, { permissions: ['blocks:read', 'tokens:write'] });
        const client = admin.client.withToken(own.token);
        const list = await client.get(`${org()}/tokens`);
        assertError(list, 403, 'FORBIDDEN');
        assert.deepEqual(list.body.error.details?.missing, ['tokens:read']);
        // Even its own record.
        assertError(await client.get(`${org()}/tokens/${own.id}`), 403, 'FORBIDDEN');
      });

      test('a token without tokens:write gets 403 FORBIDDEN creating a token, and none is created', async () => {
        const reader = admin.client.withToken(
          (await createToken(admin, { permissions: ['tokens:read', 'blocks:read'] })).token,
        );
        const name = unique('from-reader');
        const answer = await reader.post(`${org()}/tokens`, {
          name,
          access: 'granular',
          permissions: ['blocks:read'],
          expiresIn: '1d',
        });
        assertError(answer, 403, 'FORBIDDEN');
        const list = await reader.get(`${org()}/tokens?limit=100`);
        assert.equal(list.status, 200);
        assert.ok(!list.body.items.some((t: { name: string }) => t.name === name));
      });

      test('a token without tokens:write gets 403 FORBIDDEN revoking or rotating, and the token stays active', async () => {
        const target = await createToken(admin);
        const reader = admin.client.withToken(
          (await createToken(admin, { permissions: ['tokens:read'] })).token,
        );
        assertError(await reader.delete(`${org()}/tokens/${target.id}`), 403, 'FORBIDDEN');
        assertError(await reader.post(`${org()}/tokens/${target.id}/rotate`, {}), 403, 'FORBIDDEN');
        const after = await admin.client.get(`${org()}/tokens/${target.id}`);
        assert.equal(after.body.status, 'active');
        assert.equal((await verify(server.url, { token: target.token })).body.valid, true);
      });
    });

    describe('a session cannot ask for what it does not hold', () => {
      const countOwn = async (member: AdminSession) =>
        (await member.client.get(`/v1/orgs/${member.orgId}/tokens?owner=me&limit=100`)).body.items.length;

      test('a read-only member asking for granular permissions beyond its role gets 403 FORBIDDEN', async () => {
        const before = await countOwn(readonly);
        const answer = await readonly.client.post(`${org()}/tokens`, {
          name: unique('greedy'),
          access: 'granular',
          permissions: ['blocks:read', 'transactions:write'],
        });
        assertError(answer, 403, 'FORBIDDEN');
        assert.deepEqual(answer.body.error.details?.missing, ['transactions:write']);
        assert.equal(await countOwn(readonly), before);
      });

      test('a read-only member asking for a broader role on a token gets 403 FORBIDDEN', async () => {
        const answer = await readonly.client.post(`${org()}/tokens`, {
          name: unique('greedy-role'),
          access: 'granular',
          roleId: 'rol_readwrite',
        });
        assertError(answer, 403, 'FORBIDDEN');
      });

      test('a member without tokens:write gets 403 FORBIDDEN creating an application token', async () => {
        const answer = await readwrite.client.post(`${org()}/tokens`, {
          name: unique('app'),
          kind: 'application',
          access: 'granular',
          permissions: ['blocks:read'],
        });
        assertError(answer, 403, 'FORBIDDEN');
        const apps = await admin.client.get(`${org()}/tokens?kind=application&limit=100`);
        assert.equal(
          apps.body.items.filter((t: { createdBy: string }) => t.createdBy === readwrite.userId).length,
          0,
        );
      });

      test('a member without roles:write or members:write gets 403 FORBIDDEN on roles and members', async () => {
        assertError(
          await readwrite.client.post(`${org()}/roles`, { name: unique('r'), permissions: ['blocks:read'] }),
          403,
          'FORBIDDEN',
        );
        assertError(
          await readwrite.client.post(`${org()}/members`, {
            email: `${unique('x')}@example.com`,
            roleId: 'rol_readonly',
          }),
          403,
          'FORBIDDEN',
        );
        assertError(
          await readwrite.client.patch(`${org()}/members/${readonly.userId}`, { roleId: 'rol_readwrite' }),
          403,
          'FORBIDDEN',
        );
        assertError(await readonly.client.patch(org(), { policy: { maxTtlDays: 1 } }), 403, 'FORBIDDEN');
      });

      test('a member within its role can create a narrower granular token', async () => {
        const answer = await readonly.client.post(`${org()}/tokens`, {
          name: unique('fits'),
          access: 'granular',
          permissions: ['blocks:read', 'accounts:read'],
        });
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        assert.equal(answer.body.tokenInfo.ownerId, readonly.userId);
      });
    });

    describe('a token cannot mint a token broader than itself', () => {
      let shardA: { id: string };
      let shardB: { id: string };
      let parent: { token: string; id: string; info: { expiresAt: string } };
      let minter: ApiClient;

      before(async () => {
        shardA = await createResource(admin);
        shardB = await createResource(admin);
        parent = await createToken(admin, {
          permissions: ['blocks:read', 'chunks:read', 'tokens:read', 'tokens:write'],
          resourceIds: [shardA.id],
          expiresIn: '7d',
        });
        minter = admin.client.withToken(parent.token);
      });

      const mint = (body: Record<string, unknown>) =>
        minter.post(`${org()}/tokens`, {
          name: unique('minted'),
          access: 'granular',
          permissions: ['blocks:read'],
          resourceIds: [shardA.id],
          expiresIn: '1d',
          ...body,
        });

      test('a token cannot mint a token with more permissions than itself (403 FORBIDDEN)', async () => {
        const answer = await mint({ permissions: ['blocks:read', 'accounts:read'] });
        assertError(answer, 403, 'FORBIDDEN');
        assert.deepEqual(answer.body.error.details?.missing, ['accounts:read']);
        assertError(await mint({ permissions: undefined, access: 'full' }), 403, 'FORBIDDEN');
      });

      test('a token cannot mint a token for more resources than itself (403 FORBIDDEN)', async () => {
        assertError(await mint({ resourceIds: [shardA.id, shardB.id] }), 403, 'FORBIDDEN');
        assertError(await mint({ resourceIds: [shardB.id] }), 403, 'FORBIDDEN');
        // null means every resource of the org: broader than [shardA].
        assertError(await mint({ resourceIds: null }), 403, 'FORBIDDEN');
      });

      test('a token cannot mint a token that expires after itself (403 FORBIDDEN)', async () => {
        assertError(await mint({ expiresIn: '30d' }), 403, 'FORBIDDEN');
        const later = new Date(Date.parse(parent.info.expiresAt) + 60_000).toISOString();
        assertError(await mint({ expiresIn: undefined, expiresAt: later }), 403, 'FORBIDDEN');
      });

      test('none of the refused mints left a token behind', async () => {
        const list = await admin.client.get(`${org()}/tokens?limit=100`);
        assert.ok(!list.body.items.some((t: { createdBy: string }) => t.createdBy === parent.id));
      });

      test('a token can mint a narrower token, which works within those bounds', async () => {
        const answer = await mint({});
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        const child = answer.body;
        assert.equal(child.tokenInfo.createdBy, parent.id);
        assert.deepEqual(child.tokenInfo.permissions, ['blocks:read']);
        assert.deepEqual(child.tokenInfo.resourceIds, [shardA.id]);
        assert.ok(Date.parse(child.tokenInfo.expiresAt) <= Date.parse(parent.info.expiresAt));
        const ok = await verify(server.url, {
          token: child.token,
          permission: 'blocks:read',
          resource: shardA.id,
        });
        assert.equal(ok.body.valid, true, JSON.stringify(ok.body));
        const other = await verify(server.url, {
          token: child.token,
          permission: 'blocks:read',
          resource: shardB.id,
        });
        assert.deepEqual(other.body, { valid: false, code: 'RESOURCE_FORBIDDEN' });
      });

      test('a token without an expiry choice mints one that ends no later than itself', async () => {
        const answer = await mint({ expiresIn: undefined });
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        assert.ok(Date.parse(answer.body.tokenInfo.expiresAt) <= Date.parse(parent.info.expiresAt));
      });
    });

    describe("another org's objects are 404, never 403", () => {
      let otherOrgId: string;
      let otherToken: { id: string };
      let otherRoleId: string;
      let otherResourceId: string;

      before(async () => {
        const created = await admin.client.post('/v1/orgs', { name: unique('Other') });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        otherOrgId = created.body.id;
        const other = { client: admin.client, orgId: otherOrgId };
        otherToken = await createToken(other);
        const role = await admin.client.post(`/v1/orgs/${otherOrgId}/roles`, {
          name: unique('other-role'),
          permissions: ['blocks:read'],
        });
        otherRoleId = role.body.id;
        const resource = await admin.client.post(`/v1/orgs/${otherOrgId}/resources`, {
          type: 'shard',
          name: unique('other'),
        });
        otherResourceId = resource.body.id;
      });

      test("a member of one org gets 404 NOT_FOUND for another org's tokens, members, roles, resources and audit", async () => {
        const base = `/v1/orgs/${otherOrgId}`;
        for (const path of [
          base,
          `${base}/tokens`,
          `${base}/tokens/${otherToken.id}`,
          `${base}/members`,
          `${base}/roles`,
          `${base}/roles/${otherRoleId}`,
          `${base}/resources`,
          `${base}/resources/${otherResourceId}`,
          `${base}/audit`,
        ]) {
          const answer = await readwrite.client.get(path);
          assertError(answer, 404, 'NOT_FOUND');
        }
        assertError(
          await readwrite.client.post(`${base}/tokens`, {
            name: 'x',
            access: 'granular',
            permissions: ['blocks:read'],
          }),
          404,
          'NOT_FOUND',
        );
        assertError(await readwrite.client.delete(`${base}/tokens/${otherToken.id}`), 404, 'NOT_FOUND');
      });

      test("an org's token gets 404 NOT_FOUND for another org, even with every permission", async () => {
        const base = `/v1/orgs/${otherOrgId}`;
        for (const path of [
          `${base}/tokens`,
          `${base}/members`,
          `${base}/roles`,
          `${base}/resources`,
          `${base}/audit`,
        ]) {
          assertError(await adminFull.get(path), 404, 'NOT_FOUND');
        }
        assertError(await adminFull.delete(`${base}/tokens/${otherToken.id}`), 404, 'NOT_FOUND');
        assertError(await adminFull.delete(`${base}/resources/${otherResourceId}`), 404, 'NOT_FOUND');
      });

      test("another org's objects named under this org's path are 404 NOT_FOUND and stay untouched", async () => {
        assertError(await admin.client.get(`${org()}/tokens/${otherToken.id}`), 404, 'NOT_FOUND');
        assertError(await admin.client.delete(`${org()}/tokens/${otherToken.id}`), 404, 'NOT_FOUND');
        assertError(await admin.client.get(`${org()}/roles/${otherRoleId}`), 404, 'NOT_FOUND');
        assertError(await admin.client.delete(`${org()}/roles/${otherRoleId}`), 404, 'NOT_FOUND');
        assertError(await admin.client.delete(`${org()}/resources/${otherResourceId}`), 404, 'NOT_FOUND');
        const token = await admin.client.get(`/v1/orgs/${otherOrgId}/tokens/${otherToken.id}`);
        assert.equal(token.body.status, 'active');
        const resource = await admin.client.get(`/v1/orgs/${otherOrgId}/resources/${otherResourceId}`);
        assert.equal(resource.status, 200);
        const role = await admin.client.get(`/v1/orgs/${otherOrgId}/roles/${otherRoleId}`);
        assert.equal(role.status, 200);
      });

      test("another org's member cannot be changed through this org's path (404 NOT_FOUND)", async () => {
        // The admin belongs to both orgs; readwrite only to the first. A user of no org of the path: 404.
        const third = await admin.client.post('/v1/orgs', { name: unique('Third') });
        assertError(
          await admin.client.patch(`/v1/orgs/${third.body.id}/members/${readwrite.userId}`, {
            roleId: 'rol_readonly',
          }),
          404,
          'NOT_FOUND',
        );
        assertError(
          await admin.client.delete(`/v1/orgs/${third.body.id}/members/${readwrite.userId}`),
          404,
          'NOT_FOUND',
        );
      });
    });

    describe('roles', () => {
      test('editing a built-in role is 403 FORBIDDEN', async () => {
        assertError(
          await admin.client.patch(`${org()}/roles/rol_readonly`, {
            permissions: ['blocks:read', 'tokens:write'],
          }),
          403,
          'FORBIDDEN',
        );
        const role = await admin.client.get(`${org()}/roles/rol_readonly`);
        assert.ok(!role.body.permissions.includes('tokens:write'));
        assert.equal(role.body.builtIn, true);
      });

      test('deleting a built-in role is 403 FORBIDDEN', async () => {
        for (const id of ['rol_admin', 'rol_readwrite', 'rol_readonly']) {
          assertError(await admin.client.delete(`${org()}/roles/${id}`), 403, 'FORBIDDEN');
        }
        const roles = await admin.client.get(`${org()}/roles`);
        assert.equal(roles.body.items.filter((r: { builtIn: boolean }) => r.builtIn).length, 3);
      });

      test('deleting a role a member holds is 409 CONFLICT; once unused it can be deleted', async () => {
        const role = await admin.client.post(`${org()}/roles`, {
          name: unique('held'),
          permissions: ['blocks:read'],
        });
        const member = await addMember(admin, role.body.id);
        const refused = await admin.client.delete(`${org()}/roles/${role.body.id}`);
        assertError(refused, 409, 'CONFLICT');
        assert.equal((await admin.client.get(`${org()}/roles/${role.body.id}`)).status, 200);
        const moved = await admin.client.patch(`${org()}/members/${member.userId}`, {
          roleId: 'rol_readonly',
        });
        assert.equal(moved.status, 200, JSON.stringify(moved.body));
        assert.equal((await admin.client.delete(`${org()}/roles/${role.body.id}`)).status, 204);
        assertError(await admin.client.get(`${org()}/roles/${role.body.id}`), 404, 'NOT_FOUND');
      });

      test('deleting a role an active token uses is 409 CONFLICT', async () => {
        const role = await admin.client.post(`${org()}/roles`, {
          name: unique('used'),
          permissions: ['chunks:read'],
        });
        const token = await createToken(admin, { permissions: undefined, roleId: role.body.id });
        assertError(await admin.client.delete(`${org()}/roles/${role.body.id}`), 409, 'CONFLICT');
        assert.equal((await admin.client.delete(`${org()}/tokens/${token.id}`)).status, 200);
        assert.equal((await admin.client.delete(`${org()}/roles/${role.body.id}`)).status, 204);
      });
    });

    describe('the last administrator', () => {
      test('demoting the last administrator is 409 CONFLICT', async () => {
        const answer = await admin.client.patch(`${org()}/members/${admin.userId}`, {
          roleId: 'rol_readonly',
        });
        assertError(answer, 409, 'CONFLICT');
        const members = await admin.client.get(`${org()}/members`);
        const self = members.body.items.find((m: { userId: string }) => m.userId === admin.userId);
        assert.equal(self.roleId, 'rol_admin');
      });

      test('removing the last administrator is 409 CONFLICT', async () => {
        assertError(await admin.client.delete(`${org()}/members/${admin.userId}`), 409, 'CONFLICT');
        const members = await admin.client.get(`${org()}/members`);
        assert.ok(members.body.items.some((m: { userId: string }) => m.userId === admin.userId));
      });
    });

    test('a read-only member lists only its own tokens; the administrator sees every token', async () => {
      const mine = await createToken(readonly);
      const theirs = await createToken(admin);
      const list = await readonly.client.get(`${org()}/tokens?limit=100`);
      assert.equal(list.status, 200);
      const ids = list.body.items.map((t: { id: string }) => t.id);
      assert.ok(ids.includes(mine.id));
      assert.ok(!ids.includes(theirs.id));
      assert.ok(list.body.items.every((t: { ownerId: string }) => t.ownerId === readonly.userId));
      const asked = await readonly.client.get(`${org()}/tokens?owner=${admin.userId}`);
      assert.deepEqual(asked.body.items, []);
      assertError(await readonly.client.get(`${org()}/tokens/${theirs.id}`), 404, 'NOT_FOUND');
      const all = await admin.client.get(`${org()}/tokens?limit=100`);
      const allIds = all.body.items.map((t: { id: string }) => t.id);
      assert.ok(allIds.includes(mine.id) && allIds.includes(theirs.id));
    });

    test('unknown, revoked, expired and malformed tokens get the same 401 UNAUTHENTICATED answer', async () => {
      const revoked = await createToken(admin, { permissions: ['tokens:read'] });
      assert.equal((await admin.client.delete(`${org()}/tokens/${revoked.id}`)).status, 200);
      const expired = await createToken(admin, { permissions: ['tokens:read'] });
      // Never used, so not cached: the database row is what the server reads.
      await server.deps.db
        .updateTable('tokens')
        .set({ expiresAt: Date.now() - 1000 })
        .where('id', '=', expired.id)
        .execute();
      const values = {
        unknown: generateTokenValue(server.deps.config.tokenPrefix),
        revoked: revoked.token,
        expired: expired.token,
        malformed: 'lk_not-a-token',
      };
      const shapes = [];
      for (const [label, value] of Object.entries(values)) {
        const answer = await new ApiClient(server.url).withToken(value).get(`${org()}/tokens`);
        assertError(answer, 401, 'UNAUTHENTICATED');
        assert.deepEqual(Object.keys(answer.body.error).sort(), ['code', 'message', 'requestId'], label);
        shapes.push({ code: answer.body.error.code, message: answer.body.error.message });
      }
      for (const shape of shapes) assert.deepEqual(shape, shapes[0]);
    });
  });
}
