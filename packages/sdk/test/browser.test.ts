// `@latchkey/sdk/browser`: the client and the rules bundle for the browser with no Node built-in, and the
// bundled client, run with a page's globals only, signs in and makes CSRF-checked calls with the
// browser's session cookie (`credentials`), never touching the cookie itself.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import type * as Browser from '../src/browser.ts';
import { bundleForBrowser } from './helpers/browser-bundle.ts';
import { ADMIN, type LatchkeyFixture, startLatchkey } from './helpers/latchkey.ts';

const source = (file: string) => fileURLToPath(new URL(`../src/${file}`, import.meta.url));

/**
 * A browser's `fetch` for a page at `origin`: it keeps the cookie jar (Set-Cookie is never shown to
 * the page), sends the cookies when asked (`credentials`), adds `Origin` to unsafe requests, and
 * refuses the headers a page may not set.
 */
function browserFetch(origin: string, jar: Map<string, string>, seen: RequestInit[]): typeof fetch {
  return async (input, init = {}) => {
    seen.push(init);
    const headers = new Headers(init.headers);
    for (const forbidden of ['cookie', 'origin'])
      assert.equal(headers.has(forbidden), false, `a page cannot set ${forbidden}`);
    const url = new URL(String(input));
    if (init.credentials !== 'omit' && url.origin === origin && jar.size > 0)
      headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    if (init.method && init.method !== 'GET') headers.set('origin', origin);
    const response = await fetch(url, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';', 1);
      const [name = '', value = ''] = pair.split('=', 2);
      if (value === '' || /max-age=0\b|expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };
}

describe('@latchkey/sdk/browser', () => {
  test('bundles for the browser without a Node built-in; the Node entry does not', async () => {
    const bundle = await bundleForBrowser(source('browser.ts'));
    assert.match(bundle, /\bLatchkeyClient = class\b/);
    assert.doesNotMatch(bundle, /VerifyCache|createHash|createHmac/);
    // The check bites: the Node entry holds the cache and the webhook check (node:crypto).
    await assert.rejects(bundleForBrowser(source('index.ts')), /node:crypto \(imported by .*cache\.ts\)/);
  });

  describe('the bundled client with a page’s globals, against a real server', () => {
    let lk: LatchkeyFixture;
    let sdk: typeof Browser;
    before(async () => {
      lk = await startLatchkey();
      const bundle = await bundleForBrowser(source('browser.ts'), { format: 'iife', globalName: 'sdk' });
      const jar = new Map<string, string>();
      const page = {
        fetch: browserFetch(lk.url, jar, []),
        URL,
        URLSearchParams,
        Headers,
        AbortController,
        AbortSignal,
        TextDecoderStream,
        TextEncoder,
        TextDecoder,
        setTimeout,
        clearTimeout,
      };
      sdk = runInNewContext(`${bundle}; sdk`, page) as typeof Browser;
    });
    after(() => lk.close());

    test('signs in, makes CSRF-checked calls with the browser’s cookie, and signs out', async () => {
      const client = new sdk.LatchkeyClient({ baseUrl: lk.url, credentials: 'same-origin' });
      assert.equal((await client.auth.setupStatus()).needed, false);
      await assert.rejects(
        client.auth.session(),
        (error) => sdk.isLatchkeyError(error) && error.status === 401,
      );
      const signedIn = await client.auth.login({ email: ADMIN.email, password: ADMIN.password });
      assert.ok(!sdk.isTwoFactorChallenge(signedIn));
      assert.equal(client.sessionCookie(), undefined, 'the browser keeps the cookie, not the client');
      const created = await client.tokens.create(lk.org, { name: 'from-a-page', access: 'full' });
      assert.equal(sdk.isWellFormedToken(created.token), true);
      assert.equal(created.tokenInfo.hint, sdk.tokenHint(created.token));

      // A reloaded page: a new client learns the CSRF token by itself before its first unsafe call.
      const reloaded = new sdk.LatchkeyClient({ baseUrl: lk.url, credentials: 'same-origin' });
      const revoked = await reloaded.tokens.revoke(lk.org, created.clientId, { reason: 'done' });
      assert.equal(revoked.status, 'revoked');

      await reloaded.auth.logout();
      await assert.rejects(
        client.tokens.list(lk.org),
        (error) => sdk.isLatchkeyError(error) && error.code === 'UNAUTHENTICATED',
      );
    });

    test('without the CSRF token the server refuses the cookie; the client always sends it', async () => {
      const seen: RequestInit[] = [];
      const jar = new Map<string, string>();
      const client = new sdk.LatchkeyClient({
        baseUrl: lk.url,
        credentials: 'same-origin',
        fetch: browserFetch(lk.url, jar, seen),
      });
      await client.auth.login({ email: ADMIN.email, password: ADMIN.password });
      await client.resources.create(lk.org, { type: 'shard', name: 'from-a-page' });
      const unsafe = seen.filter((init) => init.method === 'POST');
      assert.ok(unsafe.every((init) => init.credentials === 'same-origin'));
      assert.ok(new Headers(unsafe.at(-1)?.headers).get('x-csrf-token'));
      // The same cookie without the header: refused, so the header above is what let the call through.
      const bare = await browserFetch(
        lk.url,
        jar,
        [],
      )(`${lk.url}/v1/orgs/${lk.org}/resources`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'shard', name: 'no-csrf' }),
      });
      assert.equal(bare.status, 403);
    });
  });
});
