// One-time reveal links in the browser (issue 17): the reveal dialog makes a link beside copy, CSV and e-mail;
// a colleague who is not signed in opens it once at /reveal#…, and a second opening says it was opened.
// One browser and one server; the tests run in order and build on each other.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startServer, type TestServer } from '../../test/helpers/server.ts';
import { chromiumOrSkip, launch, openPage, prepare, screenshots, waitForHeading } from './browser.ts';

if (chromiumOrSkip('one-time reveal links in Chromium')) {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let orgId = '';
  let value = '';
  let linkUrl = '';
  const problems: string[] = [];
  const admin = { name: 'Lin Admin', email: 'lin@example.com', password: 'correct horse battery' };

  before(async () => {
    prepare();
    server = await startServer();
    browser = await launch();
    ({ page } = await openPage(browser, problems));
    const setup = await page.request.post(`${server.url}/v1/setup`, {
      data: { ...admin, orgName: 'Acme Chain' },
    });
    assert.equal(setup.status(), 201, await setup.text());
    orgId = (await setup.json()).orgs[0].id;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    assert.deepEqual(problems, [], 'no page errors or console errors');
  });

  test('the reveal dialog creates a one-time link, and having one counts as saved', async () => {
    await page.goto(`${server.url}/orgs/${orgId}/tokens`);
    await waitForHeading(page, 'Tokens');
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    await dialog.getByLabel('Name').fill('handover');
    await dialog.getByRole('radio', { name: /Full access/ }).check();
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const reveal = page.getByRole('dialog', { name: /Token “handover” created/ });
    await reveal.waitFor();
    value = await reveal.locator('#token-value').inputValue();
    assert.match(value, /^lk_/);
    await reveal.getByLabel('Link works for').selectOption('1h');
    await reveal.getByRole('button', { name: 'Create a one-time link' }).click();
    const url = reveal.getByLabel('One-time link');
    await url.waitFor();
    linkUrl = await url.inputValue();
    assert.match(linkUrl, new RegExp(`^${server.url}/reveal#[A-Za-z0-9_-]{43}$`));
    assert.ok(!linkUrl.includes(value), 'the link does not hold the value');
    await reveal.getByText(/Opens once, until /).waitFor();
    await screenshots(page, 'reveal-link-created');
    // The link is a way to keep the value: Done closes without asking.
    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'detached' });
  });

  test('a colleague who is not signed in opens it once; the key leaves the address bar', async () => {
    const colleague = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const tab = await colleague.newPage();
    tab.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    await tab.goto(linkUrl);
    await waitForHeading(tab, 'One-time link');
    assert.equal(new URL(tab.url()).hash, '', 'the key is dropped from the address bar');
    await tab.getByRole('button', { name: 'Show the value' }).click();
    await waitForHeading(tab, 'Token “handover”');
    assert.equal(await tab.getByLabel('Token value').inputValue(), value);
    await screenshots(tab, 'reveal-link-opened', { checkOverflow: true });

    const again = await colleague.newPage();
    await again.goto(linkUrl);
    await again.getByRole('button', { name: 'Show the value' }).click();
    await waitForHeading(again, 'This link was already opened');
    assert.equal(await again.getByText(value).count(), 0);
    await colleague.close();
  });

  test('a link without its key says it is incomplete', async () => {
    await page.goto(`${server.url}/reveal`);
    await page.getByText('This link is incomplete').waitFor();
  });
}
