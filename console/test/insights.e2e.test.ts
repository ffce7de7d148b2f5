// Issue 17 in the browser: the token page says what a token used and narrows it on request, warns when an old
// value is presented after a rotation ended, lists one-time links; the insights view lists what to clean up.
// One browser and one server; the tests run in order and build on each other.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { TestServer } from '../../test/helpers/server.ts';
import {
  chromiumOrSkip,
  navigate,
  type SignedInConsole,
  screenshots,
  startSignedInConsole,
  waitForHeading,
} from './browser.ts';

if (chromiumOrSkip('token insights in Chromium')) {
  let lk: SignedInConsole;
  let server: TestServer;
  let page: Page;
  let orgId = '';
  const problems: string[] = [];
  const admin = { name: 'Ines Admin', email: 'ines@example.com', password: 'correct horse battery' };

  const api = <T = unknown>(method: string, path: string, body?: unknown) => lk.api<T>(method, path, body);
  const verify = (body: Record<string, unknown>) => lk.verify(body);
  let broad = { token: '', clientId: '' };

  before(async () => {
    // The test names end clients with verify's `ip`, as a trusted proxy may.
    lk = await startSignedInConsole(admin, problems, { env: { VERIFY_TRUSTED_PROXIES: '127.0.0.1' } });
    ({ server, page, orgId } = lk);
  });

  after(async () => {
    await lk?.close();
    assert.deepEqual(problems, [], 'no page errors or console errors');
  });

  test('the token page says what the token used, and "Narrow to what is used" narrows it', async () => {
    broad = await api('POST', `/v1/orgs/${orgId}/tokens`, {
      name: 'broad',
      access: 'granular',
      permissions: ['blocks:read', 'chunks:read', 'accounts:read'],
    });
    for (let i = 0; i < 3; i++) {
      assert.equal((await verify({ token: broad.token, permission: 'blocks:read' })).valid, true);
    }
    await server.deps.usage.flush();
    await page.goto(`${server.url}/orgs/${orgId}/tokens/${broad.clientId}`);
    await waitForHeading(page, 'broad');
    const summary = page.locator('#use-summary');
    await summary.waitFor();
    assert.match((await summary.textContent()) ?? '', /^Used 1 of 3 permissions in the last 90 days\.$/);
    await page.getByRole('button', { name: 'Narrow to what is used' }).click();
    const confirm = page.getByRole('dialog', { name: 'Narrow “broad”?' });
    await confirm.getByText('blocks:read').waitFor();
    await screenshots(page, 'narrow-confirm');
    await confirm.getByRole('button', { name: 'Narrow token' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Narrow to what is used' }).waitFor({ state: 'detached' });
    await page.locator('#use-summary', { hasText: 'Used 1 of 1 permission in the last 90 days' }).waitFor();
    const token = await api<{ permissions: string[] }>('GET', `/v1/orgs/${orgId}/tokens/${broad.clientId}`);
    assert.deepEqual(token.permissions, ['blocks:read']);
    assert.equal((await verify({ token: broad.token, permission: 'chunks:read' })).code, 'FORBIDDEN');
  });

  test('an old value presented after a rotation "until used" ended is shown on the token page', async () => {
    const rotated = await api<{ token: string }>(
      'POST',
      `/v1/orgs/${orgId}/tokens/${broad.clientId}/rotate`,
      {
        gracePeriod: 'until-used',
        deliver: { link: { ttl: '1h' } },
      },
    );
    assert.equal((await verify({ token: rotated.token })).valid, true);
    assert.equal((await verify({ token: broad.token, ip: '198.51.100.23' })).code, 'NOT_FOUND');
    await page.reload();
    const alert = page.locator('#old-value-reused');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /198\.51\.100\.23/);
    await page.getByRole('heading', { name: 'One-time links' }).waitFor();
    await page.getByText(/Not opened yet; works until/).waitFor();
    await screenshots(page, 'token-hygiene', { checkOverflow: true });
  });

  test('the insights view lists tokens to clean up with their owners, and saves its settings', async () => {
    await api('POST', `/v1/orgs/${orgId}/tokens`, {
      name: 'forgotten',
      access: 'granular',
      permissions: ['keys:read'],
    });
    await page.goto(`${server.url}/orgs/${orgId}/tokens`);
    await waitForHeading(page, 'Tokens');
    await navigate(page, 'Insights');
    await waitForHeading(page, 'Insights');
    const row = page.locator('tr', { hasText: 'forgotten' });
    await row.getByText('Never used').waitFor();
    await row.getByText(admin.email).waitFor();
    await page.getByLabel('Mail this report to the administrators every week').check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor();
    const settings = await api<{ weeklyDigest: boolean }>('GET', `/v1/orgs/${orgId}/insights/settings`);
    assert.equal(settings.weeklyDigest, true);
    await screenshots(page, 'insights', { checkOverflow: true });
  });
}
