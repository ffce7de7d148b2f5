// Least privilege from observed use (issue 17): successful verifications record which permissions and resources
// they exercised (in the batched usage flush), a token's use says "used 2 of 8 permissions…", the narrowing
// PATCH never widens, the org report lists what to clean up with owners, and the weekly digest is mailed once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scanInsightDigests } from '../../server/jobs/insights-digest.ts';
import { testDialects } from '../helpers/dialects.ts';
import {
  type AdminSession,
  addMember,
  createResource,
  createToken,
  setupAdmin,
  verify,
} from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError, newMails, outboxFiles } from '../helpers/workflows.ts';

const DAY = 86_400_000;

for (const dialect of await testDialects()) {
  describe(`least privilege from observed use (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    const use = async (tokenId: string) => {
      const answer = await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${tokenId}/use`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };

    before(async () => {
      server = await startServer({ dialect: dialect.name, env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
      admin = await setupAdmin(server.url);
    });
    after(() => server?.close());

    test('verifications record what they exercised; the token says "used 1 of 3 permissions and 1 of 2 resources"', async () => {
      const [a, b] = [await createResource(admin), await createResource(admin)];
      const token = await createToken(admin, {
        permissions: ['blocks:read', 'chunks:read', 'accounts:read'],
        resourceIds: [a.id, b.id],
      });
      const before = await use(token.id);
      assert.equal(before.summary, 'not used in the last 90 days');
      assert.equal(before.narrow, null);
      for (let i = 0; i < 5; i++) {
        const answer = await verify(server.url, {
          token: token.token,
          permission: 'blocks:read',
          resource: a.id,
        });
        assert.equal(answer.body.valid, true);
      }
      // Refused verifications exercise nothing.
      assert.equal(
        (await verify(server.url, { token: token.token, permission: 'transactions:write' })).body.valid,
        false,
      );
      await server.deps.usage.flush();
      const after = await use(token.id);
      assert.deepEqual(after.permissions, {
        granted: ['accounts:read', 'blocks:read', 'chunks:read'],
        used: ['blocks:read'],
        unknown: false,
      });
      assert.deepEqual(after.resources.used, [a.id]);
      assert.equal(after.summary, 'used 1 of 3 permissions and 1 of 2 resources in the last 90 days');
      assert.deepEqual(after.narrow, { permissions: ['blocks:read'], resourceIds: [a.id] });
      // One day row, written by the flush, with the counts beside what was used.
      const rows = await server.deps.db
        .selectFrom('tokenUsageDaily')
        .selectAll()
        .where('tokenId', '=', token.id)
        .execute();
      assert.equal(rows.length, 1);
      assert.equal(Number(rows[0]?.valid), 5);
      assert.equal(rows[0]?.permissionsUsed, '["blocks:read"]');
    });

    test('later flushes add to the day (any: the held ones it named; all: each); nothing is overwritten', async () => {
      const token = await createToken(admin, {
        permissions: ['blocks:read', 'chunks:read', 'accounts:read', 'keys:read'],
      });
      await verify(server.url, { token: token.token, permission: 'blocks:read' });
      await server.deps.usage.flush();
      await verify(server.url, {
        token: token.token,
        permission: { any: ['chunks:read', 'transactions:write'] },
      });
      await server.deps.usage.flush();
      await verify(server.url, { token: token.token, permission: { all: ['blocks:read', 'accounts:read'] } });
      await server.deps.usage.flush();
      const after = await use(token.id);
      assert.deepEqual(after.permissions.used, ['accounts:read', 'blocks:read', 'chunks:read']);
      assert.deepEqual(after.narrow.permissions, ['accounts:read', 'blocks:read', 'chunks:read']);
    });

    test('a verification that names no permission makes the use unknown: no narrowing of permissions is offered', async () => {
      const token = await createToken(admin, { permissions: ['blocks:read', 'chunks:read'] });
      await verify(server.url, { token: token.token, permission: 'blocks:read' });
      await verify(server.url, { token: token.token });
      await server.deps.usage.flush();
      const after = await use(token.id);
      assert.equal(after.permissions.unknown, true);
      assert.equal(after.narrow, null);
      assert.match(after.summary, /some verifications named no permission/);
    });

    test('Narrow to what is used is a normal edit: audited, it never widens, and the unused permission stops', async () => {
      const resource = await createResource(admin);
      const token = await createToken(admin, { permissions: ['blocks:read', 'chunks:read'] });
      await verify(server.url, { token: token.token, permission: 'chunks:read', resource: resource.id });
      await server.deps.usage.flush();
      const { narrow } = await use(token.id);
      // Every resource of the org was granted (others exist from the tests before), one was used.
      assert.deepEqual(narrow, { permissions: ['chunks:read'], resourceIds: [resource.id] });
      const patched = await admin.client.patch(`/v1/orgs/${admin.orgId}/tokens/${token.id}`, narrow);
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(patched.body.permissions, ['chunks:read']);
      assert.deepEqual(patched.body.resourceIds, [resource.id]);
      for (const p of patched.body.permissions) assert.ok(token.info.permissions.includes(p), 'never wider');
      assert.equal(
        (await verify(server.url, { token: token.token, permission: 'blocks:read' })).body.code,
        'FORBIDDEN',
      );
      assert.equal(
        (await verify(server.url, { token: token.token, permission: 'chunks:read' })).body.valid,
        true,
      );
      const audit = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?tokenId=${token.id}`);
      const updated = audit.body.items.find((e: { action: string }) => e.action === 'token.updated');
      assert.deepEqual(updated.details.before.permissions, ['blocks:read', 'chunks:read']);
      assert.deepEqual(updated.details.after.permissions, ['chunks:read']);
    });

    test('the org report lists each kind of finding with the owner; a member sees only their own tokens', async () => {
      assert.equal(
        (await admin.client.patch(`/v1/orgs/${admin.orgId}`, { policy: { allowNoExpiry: true } })).status,
        200,
      );
      const forever = await createToken(admin, { expiresAt: null });
      const old = await createToken(admin);
      await server.deps.db
        .updateTable('tokens')
        .set({ createdAt: Date.now() - 200 * DAY })
        .where('id', '=', old.id)
        .execute();
      const member = await addMember(admin, 'rol_readwrite');
      const mine = await createToken(member);
      const report = await admin.client.get(`/v1/orgs/${admin.orgId}/insights`);
      assert.equal(report.status, 200, JSON.stringify(report.body));
      const item = (id: string) =>
        report.body.items.find((i: { token: { id: string } }) => i.token.id === id);
      assert.deepEqual(item(forever.id).findings, ['never_used', 'no_expiry']);
      assert.deepEqual(item(old.id).findings, ['never_used', 'past_age']);
      assert.equal(item(old.id).owner.email, admin.email);
      assert.equal(item(mine.id).owner.email, member.email);
      assert.ok(report.body.items.some((i: { findings: string[] }) => i.findings.includes('exceeds_use')));
      assert.equal(report.body.maxAgeDays, 180);
      assert.equal(report.body.counts.no_expiry, 1);

      const own = await member.client.get(`/v1/orgs/${admin.orgId}/insights`);
      assert.equal(own.status, 200);
      assert.deepEqual(
        own.body.items.map((i: { token: { id: string } }) => i.token.id),
        [mine.id],
      );
      // A shorter configured age reports more tokens.
      const settings = await admin.client.patch(`/v1/orgs/${admin.orgId}/insights/settings`, {
        maxAgeDays: 1,
      });
      assert.deepEqual(settings.body, { weeklyDigest: false, maxAgeDays: 1 });
      await server.deps.db
        .updateTable('tokens')
        .set({ createdAt: Date.now() - 2 * DAY })
        .where('id', '=', mine.id)
        .execute();
      const again = await admin.client.get(`/v1/orgs/${admin.orgId}/insights`);
      const mineAgain = again.body.items.find((i: { token: { id: string } }) => i.token.id === mine.id);
      assert.ok(mineAgain.findings.includes('past_age'));
      await admin.client.patch(`/v1/orgs/${admin.orgId}/insights/settings`, { maxAgeDays: 180 });
    });

    test('the weekly digest is opt-in, goes to administrators once a week, and names no value', async () => {
      const token = await createToken(admin, { access: 'full', permissions: undefined });
      assertError(
        await admin.client
          .withToken(token.token)
          .patch(`/v1/orgs/${admin.orgId}/insights/settings`, { weeklyDigest: true }),
        403,
        'SESSION_REQUIRED',
      );
      assertError(
        await admin.client.patch(`/v1/orgs/${admin.orgId}/insights/settings`, { maxAgeDays: 0 }),
        400,
        'VALIDATION_FAILED',
      );
      const seen = outboxFiles(server.dataDir);
      assert.equal(await scanInsightDigests(server.deps), 0, 'nothing before the opt-in');
      const on = await admin.client.patch(`/v1/orgs/${admin.orgId}/insights/settings`, {
        weeklyDigest: true,
      });
      assert.equal(on.status, 200);
      assert.equal(await scanInsightDigests(server.deps), 1);
      assert.equal(await scanInsightDigests(server.deps), 0, 'once a week');
      await server.deps.jobs.drain();
      const mails = newMails(server.dataDir, seen);
      assert.equal(mails.length, 1);
      assert.equal(mails[0]?.to, admin.email);
      assert.match(mails[0]?.text ?? '', /Token insights for "Acme" \(the last 90 days\)/);
      assert.match(mails[0]?.text ?? '', /were never used/);
      assert.ok(!(mails[0]?.text ?? '').includes(token.token));
      assert.equal(await scanInsightDigests(server.deps, Date.now() + 7 * DAY), 1, 'the next week');
    });

    test('a week with nothing to clean up sends no digest', async () => {
      for (;;) {
        const page = await admin.client.get(`/v1/orgs/${admin.orgId}/tokens?status=active&limit=100`);
        assert.equal(page.status, 200);
        if (page.body.items.length === 0) break;
        for (const item of page.body.items) {
          assert.equal((await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${item.id}`)).status, 200);
        }
      }
      const report = await admin.client.get(`/v1/orgs/${admin.orgId}/insights`);
      assert.equal(report.body.items.length, 0, 'no active token, so no finding');
      const seen = outboxFiles(server.dataDir);
      assert.equal(await scanInsightDigests(server.deps, Date.now() + 14 * DAY), 0);
      assert.equal(
        await scanInsightDigests(server.deps, Date.now() + 14 * DAY),
        0,
        'and the week stays decided',
      );
      await server.deps.jobs.drain();
      assert.deepEqual(newMails(server.dataDir, seen), []);
    });
  });
}
