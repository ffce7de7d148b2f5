// Issue 12, rules 1, 3, 6 and 8: no principal obtains more than it holds, through a real server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApiClient } from '../helpers/client.ts';
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

const HOUR = 3_600_000;

for (const dialect of await testDialects()) {
  describe(`no one gets more than they hold (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    let tokens: string;
    /** A custom role with tokens:read + tokens:write and one shard permission. */
    let tokenManagerRole: string;

    const roleWith = async (permissions: string[]) => {
      const answer = await admin.client.post(`/v1/orgs/${admin.orgId}/roles`, {
        name: unique('role'),
        permissions,
      });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      return answer.body.id as string;
    };
    const asToken = (value: string): ApiClient => admin.client.withToken(value);

    before(async () => {
      server = await startServer({ dialect: dialect.name, env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
      admin = await setupAdmin(server.url);
      tokens = `/v1/orgs/${admin.orgId}/tokens`;
      tokenManagerRole = await roleWith(['tokens:read', 'tokens:write', 'blocks:read']);
    });
    after(() => server?.close());

    describe('rule 1: rotation hands out a value, so it needs what the token holds', () => {
      test("a tokens:write + tokens:read token cannot rotate an admin's full token, and gets no value", async () => {
        const target = await createToken(admin, { access: 'full', permissions: undefined });
        const manager = await createToken(admin, {
          kind: 'application',
          permissions: ['tokens:read', 'tokens:write'],
          expiresIn: '1d',
        });
        const answer = await asToken(manager.token).post(`${tokens}/${target.id}/rotate`, {
          gracePeriod: '7d',
        });
        assertError(answer, 403, 'FORBIDDEN');
        assert.equal(JSON.stringify(answer.body).includes('lk_'), false);
        assert.equal(
          (await verify(server.url, { token: target.token })).body.valid,
          true,
          'old value intact',
        );
      });

      test('a session whose role has tokens:write cannot rotate a full application token', async () => {
        const target = await createToken(admin, {
          kind: 'application',
          access: 'full',
          permissions: undefined,
        });
        const member = await addMember(admin, tokenManagerRole);
        assertError(await member.client.post(`${tokens}/${target.id}/rotate`, {}), 403, 'FORBIDDEN');
      });

      test('seeing a token is not obtaining it: the tokens:write session still reads the token it may not rotate', async () => {
        const target = await createToken(admin, {
          kind: 'application',
          access: 'full',
          permissions: undefined,
        });
        const member = await addMember(admin, tokenManagerRole);
        const seen = await member.client.get(`${tokens}/${target.id}`);
        assert.equal(seen.status, 200, JSON.stringify(seen.body));
        assert.equal(seen.body.access, 'full');
      });

      test('nor have its value mailed (deliver), even holding the value', async () => {
        const target = await createToken(admin, {
          kind: 'application',
          access: 'full',
          permissions: undefined,
        });
        const member = await addMember(admin, tokenManagerRole);
        const answer = await member.client.post(`${tokens}/${target.id}/deliver`, { token: target.token });
        assertError(answer, 403, 'FORBIDDEN');
      });

      test('tokens:write alone still revokes and renames a token it does not hold', async () => {
        const target = await createToken(admin, {
          kind: 'application',
          access: 'full',
          permissions: undefined,
        });
        const member = await addMember(admin, tokenManagerRole);
        const renamed = await member.client.patch(`${tokens}/${target.id}`, { name: unique('renamed') });
        assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
        const revoked = await member.client.delete(`${tokens}/${target.id}`);
        assert.equal(revoked.status, 200);
        assert.equal(revoked.body.status, 'revoked');
      });

      test('a holder of everything the token holds rotates it', async () => {
        const target = await createToken(admin, { kind: 'application', permissions: ['blocks:read'] });
        const member = await addMember(admin, tokenManagerRole);
        const rotated = await member.client.post(`${tokens}/${target.id}/rotate`, {});
        assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
        assert.equal((await verify(server.url, { token: rotated.body.token })).body.valid, true);
      });

      test('editing grants: narrowing is allowed, widening beyond the editor is 403, and verify follows at once', async () => {
        const target = await createToken(admin, {
          kind: 'application',
          permissions: ['blocks:read', 'accounts:read'],
        });
        const member = await addMember(admin, tokenManagerRole);
        const question = { token: target.token, permission: 'accounts:read' };
        assert.equal((await verify(server.url, question)).body.valid, true);
        const narrowed = await member.client.patch(`${tokens}/${target.id}`, {
          permissions: ['blocks:read'],
        });
        assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
        assert.deepEqual(narrowed.body.permissions, ['blocks:read']);
        assert.deepEqual((await verify(server.url, question)).body, { valid: false, code: 'FORBIDDEN' });
        const widened = await member.client.patch(`${tokens}/${target.id}`, {
          permissions: ['blocks:read', 'accounts:read'],
        });
        assertError(widened, 403, 'FORBIDDEN');
        assert.deepEqual(widened.body.error.details.missing, ['accounts:read']);
        const later = await member.client.patch(`${tokens}/${target.id}`, {
          expiresAt: new Date(Date.now() + 400 * 24 * HOUR).toISOString(),
        });
        assertError(later, 403, 'FORBIDDEN');
        const sooner = await member.client.patch(`${tokens}/${target.id}`, {
          expiresAt: new Date(Date.now() + 24 * HOUR).toISOString(),
        });
        assert.equal(sooner.status, 200, JSON.stringify(sooner.body));
      });
    });

    describe('rule 3: a value inside its rotation grace is a lesser value', () => {
      test('the old value cannot rotate the token again, nor mint a token outliving its grace end', async () => {
        const token = await createToken(admin, { access: 'full', permissions: undefined });
        const rotated = await admin.client.post(`${tokens}/${token.id}/rotate`, { gracePeriod: '1h' });
        assert.equal(rotated.status, 200);
        const graceEnd = Date.parse(rotated.body.tokenInfo.previousValueExpiresAt);
        assert.ok(
          Math.abs(graceEnd - (Date.now() + HOUR)) < 60_000,
          'the answer says when the old value stops',
        );
        const old = asToken(token.token);
        assertError(await old.post(`${tokens}/${token.id}/rotate`, {}), 403, 'FORBIDDEN');
        assertError(
          await old.post(tokens, {
            name: unique('later'),
            access: 'granular',
            permissions: ['blocks:read'],
            expiresIn: '2h',
          }),
          403,
          'FORBIDDEN',
        );
        const child = await old.post(tokens, {
          name: unique('default'),
          access: 'granular',
          permissions: ['blocks:read'],
        });
        assert.equal(child.status, 201, JSON.stringify(child.body));
        assert.ok(
          Date.parse(child.body.tokenInfo.expiresAt) <= graceEnd,
          'the default lifetime ends with the grace',
        );
        // The new value is a full value again.
        const fresh = asToken(rotated.body.token);
        assert.equal((await fresh.post(`${tokens}/${token.id}/rotate`, {})).status, 200);
      });
    });

    describe('rule 8: a child token keeps its parent limits', () => {
      test('a token with allowedIps or a rate limit cannot mint a token without them', async () => {
        const parent = await createToken(admin, {
          kind: 'application',
          permissions: ['blocks:read', 'tokens:write'],
          allowedIps: ['127.0.0.0/8', '::1/128'],
          rateLimit: { limit: 1000, windowSeconds: 60 },
        });
        const client = asToken(parent.token);
        const body = (extra: Record<string, unknown>) => ({
          name: unique('child'),
          kind: 'application',
          access: 'granular',
          permissions: ['blocks:read'],
          expiresIn: '1d',
          ...extra,
        });
        assertError(
          await client.post(tokens, body({ rateLimit: { limit: 10, windowSeconds: 60 } })),
          403,
          'FORBIDDEN',
        );
        assertError(await client.post(tokens, body({ allowedIps: ['127.0.0.1'] })), 403, 'FORBIDDEN');
        assertError(
          await client.post(
            tokens,
            body({ allowedIps: ['0.0.0.0/0'], rateLimit: { limit: 10, windowSeconds: 60 } }),
          ),
          403,
          'FORBIDDEN',
        );
        const narrow = await client.post(
          tokens,
          body({ allowedIps: ['127.0.0.1'], rateLimit: { limit: 10, windowSeconds: 60 } }),
        );
        assert.equal(narrow.status, 201, JSON.stringify(narrow.body));
      });

      test('a resource-limited token cannot mint a token for every resource', async () => {
        const shard = await createResource(admin);
        const parent = await createToken(admin, {
          kind: 'application',
          permissions: ['blocks:read', 'tokens:write'],
          resourceIds: [shard.id],
        });
        const client = asToken(parent.token);
        const child = {
          name: unique('child'),
          kind: 'application',
          access: 'granular',
          permissions: ['blocks:read'],
        };
        assertError(await client.post(tokens, { ...child, expiresIn: '1d' }), 403, 'FORBIDDEN');
        const limited = await client.post(tokens, { ...child, expiresIn: '1d', resourceIds: [shard.id] });
        assert.equal(limited.status, 201, JSON.stringify(limited.body));
      });
    });

    describe('rule 6: member management is bounded by the actor', () => {
      test('a member with members:read + members:write cannot remove, demote or promote beyond themselves', async () => {
        const managerRole = await roleWith(['members:read', 'members:write', 'blocks:read']);
        const manager = await addMember(admin, managerRole);
        const otherAdmin = await addMember(admin, 'rol_admin');
        const members = `/v1/orgs/${admin.orgId}/members`;
        assertError(await manager.client.delete(`${members}/${otherAdmin.userId}`), 403, 'FORBIDDEN');
        assertError(
          await manager.client.patch(`${members}/${otherAdmin.userId}`, { roleId: 'rol_readonly' }),
          403,
          'FORBIDDEN',
        );
        const plain = await addMember(admin, 'rol_readonly');
        assertError(
          await manager.client.patch(`${members}/${plain.userId}`, { roleId: 'rol_admin' }),
          403,
          'FORBIDDEN',
        );
        const listed = await admin.client.get(`${members}?limit=100`);
        const roleOf = (id: string) =>
          listed.body.items.find((m: { userId: string }) => m.userId === id)?.roleId;
        assert.equal(roleOf(otherAdmin.userId), 'rol_admin');
        assert.equal(roleOf(plain.userId), 'rol_readonly');
      });

      test('two administrators demoting each other at once leave the org with an administrator', async () => {
        const setup = await startServer({
          dialect: dialect.name,
          env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' },
        });
        try {
          const first = await setupAdmin(setup.url);
          const second = await addMember(first, 'rol_admin');
          const members = `/v1/orgs/${first.orgId}/members`;
          const answers = await Promise.all([
            first.client.patch(`${members}/${second.userId}`, { roleId: 'rol_readonly' }),
            second.client.patch(`${members}/${first.userId}`, { roleId: 'rol_readonly' }),
          ]);
          const statuses = answers.map((a) => a.status).sort();
          assert.equal(statuses[0], 200, JSON.stringify(answers.map((a) => a.body)));
          assert.notEqual(statuses[1], 200, 'the second demotion is refused');
          // Whoever's demotion went through is the administrator left: list as them (the other may no longer list).
          const remaining = answers[0]?.status === 200 ? first : second;
          const listed = await remaining.client.get(`${members}?limit=100`);
          assert.equal(listed.status, 200, JSON.stringify(listed.body));
          const admins = listed.body.items.filter((m: { roleId: string }) => m.roleId === 'rol_admin');
          assert.equal(admins.length, 1);
        } finally {
          await setup.close();
        }
      });
    });
  });
}
