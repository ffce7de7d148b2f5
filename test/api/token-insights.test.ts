// Issue 15, server side of the console's token page: validation errors people can read, where a mail went,
// verifications per day, finding a token by name or by value.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../helpers/dialects.ts';
import {
  type AdminSession,
  addMember,
  createToken,
  setupAdmin,
  unique,
  verify,
} from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

interface Fields {
  fields: { field: string; message: string }[];
}

for (const dialect of await testDialects()) {
  describe(`token insights (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    let base: string;

    before(async () => {
      server = await startServer({ dialect: dialect.name });
      admin = await setupAdmin(server.url);
      base = `/v1/orgs/${admin.orgId}/tokens`;
    });
    after(() => server.close());

    test('a 400 names each field in details.fields with a capitalised human sentence', async () => {
      const policy = await admin.client.patch(`/v1/orgs/${admin.orgId}`, { policy: { maxTtlDays: 40000 } });
      assert.equal(policy.status, 400);
      assert.equal(policy.body.error.code, 'VALIDATION_FAILED');
      assert.deepEqual((policy.body.error.details as Fields).fields, [
        { field: 'policy.maxTtlDays', message: 'Max TTL days must be at most 36500.' },
      ]);
      assert.equal(policy.body.error.message, 'Max TTL days must be at most 36500.');

      const empty = await admin.client.post(base, { name: '', access: 'full' });
      assert.deepEqual((empty.body.error.details as Fields).fields, [
        { field: 'name', message: 'Name must not be empty.' },
      ]);
      const long = await admin.client.post(base, { name: 'x'.repeat(101), access: 'full' });
      assert.equal(long.body.error.message, 'Name must be at most 100 characters long.');
      const missing = await admin.client.post(base, { access: 'full' });
      assert.deepEqual((missing.body.error.details as Fields).fields, [
        { field: 'name', message: 'Name is required.' },
      ]);
      const ips = await admin.client.post(base, { name: 'n', access: 'full', allowedIps: 'not-a-list' });
      assert.equal((ips.body.error.details as Fields).fields[0]?.field, 'allowedIps');
      assert.match(ips.body.error.message, /^Allowed IPs must be/);
      const badId = await admin.client.get(`${base}/nope`);
      assert.deepEqual((badId.body.error.details as Fields).fields, [
        { field: 'tok', message: 'Token ID must start with tok_.' },
      ]);
      for (const answer of [policy, empty, long, missing, ips, badId]) {
        const text = JSON.stringify(answer.body);
        assert.doesNotMatch(text, /body\.|must NOT|must have required|must match pattern/, text);
      }
      // A service's own refusal starts with a capital letter too.
      const tooLong = await admin.client.post(base, { name: unique('t'), access: 'full', expiresIn: '400d' });
      assert.match(tooLong.body.error.message, /^[A-Z]/);
    });

    test('where a mail went: without SMTP the answers say outbox, never sent', async () => {
      const created = await admin.client.post(base, {
        name: unique('mailed'),
        access: 'full',
        expiresIn: '1d',
        deliver: { email: true },
      });
      assert.equal(created.status, 201);
      assert.deepEqual(created.body.delivery, { email: 'outbox' });
      const again = await admin.client.post(`${base}/${created.body.clientId}/deliver`, {
        token: created.body.token,
      });
      assert.deepEqual(again.body, { delivery: { email: 'outbox' } });
      const invite = await admin.client.post(`/v1/orgs/${admin.orgId}/members`, {
        email: `${unique('new')}@example.com`,
        roleId: 'rol_readonly',
      });
      assert.equal(invite.status, 201);
      assert.deepEqual(invite.body.delivery, { email: 'outbox' });
    });

    test('verifications per day: valid and refused counted by the batched flush, every day listed', async () => {
      const { token, id } = await createToken(admin, { permissions: ['blocks:read'] });
      for (let i = 0; i < 3; i++) assert.equal((await verify(server.url, { token })).body.valid, true);
      const refused = await verify(server.url, { token, permission: 'accounts:write' });
      assert.equal(refused.body.code, 'FORBIDDEN');
      const usage = await admin.client.get(`${base}/${id}/usage?days=30`);
      assert.equal(usage.status, 200);
      assert.equal(usage.body.days.length, 30);
      const today = new Date().toISOString().slice(0, 10);
      assert.deepEqual(usage.body.days.at(-1), { date: today, valid: 3, refused: 1 });
      assert.deepEqual(usage.body.totals, { valid: 3, refused: 1 });
      assert.equal(usage.body.days[0].valid, 0);
      // Counts add up across flushes (an upsert, not a second row).
      await verify(server.url, { token });
      const later = await admin.client.get(`${base}/${id}/usage?days=90`);
      assert.equal(later.body.days.length, 90);
      assert.deepEqual(later.body.totals, { valid: 4, refused: 1 });
      assert.equal((await admin.client.get(`${base}/${id}/usage?days=91`)).status, 400);
    });

    test('the list filters by part of the name or hint, or the id', async () => {
      const a = await createToken(admin, { name: unique('Indexer-Mainnet') });
      const b = await createToken(admin, { name: unique('deploy') });
      const ids = async (q: string) =>
        (
          (await admin.client.get(`${base}?owner=me&q=${encodeURIComponent(q)}`)).body.items as {
            id: string;
          }[]
        ).map((t) => t.id);
      assert.deepEqual(await ids('indexer-main'), [a.id]);
      assert.deepEqual(await ids(b.id), [b.id]);
      assert.deepEqual(await ids(b.token.slice(-4)), [b.id]);
      assert.deepEqual(await ids(`lk_...${a.token.slice(-4)}`), [a.id]);
      assert.deepEqual(await ids('100%_'), []);
    });

    test('paste a value: the token it belongs to, for callers who may see it; the value is never logged', async () => {
      const mine = await createToken(admin);
      const found = await admin.client.post(`${base}/lookup`, { value: mine.token });
      assert.equal(found.status, 200);
      assert.equal(found.body.token.id, mine.id);
      assert.equal(found.body.match, 'current');
      // An old value in its grace is found as "previous", with the time it stops.
      const rotated = await admin.client.post(`${base}/${mine.id}/rotate`, { gracePeriod: '1h' });
      assert.equal(rotated.status, 200);
      const old = await admin.client.post(`${base}/lookup`, { value: mine.token });
      assert.equal(old.body.match, 'previous');
      assert.ok(Date.parse(old.body.valueExpiresAt) > Date.now());

      // A member without tokens:read may not learn about the admin's token.
      const member = await addMember(admin, 'rol_readonly');
      const hidden = await member.client.post(`${base}/lookup`, { value: rotated.body.token });
      assert.equal(hidden.status, 404);
      const unknown = await member.client.post(`${base}/lookup`, { value: `lk_${'A'.repeat(36)}` });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.details.fields[0].field, 'value');
      assert.ok(!server.logs.join('\n').includes(mine.token), 'the value is not in the logs');
      assert.ok(!server.logs.join('\n').includes(rotated.body.token), 'the value is not in the logs');
    });
  });
}

describe('token lookup is throttled like verify', () => {
  let server: TestServer;
  let admin: AdminSession;
  before(async () => {
    server = await startServer({ env: { VERIFY_FAILURE_LIMIT: '3' } });
    admin = await setupAdmin(server.url);
  });
  after(() => server.close());

  test('unknown values are 404 and count as failed verifications from the address; then 429', async () => {
    const known = await createToken(admin);
    const base = `/v1/orgs/${admin.orgId}/tokens/lookup`;
    // A well-formed value nobody owns: take a real one's shape from another server's point of view.
    const other = await startServer();
    try {
      const stranger = await createToken(await setupAdmin(other.url));
      for (let i = 0; i < 3; i++) {
        const answer = await admin.client.post(base, { value: stranger.token });
        assert.equal(answer.status, 404, JSON.stringify(answer.body));
      }
    } finally {
      await other.close();
    }
    const throttled = await admin.client.post(base, { value: known.token });
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers.get('retry-after')) > 0);
    // The same address is throttled on /v1/verify too: one counter.
    assert.equal((await verify(server.url, { token: known.token })).status, 429);
  });
});
