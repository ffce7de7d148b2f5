// Single sign-on refusals that need no provider (issue 16); the flows with a real OpenID provider run in
// console/test/sso.e2e.test.ts (sign-in, just-in-time creation, email_verified false, tampered state and
// nonce, linking, requireSso).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { freePort } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const SECRET = 'the-client-secret-never-shown';
const provider = (overrides: Record<string, unknown> = {}) => ({
  id: 'corp',
  name: 'Corp ID',
  issuer: 'https://id.example.com',
  clientId: 'latchkey',
  clientSecret: SECRET,
  ...overrides,
});

const redirectOf = async (url: string, headers: Record<string, string> = {}) => {
  const response = await fetch(url, { redirect: 'manual', headers });
  return { status: response.status, location: response.headers.get('location') ?? '' };
};

describe('single sign-on without a provider at hand', () => {
  let server: TestServer;
  before(async () => {
    // A provider nobody listens for: discovery fails.
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    server = await startServer({
      env: { SSO_PROVIDERS: JSON.stringify({ providers: [provider({ issuer: nowhere })] }) },
    });
  });
  after(() => server?.close());

  test('the sign-in page learns the providers by id and name, never their secrets', async () => {
    const answer = await fetch(`${server.url}/v1/auth/sso/providers`);
    const text = await answer.text();
    assert.deepEqual(JSON.parse(text), { items: [{ id: 'corp', name: 'Corp ID' }] });
    assert.ok(!text.includes(SECRET));
  });

  test('an unknown provider, an unreachable one, and a callback nobody started are refused to the sign-in page', async () => {
    assert.deepEqual(await redirectOf(`${server.url}/v1/auth/sso/nope/start`), {
      status: 302,
      location: '/login?sso_error=UNKNOWN_PROVIDER',
    });
    assert.deepEqual(await redirectOf(`${server.url}/v1/auth/sso/corp/start`), {
      status: 302,
      location: '/login?sso_error=PROVIDER_ERROR',
    });
    assert.deepEqual(await redirectOf(`${server.url}/v1/auth/sso/corp/callback?code=x&state=y`), {
      status: 302,
      location: '/login?sso_error=STATE_MISMATCH',
    });
    // A forged flow cookie cannot be opened: it is sealed with the server secret.
    assert.deepEqual(
      await redirectOf(`${server.url}/v1/auth/sso/corp/callback?code=x&state=y`, {
        cookie: 'lk_sso=v1.AAAA.BBBB.CCCC',
      }),
      { status: 302, location: '/login?sso_error=STATE_MISMATCH' },
    );
  });
});

describe('SSO_PROVIDERS is checked at start', () => {
  const load = (providers: unknown) => () =>
    loadConfig({ SSO_PROVIDERS: JSON.stringify({ providers }), LATCHKEY_DATA_DIR: '/tmp/unused' });

  test('a provider missing a field, with a bad id or a duplicate id stops the start, naming the field', () => {
    assert.throws(load([provider({ clientSecret: undefined })]), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /providers\[0\]\.clientSecret/);
      return true;
    });
    assert.throws(load([provider({ id: 'Bad Id' })]), /providers\[0\]\.id/);
    assert.throws(load([provider(), provider()]), /providers\[1\]\.id must be unique/);
    assert.throws(load([provider({ jitOrgId: 'acme' })]), /jitOrgId/);
    assert.throws(
      () => loadConfig({ SSO_PROVIDERS: '{not json', LATCHKEY_DATA_DIR: '/tmp/unused' }),
      /SSO_PROVIDERS must be JSON/,
    );
  });

  test('an error never repeats the client secret', () => {
    assert.throws(load([provider({ issuer: 'id.example.com' })]), (error: Error) => {
      assert.ok(!error.message.includes(SECRET));
      return true;
    });
  });

  test('a good list parses, with rol_readonly as the default role for people created on first sign-in', () => {
    const config = load([provider({ jitOrgId: 'org_1' })])();
    assert.equal(config.ssoProviders[0]?.jitRoleId, 'rol_readonly');
    assert.equal(config.ssoProviders[0]?.jitOrgId, 'org_1');
  });
});
