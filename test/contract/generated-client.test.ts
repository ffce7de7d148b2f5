// A client generated from the OpenAPI document (openapi-typescript types, openapi-fetch calls) works
// against a real server: the session answer is typed (its CSRF token is read without a cast), and a token
// is created and listed (issue 14).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import createClient from 'openapi-fetch';
import { PASSWORD } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import type { components, paths } from './generated/latchkey-api.d.ts';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('a generated client signs in, creates a token and lists it', async () => {
  const client = createClient<paths>({ baseUrl: server.url });
  const setup = await client.POST('/v1/setup', {
    body: { email: 'owner@example.com', password: PASSWORD, name: 'Owner', orgName: 'Acme' },
  });
  assert.equal(setup.response.status, 201);

  const login = await client.POST('/v1/auth/login', {
    body: { email: 'owner@example.com', password: PASSWORD },
  });
  assert.ok(login.data, `login: ${JSON.stringify(login.error)}`);
  // The answer is the session, or a second step's challenge when two-factor sign-in is on.
  assert.ok(!('twoFactorRequired' in login.data));
  const session: components['schemas']['Session'] = login.data;
  const cookie = (login.response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const csrf = session.csrfToken;
  assert.ok(csrf);
  const org = session.orgs[0];
  assert.ok(org);
  client.use({
    onRequest({ request }) {
      request.headers.set('cookie', cookie);
      request.headers.set('x-csrf-token', csrf);
      return request;
    },
  });

  const created = await client.POST('/v1/orgs/{org}/tokens', {
    params: { path: { org: org.id } },
    body: { name: 'ci deploy', access: 'granular', permissions: ['blocks:read'], expiresIn: '1d' },
  });
  assert.ok(created.data, `create: ${JSON.stringify(created.error)}`);
  assert.equal(created.response.status, 201);
  assert.match(created.data.token, /^lk_/);
  const info: components['schemas']['TokenInfo'] = created.data.tokenInfo;
  assert.equal(info.name, 'ci deploy');

  // limit is optional: the list is read without it.
  const list = await client.GET('/v1/orgs/{org}/tokens', { params: { path: { org: org.id } } });
  assert.ok(list.data, `list: ${JSON.stringify(list.error)}`);
  assert.deepEqual(
    list.data.items.map((token) => token.id),
    [info.id],
  );

  const refused = await client.GET('/v1/orgs/{org}/tokens/{tok}', {
    params: { path: { org: org.id, tok: 'tok_unknown' } },
  });
  assert.equal(refused.response.status, 404);
  assert.equal(refused.error?.error.code, 'NOT_FOUND');
});
