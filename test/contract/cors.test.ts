// CORS (issue 14): off by default; CORS_ORIGINS names the web origins whose pages may call the API and
// /v1/verify with a token, never with the console's cookie (credentials only for the console's own origin).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../server/config.ts';
import { createToken, setupAdmin } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const APP = 'https://app.example.com';
const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });

describe('CORS off by default', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('no origin is allowed and no preflight is answered', async () => {
    const answer = await fetch(`${server.url}/v1/permissions`, { headers: { origin: APP } });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
    const options = await preflight(`${server.url}/v1/verify`, APP);
    assert.notEqual(options.status, 204);
    assert.equal(options.headers.get('access-control-allow-origin'), null);
  });
});

describe('CORS_ORIGINS', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { CORS_ORIGINS: `${APP}, https://other.example.org` } });
  });
  after(() => server.close());

  test('a named origin gets its preflight answered and may call verify and the API with a token, without credentials', async () => {
    const options = await preflight(`${server.url}/v1/verify`, APP);
    assert.equal(options.status, 204);
    assert.equal(options.headers.get('access-control-allow-origin'), APP);
    assert.match(options.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(options.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.equal(options.headers.get('access-control-allow-credentials'), null);

    const admin = await setupAdmin(server.url);
    const { token } = await createToken(admin, { permissions: ['blocks:read'] });
    const verify = await fetch(`${server.url}/v1/verify`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json' },
      body: JSON.stringify({ token, permission: 'blocks:read' }),
    });
    assert.equal(verify.status, 200);
    assert.equal(verify.headers.get('access-control-allow-origin'), APP);
    assert.equal(verify.headers.get('access-control-allow-credentials'), null);

    const api = await fetch(`${server.url}/v1/orgs`, {
      headers: { origin: APP, authorization: `Bearer ${token}` },
    });
    assert.equal(api.headers.get('access-control-allow-origin'), APP);
    assert.match(api.headers.get('vary') ?? '', /Origin/);
  });

  test('an origin not named gets nothing', async () => {
    const options = await preflight(`${server.url}/v1/verify`, 'https://evil.example.net');
    assert.equal(options.headers.get('access-control-allow-origin'), null);
    const answer = await fetch(`${server.url}/v1/permissions`, {
      headers: { origin: 'https://evil.example.net' },
    });
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
  });

  test("only the console's own origin is allowed credentials", async () => {
    const own = new URL(server.deps.config.publicUrl).origin;
    const answer = await fetch(`${server.url}/v1/permissions`, { headers: { origin: own } });
    assert.equal(answer.headers.get('access-control-allow-origin'), own);
    assert.equal(answer.headers.get('access-control-allow-credentials'), 'true');
  });

  test('a malformed origin in CORS_ORIGINS stops the start with a message naming it', () => {
    for (const bad of ['*', 'app.example.com', 'https://app.example.com/path', 'ftp://x.example']) {
      assert.throws(() => loadConfig({ CORS_ORIGINS: bad }), /CORS_ORIGINS must list origins/);
    }
  });
});
