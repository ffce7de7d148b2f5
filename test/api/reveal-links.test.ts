// One-time reveal links (issue 17): the server keeps only the value's ciphertext, under a key that lives only in
// the link's fragment; the first opener sees the value once and the ciphertext is deleted with it; an opened or
// expired link says so; a wrong key finds nothing and changes nothing; the creator sees whether and when.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiClient } from '../helpers/client.ts';
import { testDialects } from '../helpers/dialects.ts';
import { type AdminSession, createToken, setupAdmin, verify } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError } from '../helpers/workflows.ts';

const keyOf = (url: string) => new URL(url).hash.slice(1);

for (const dialect of await testDialects()) {
  describe(`one-time reveal links (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    let stranger: ApiClient;

    before(async () => {
      server = await startServer({ dialect: dialect.name, env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
      admin = await setupAdmin(server.url);
      stranger = new ApiClient(server.url);
    });
    after(() => server?.close());

    test('a link made at creation opens once, for anyone, and then says when it was opened', async () => {
      const created = await createToken(admin, { deliver: { link: { ttl: '15m' } } });
      const answer = await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${created.id}/links`);
      assert.equal(answer.body.items.length, 1);
      assert.equal(answer.body.items[0].status, 'pending');

      const issued = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
        name: 'for a colleague',
        access: 'granular',
        permissions: ['blocks:read'],
        deliver: { link: { ttl: '15m' } },
      });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      const link = issued.body.link;
      assert.match(link.url, /\/reveal#[A-Za-z0-9_-]{43}$/);
      assert.ok(Date.parse(link.expiresAt) - Date.now() > 14 * 60_000);

      const first = await stranger.post('/v1/reveal', { key: keyOf(link.url) });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.status, 'revealed');
      assert.equal(first.body.token, issued.body.token);
      assert.equal(first.body.clientId, issued.body.clientId);
      assert.equal((await verify(server.url, { token: first.body.token })).body.valid, true);

      const second = await stranger.post('/v1/reveal', { key: keyOf(link.url) });
      assert.equal(second.status, 200);
      assert.equal(second.body.status, 'opened');
      assert.equal(second.body.token, undefined);

      const seen = await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${issued.body.clientId}/links`);
      assert.equal(seen.status, 200);
      assert.equal(seen.body.items[0].status, 'opened');
      assert.equal(seen.body.items[0].openedAt, second.body.openedAt);
      assert.equal(seen.body.items[0].openedIp, '127.0.0.1');
      const audit = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?tokenId=${issued.body.clientId}`);
      const actions = audit.body.items.map((e: { action: string }) => e.action);
      assert.ok(
        actions.includes('token.link_created') && actions.includes('token.link_opened'),
        actions.join(),
      );
    });

    test('two openers at once: exactly one sees the value', async () => {
      const issued = await createToken(admin, { deliver: { link: {} } });
      const info = await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${issued.id}/links`);
      assert.equal(info.body.items.length, 1);
      const rotated = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens/${issued.id}/rotate`, {
        deliver: { link: { ttl: 600 } },
      });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      const key = keyOf(rotated.body.link.url);
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => stranger.post('/v1/reveal', { key })),
      );
      const revealed = answers.filter((a) => a.body.status === 'revealed');
      assert.equal(revealed.length, 1, JSON.stringify(answers.map((a) => a.body.status)));
      assert.equal(revealed[0]?.body.token, rotated.body.token);
      assert.ok(answers.every((a) => a.status === 200));
    });

    test('an expired link says it expired and keeps no ciphertext', async () => {
      const issued = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
        name: 'expiring link',
        access: 'granular',
        permissions: ['blocks:read'],
        deliver: { link: { ttl: '1m' } },
      });
      const linkId = issued.body.link.id;
      await server.deps.db
        .updateTable('revealLinks')
        .set({ expiresAt: Date.now() - 1 })
        .where('id', '=', linkId)
        .execute();
      const opened = await stranger.post('/v1/reveal', { key: keyOf(issued.body.link.url) });
      assert.equal(opened.status, 200);
      assert.equal(opened.body.status, 'expired');
      assert.equal(opened.body.token, undefined);
      const row = await server.deps.db
        .selectFrom('revealLinks')
        .selectAll()
        .where('id', '=', linkId)
        .executeTakeFirst();
      assert.equal(row?.ciphertext, null);
      const seen = await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${issued.body.clientId}/links`);
      assert.equal(seen.body.items[0].status, 'expired');
    });

    test('a wrong key finds nothing and leaves the link openable; an opened link leaves nothing decryptable', async () => {
      const issued = await createToken(admin, { deliver: { link: { ttl: '5m' } } });
      const [row] = await server.deps.db
        .selectFrom('revealLinks')
        .selectAll()
        .where('tokenId', '=', issued.id)
        .execute();
      assert.ok(row?.ciphertext, 'a pending link has its ciphertext');
      assert.ok(!row.ciphertext.includes(issued.token));
      const wrong = Buffer.alloc(32, 7).toString('base64url');
      assertError(await stranger.post('/v1/reveal', { key: wrong }), 404, 'NOT_FOUND');
      assertError(await stranger.post('/v1/reveal', { key: 'not-a-key' }), 400, 'VALIDATION_FAILED');
      const still = await server.deps.db
        .selectFrom('revealLinks')
        .selectAll()
        .where('id', '=', row.id)
        .executeTakeFirst();
      assert.equal(still?.ciphertext, row.ciphertext);
      assert.equal(still?.openedAt, null);

      // The link made at creation is the only one; make another for the held value and open it.
      const made = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens/${issued.id}/links`, {
        token: issued.token,
        ttl: '10m',
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assert.equal(
        (await stranger.post('/v1/reveal', { key: keyOf(made.body.url) })).body.token,
        issued.token,
      );
      const rows = await server.deps.db
        .selectFrom('revealLinks')
        .selectAll()
        .where('tokenId', '=', issued.id)
        .execute();
      const opened = rows.find((r) => r.id === made.body.id);
      assert.equal(opened?.ciphertext, null, 'the ciphertext is deleted when the link is opened');
      assert.ok(opened?.openedAt);
    });

    test('bad input names the field; a value of another token cannot be linked', async () => {
      const tooLong = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
        name: 'bad ttl',
        access: 'granular',
        permissions: ['blocks:read'],
        deliver: { link: { ttl: '30d' } },
      });
      assertError(tooLong, 400, 'VALIDATION_FAILED');
      assert.equal(tooLong.body.error.details.field, 'deliver.link.ttl');
      const list = await admin.client.get(`/v1/orgs/${admin.orgId}/tokens?q=bad%20ttl`);
      assert.equal(list.body.items.length, 0, 'no token is created when the link is refused');

      const one = await createToken(admin);
      const other = await createToken(admin);
      const refused = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens/${one.id}/links`, {
        token: other.token,
      });
      assertError(refused, 400, 'VALIDATION_FAILED');
      assert.equal(refused.body.error.details.field, 'token');
      const anonymous = await stranger.post(`/v1/orgs/${admin.orgId}/tokens/${one.id}/links`, {
        token: one.token,
      });
      assertError(anonymous, 401, 'UNAUTHENTICATED');
    });
  });
}
