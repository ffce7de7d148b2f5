// Single sign-on with OpenID Connect, end to end: a real OpenID provider (the `oidc-provider` package,
// its development sign-in pages) and Latchkey on fresh SQLite, driven through Debian's Chromium. One
// browser, one provider and one server for the file; the tests build on each other.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import Provider from 'oidc-provider';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ApiClient } from '../../test/helpers/client.ts';
import { type AdminSession, PASSWORD, setupAdmin } from '../../test/helpers/factories.ts';
import { freePort } from '../../test/helpers/processes.ts';
import { startServer, type TestServer } from '../../test/helpers/server.ts';
import { newMails, outboxFiles } from '../../test/helpers/workflows.ts';
import { chromiumOrSkip, launch, prepare, screenshots, waitForHeading } from './browser.ts';

/** The provider's people: the login typed on its page is the account id. */
const PEOPLE: Record<string, { email: string; email_verified: boolean; name: string }> = {
  carol: { email: 'carol@example.com', email_verified: true, name: 'Carol Chen' },
  dave: { email: 'dave@example.com', email_verified: false, name: 'Dave Doe' },
  ada: { email: 'admin@example.com', email_verified: true, name: 'Ada Admin' },
};

if (chromiumOrSkip('single sign-on end to end in Chromium')) {
  let server: TestServer;
  let idp: Server;
  let idpUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: AdminSession;
  const problems: string[] = [];

  before(async () => {
    prepare();
    const idpPort = await freePort();
    idpUrl = `http://127.0.0.1:${idpPort}`;
    // The org the provider creates people in is known once the first-run setup made it: set up, then
    // restart on the same data with the provider configured.
    const first = await startServer({ keepData: true });
    admin = await setupAdmin(first.url);
    await first.close();
    server = await startServer({
      dataDir: first.dataDir,
      env: {
        LOGIN_ATTEMPTS_PER_MINUTE: '1000',
        SSO_PROVIDERS: JSON.stringify({
          providers: [
            {
              id: 'test',
              name: 'Test ID',
              issuer: idpUrl,
              clientId: 'latchkey',
              clientSecret: 'a-client-secret-long-enough-for-the-test',
              jitOrgId: admin.orgId,
              jitRoleId: 'rol_readwrite',
            },
          ],
        }),
      },
    });
    admin = { ...admin, client: new ApiClient(server.url) };
    await admin.client.post('/v1/auth/login', { email: admin.email, password: PASSWORD });
    const provider = new Provider(idpUrl, {
      clients: [
        {
          client_id: 'latchkey',
          client_secret: 'a-client-secret-long-enough-for-the-test',
          redirect_uris: [`${server.url}/v1/auth/sso/test/callback`],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      cookies: { keys: ['a cookie key for the test provider'] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      // The scope's claims in the ID token itself, which is what Latchkey reads.
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      findAccount: async (_ctx, sub) => {
        const person = PEOPLE[sub];
        if (!person) return undefined;
        return { accountId: sub, claims: async () => ({ sub, ...person }) };
      },
    });
    idp = provider.listen(idpPort);
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  });

  after(async () => {
    await browser?.close();
    await new Promise((done) => (idp ? idp.close(done) : done(undefined)));
    await server?.close();
    assert.deepEqual(problems, [], 'no page errors');
  });

  /** On the provider's pages: sign in as `login` and consent, until the browser is back at Latchkey. */
  async function throughProvider(login: string) {
    for (let i = 0; i < 6 && page.url().startsWith(idpUrl); i++) {
      const field = page.locator('input[name="login"]');
      if (await field.isVisible()) {
        await field.fill(login);
        await page.locator('input[name="password"]').fill('any password');
        await page.getByRole('button', { name: 'Sign-in' }).click();
      } else {
        await page.getByRole('button', { name: 'Continue' }).click();
      }
      await page.waitForLoadState();
    }
    await page.waitForURL((url) => url.href.startsWith(server.url));
  }

  async function continueWith(login: string) {
    await context.clearCookies();
    await page.goto(`${server.url}/login`);
    await page.getByRole('link', { name: 'Continue with Test ID' }).click();
    await page.waitForURL((url) => url.href.startsWith(idpUrl));
    await throughProvider(login);
  }

  test('"Continue with …" creates a person just in time in the configured org with the configured role', async () => {
    await page.goto(`${server.url}/login`);
    await page.getByRole('link', { name: 'Continue with Test ID' }).waitFor();
    await screenshots(page, 'sso-sign-in', { checkOverflow: true });
    await continueWith('carol');
    await waitForHeading(page, 'Tokens');
    const members = await admin.client.get(`/v1/orgs/${admin.orgId}/members?limit=100`);
    const carol = members.body.items.find((m: { email: string }) => m.email === 'carol@example.com');
    assert.ok(carol, JSON.stringify(members.body));
    assert.equal(carol.roleId, 'rol_readwrite');
    assert.equal(carol.name, 'Carol Chen');
    const audit = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?limit=100`);
    assert.ok(audit.body.items.some((e: { action: string }) => e.action === 'user.sso_linked'));
    // Signing in again reuses the linked identity: no second account.
    await continueWith('carol');
    await waitForHeading(page, 'Tokens');
    const again = await admin.client.get(`/v1/orgs/${admin.orgId}/members?limit=100`);
    assert.equal(
      again.body.items.filter((m: { email: string }) => m.email === 'carol@example.com').length,
      1,
    );
  });

  test('an identity whose address the provider did not verify is refused', async () => {
    await continueWith('dave');
    await page.waitForURL(/\/login\?sso_error=EMAIL_UNVERIFIED/);
    await page.getByText('has not verified your e-mail address').waitFor();
    const members = await admin.client.get(`/v1/orgs/${admin.orgId}/members?limit=100`);
    assert.ok(!members.body.items.some((m: { email: string }) => m.email === 'dave@example.com'));
  });

  test('a tampered state is refused', async () => {
    await page.goto(`${server.url}/v1/auth/sso/test/callback?code=forged&state=forged`);
    await page.waitForURL(/\/login\?sso_error=STATE_MISMATCH/);
    await page.getByText('This sign-in was not started here').waitFor();
  });

  test('a tampered nonce is refused: the ID token does not answer this sign-in', async () => {
    await context.clearCookies();
    const start = await context.request.get(`${server.url}/v1/auth/sso/test/start`, { maxRedirects: 0 });
    assert.equal(start.status(), 302);
    const authorize = new URL(start.headers().location ?? '');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(authorize.searchParams.get('state'));
    authorize.searchParams.set('nonce', 'a-nonce-the-attacker-chose');
    await page.goto(authorize.href);
    await throughProvider('carol');
    await page.waitForURL(/\/login\?sso_error=PROVIDER_ERROR/);
    assert.equal((await new ApiClient(server.url).get('/v1/auth/session')).status, 401);
  });

  test('an existing account is linked by a verified address, once its address is confirmed here', async () => {
    // The setup admin never confirmed admin@example.com: the provider's word does not take it over.
    await continueWith('ada');
    await page.waitForURL(/\/login\?sso_error=ADDRESS_UNCONFIRMED/);
    const before = outboxFiles(server.dataDir);
    await admin.client.post('/v1/auth/email-verification');
    await server.deps.jobs.drain();
    const mail = newMails(server.dataDir, before).find((m) => m.to === admin.email);
    const token = /\/verify-email#token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];
    assert.ok(token);
    assert.equal((await new ApiClient(server.url).post('/v1/auth/verify-email', { token })).status, 200);
    await continueWith('ada');
    await waitForHeading(page, 'Tokens');
    const session = await page.evaluate(async () => (await fetch('/v1/auth/session')).json());
    assert.equal(session.user.email, 'admin@example.com');
    assert.ok(
      session.orgs.some((o: { roleId: string }) => o.roleId === 'rol_admin'),
      'the same account',
    );
  });

  test('an org requiring SSO refuses password sessions; SSO sessions work', async () => {
    // Only someone signed in by SSO may require it (the browser is Ada's SSO session).
    const refused = await admin.client.patch(`/v1/orgs/${admin.orgId}`, { policy: { requireSso: true } });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    const status = await page.evaluate(async (orgId) => {
      const session = await (await fetch('/v1/auth/session')).json();
      const answer = await fetch(`/v1/orgs/${orgId}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ policy: { requireSso: true } }),
      });
      return answer.status;
    }, admin.orgId);
    assert.equal(status, 200);
    const byPassword = await admin.client.get(`/v1/orgs/${admin.orgId}/tokens`);
    assert.equal(byPassword.status, 403);
    assert.equal(byPassword.body.error.details.reason, 'SSO_REQUIRED');
    await page.reload();
    await waitForHeading(page, 'Tokens');
  });
}
