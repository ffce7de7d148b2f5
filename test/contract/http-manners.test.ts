// HTTP manners (issue 14): what clients and their libraries expect of an API besides its bodies.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AdminSession, createToken, setupAdmin } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('HTTP manners', () => {
  let server: TestServer;
  let admin: AdminSession;
  before(async () => {
    server = await startServer();
    admin = await setupAdmin(server.url);
  });
  after(() => server.close());

  test('a 401 of the API says how to authenticate: WWW-Authenticate: Bearer', async () => {
    for (const headers of [{}, { authorization: 'Bearer lk_not-a-token' }] as Record<string, string>[]) {
      const answer = await fetch(`${server.url}/v1/orgs`, { headers });
      assert.equal(answer.status, 401);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="latchkey"');
    }
  });

  test('another method on a known path is 405 with Allow, an unknown path still 404', async () => {
    const put = await fetch(`${server.url}/v1/orgs/${admin.orgId}/tokens`, { method: 'PUT' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, HEAD, POST');
    const body = (await put.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'METHOD_NOT_ALLOWED');
    const putVerify = await fetch(`${server.url}/v1/verify`, { method: 'PUT' });
    assert.equal(putVerify.status, 405);
    assert.equal(putVerify.headers.get('allow'), 'GET, HEAD, POST');
    const unknown = await fetch(`${server.url}/v1/no-such-thing`, { method: 'PUT' });
    assert.equal(unknown.status, 404);
  });

  test('a body that is not JSON is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const answer = await fetch(`${server.url}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'lk_abc',
    });
    assert.equal(answer.status, 415);
    assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('a 201 says where the created object lives', async () => {
    const created = await admin.client.post(`/v1/orgs/${admin.orgId}/resources`, {
      type: 'shard',
      name: 'testnet-1',
    });
    assert.equal(created.status, 201);
    const location = created.headers.get('location');
    assert.equal(location, `/v1/orgs/${admin.orgId}/resources/${created.body.id}`);
    const read = await admin.client.get(location ?? '');
    assert.equal(read.status, 200);
    assert.equal(read.body.id, created.body.id);

    const token = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
      name: 'located',
      access: 'full',
    });
    assert.equal(token.headers.get('location'), `/v1/orgs/${admin.orgId}/tokens/${token.body.clientId}`);
  });

  test('a single object carries an ETag; If-None-Match with it is 304 without a body; a change makes a new one', async () => {
    const { id: clientId } = await createToken(admin, { name: 'etagged' });
    const path = `/v1/orgs/${admin.orgId}/tokens/${clientId}`;
    const first = await admin.client.get(path);
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^W\/".+"$/);
    const again = await admin.client.request('GET', path, undefined, { 'if-none-match': etag ?? '' });
    assert.equal(again.status, 304);
    await admin.client.patch(path, { description: 'changed' });
    const changed = await admin.client.request('GET', path, undefined, { 'if-none-match': etag ?? '' });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), etag);
  });

  test('answers that must not be cached (the session) carry no ETag', async () => {
    const session = await admin.client.get('/v1/auth/session');
    assert.equal(session.status, 200);
    assert.equal(session.headers.get('etag'), null);
  });

  test('a malformed cursor is 400 naming the field; an unknown query parameter is ignored', async () => {
    const bad = await admin.client.get(
      `/v1/orgs/${admin.orgId}/tokens?cursor=${encodeURIComponent("' or 1=1")}`,
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details.fields[0].field, 'cursor');
    const extra = await admin.client.get(`/v1/orgs/${admin.orgId}/tokens?utm_source=mail&limit=5`);
    assert.equal(extra.status, 200);
    assert.ok(Array.isArray(extra.body.items));
  });
});
