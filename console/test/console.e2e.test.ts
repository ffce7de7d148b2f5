// The console end to end, in Debian's Chromium driven by playwright-core,
// against a real Latchkey server on a fresh SQLite data dir.
//
// One browser and one server are shared by the tests of this file; the tests
// run in order and build on each other (setup → tokens → members → …).
// Screenshots of each main page at 375 px and 1440 px go to console/test-output/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startServer } from '../../test/helpers/server.ts';
import {
  chromiumOrSkip,
  launch,
  navigate,
  openPage,
  prepare,
  screenshots,
  waitForHeading,
} from './browser.ts';

interface Target {
  url: string;
  close: () => Promise<void>;
}

async function startTarget(): Promise<Target> {
  // LATCHKEY_E2E_URL points the test at a server that is already running (handy while developing).
  const external = process.env.LATCHKEY_E2E_URL;
  if (external) return { url: external.replace(/\/$/, ''), close: async () => {} };
  const server = await startServer();
  return { url: server.url.replace(/\/$/, ''), close: () => server.close() };
}

interface VerifyAnswer {
  valid: boolean;
  code?: string;
  token?: { id: string; permissions: string[] };
}

if (chromiumOrSkip('console end to end in Chromium')) {
  let target: Target;
  let browser: Browser;
  let page: Page;
  const admin = {
    name: 'Grace Admin',
    email: 'grace@example.com',
    password: 'correct horse battery',
    org: 'Acme Chain',
  };
  const problems: string[] = [];
  let tokenValue = '';
  let clientId = '';

  const verify = async (body: Record<string, unknown>): Promise<VerifyAnswer> => {
    const response = await fetch(`${target.url}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, `verify answered ${response.status}`);
    return (await response.json()) as VerifyAnswer;
  };

  /** Saves the current page at both widths, then restores the desktop width. */
  const shoot = (name: string, p: Page = page): Promise<void> => screenshots(p, name);

  const heading = (name: string | RegExp, p: Page = page) => waitForHeading(p, name);

  const goTo = (label: string) => navigate(page, label);

  before(async () => {
    prepare();
    target = await startTarget();
    browser = await launch();
    ({ page } = await openPage(browser, problems, { acceptDownloads: true }));
  });

  after(async () => {
    await browser?.close();
    await target?.close();
  });

  test('first run: the setup form creates the administrator and signs in', async () => {
    await page.goto(`${target.url}/`);
    await page.waitForURL('**/setup');
    await heading('Set up Latchkey');
    await shoot('setup');

    // Bad input is explained before anything is sent.
    await page.getByRole('button', { name: 'Create account and organization' }).click();
    await page.getByText('Enter your name.').waitFor();

    await page.getByLabel('Your name').fill(admin.name);
    await page.getByLabel('E-mail').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByLabel('Organization name').fill(admin.org);
    await page.getByRole('button', { name: 'Create account and organization' }).click();
    await heading('Tokens');
    assert.match(page.url(), /\/orgs\/org_[^/]+\/tokens$/);
    await page.getByText('No active tokens').waitFor();
    await shoot('tokens-empty');
  });

  test('the create dialog explains bad input', async () => {
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    await dialog.waitFor();
    await dialog.getByRole('checkbox', { name: /blocks:read/ }).waitFor();
    await shoot('create-token');

    await dialog.getByRole('button', { name: 'Create token' }).click();
    await dialog.getByText('Give the token a name, so you can recognise it later.').first().waitFor();
    await dialog.getByText('Pick at least one permission, or choose Full access.').first().waitFor();
    assert.equal(await dialog.getByLabel('Name').getAttribute('aria-invalid'), 'true');

    await dialog.getByLabel('Name').fill('x'.repeat(101));
    await dialog.getByText('Advanced: IP allowlist and rate limit').click();
    await dialog.getByLabel('Allowed IP addresses').fill('10.0.0.0/8\nnot-an-ip');
    await dialog.getByLabel('Rate limit (requests)').fill('ten');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    await dialog.getByText('at most 100 are allowed').first().waitFor();
    await dialog.getByText('"not-an-ip" is not an IP address or CIDR block').first().waitFor();
    await dialog.getByText('The rate limit is a whole number of requests').first().waitFor();

    // The lifetime shows the resulting date; "No expiry" is off by the default policy, and says so.
    await dialog.getByText('7 days').click();
    await dialog.getByText(/^Expires on /).waitFor();
    assert.equal(await dialog.getByRole('radio', { name: 'No expiry' }).isDisabled(), true);
    await dialog.getByText('turned off by the organization’s token policy').waitFor();

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('create a granular token: revealed once, accepted by verify with its permission, CSV downloaded', async () => {
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    await dialog.getByLabel('Name').fill('indexer, testnet');
    await dialog.getByLabel('Description (optional)').fill('Reads blocks for the indexer');
    await dialog.getByRole('checkbox', { name: /blocks:read/ }).click();
    await dialog.getByRole('checkbox', { name: /chunks:read/ }).click();
    assert.equal(
      await dialog.getByRole('checkbox', { name: /blocks:read/ }).getAttribute('aria-checked'),
      'true',
    );
    await dialog.getByRole('button', { name: 'Create token' }).click();

    const reveal = page.getByRole('dialog', { name: /Token “indexer, testnet” created/ });
    await reveal.waitFor();
    await reveal.getByText('This value will not be shown again.').waitFor();
    tokenValue = await reveal.getByLabel('Token value').inputValue();
    assert.match(tokenValue, /^[a-z][a-z0-9]{1,9}_[0-9A-Za-z]{36}$/);
    clientId = (await reveal.locator('dd.mono').first().textContent()) ?? '';
    assert.match(clientId, /^tok_/);
    await shoot('reveal');

    const ok = await verify({ token: tokenValue, permission: 'blocks:read' });
    assert.equal(ok.valid, true, JSON.stringify(ok));
    assert.equal(ok.token?.id, clientId);
    const refused = await verify({ token: tokenValue, permission: 'transactions:write' });
    assert.deepEqual({ valid: refused.valid, code: refused.code }, { valid: false, code: 'FORBIDDEN' });

    // Closing before saving the value asks first.
    await page.keyboard.press('Escape');
    await reveal.getByText('Close anyway?').waitFor();
    await reveal.getByRole('button', { name: 'Go back' }).click();

    await reveal.getByRole('button', { name: 'Copy' }).click();
    await reveal.getByRole('button', { name: 'Copied' }).waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      reveal.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^latchkey-token-indexer-testnet\.csv$/);
    const path = await download.path();
    const csv = readFileSync(path, 'utf8');
    const [header, row, rest] = csv.split('\r\n');
    assert.equal(header, 'client_id,token,name,permissions,resources,expires_at');
    assert.equal(rest, '');
    const expiresAt = row?.split(',').at(-1) ?? '';
    assert.equal(
      row,
      `${clientId},${tokenValue},"indexer, testnet",blocks:read chunks:read,all,${expiresAt}`,
    );
    const days = (Date.parse(expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30.01, `default lifetime is 30 days, got ${days}`);

    await reveal.getByRole('button', { name: 'Send to my e-mail' }).click();
    // The test server has no SMTP: the mail is in the Outbox, and the dialog says so.
    await reveal.getByText('No mail server is set up: saved to the').waitFor();

    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'detached' });
  });

  test('the list shows the token without its value', async () => {
    const row = page.locator(`tr[data-token-id="${clientId}"]`);
    await row.waitFor();
    const text = ((await row.textContent()) ?? '').replace(/\s+/g, ' ');
    assert.match(text, /indexer, testnet/);
    assert.match(text, /blocks:read/);
    assert.ok(text.includes(tokenValue.slice(-4)), 'the hint ends with the last 4 characters');
    assert.match(text, /in 30 days|in 29 days/);
    assert.match(text, /Never used|just now|seconds/);
    const html = await page.content();
    assert.ok(!html.includes(tokenValue), 'the page holds no token value');
    await shoot('tokens');

    // Details open the token's own page.
    await page.getByRole('button', { name: 'Actions for indexer, testnet' }).click();
    await page.getByRole('menuitem', { name: 'Details…' }).click();
    await heading('indexer, testnet');
    await page.getByText(clientId).waitFor();
    await page.getByText('Reads blocks for the indexer').waitFor();
    await page.getByText('All resources').waitFor();
    await page.goBack();
    await heading('Tokens');
  });

  test('a duplicate name is refused with the server’s message', async () => {
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    await dialog.getByLabel('Name').fill('indexer, testnet');
    await dialog.getByRole('radio', { name: /Full access/ }).check();
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const error = dialog.locator('#token-name-error');
    await error.waitFor();
    assert.ok(((await error.textContent()) ?? '').length > 5);
    assert.equal(await dialog.getByLabel('Name').getAttribute('aria-invalid'), 'true');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  test('revoke asks for confirmation naming the token; verify then says REVOKED', async () => {
    await page.getByRole('button', { name: 'Actions for indexer, testnet' }).click();
    await page.getByRole('menuitem', { name: 'Revoke…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke “indexer, testnet”?' });
    await confirm.waitFor();
    await shoot('revoke-confirm');
    await confirm.getByRole('button', { name: 'Revoke token' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.locator(`tr[data-token-id="${clientId}"]`).waitFor({ state: 'detached' });

    const answer = await verify({ token: tokenValue, permission: 'blocks:read' });
    assert.deepEqual({ valid: answer.valid, code: answer.code }, { valid: false, code: 'REVOKED' });

    await page.getByLabel('Status').selectOption('revoked');
    const row = page.locator(`tr[data-token-id="${clientId}"]`);
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /revoked/i);
    await page.getByLabel('Status').selectOption('active');
  });

  test('rotate issues a new value for the same id', async () => {
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    await dialog.getByLabel('Name').fill('deployer');
    await dialog.getByRole('radio', { name: /Full access/ }).check();
    await dialog.getByRole('checkbox', { name: 'E-mail the value to me' }).click();
    await dialog.getByRole('button', { name: 'Create token' }).click();
    let reveal = page.getByRole('dialog', { name: /Token “deployer” created/ });
    const first = await reveal.getByLabel('Token value').inputValue();
    // Mailed (here: saved to the Outbox, no SMTP) counts as saved: Done closes without asking.
    await reveal.getByText('No mail server is set up: saved to the').waitFor();
    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Actions for deployer' }).click();
    await page.getByRole('menuitem', { name: 'Rotate…' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate “deployer”?' });
    await rotate.getByRole('button', { name: 'Rotate token' }).click();
    reveal = page.getByRole('dialog', { name: /New value for “deployer”/ });
    const second = await reveal.getByLabel('Token value').inputValue();
    assert.notEqual(second, first);
    assert.equal((await verify({ token: second, permission: 'blocks:read' })).valid, true);
    assert.equal((await verify({ token: first })).valid, false);
    await page.keyboard.press('Escape');
    await reveal.getByRole('button', { name: 'Close without saving' }).click();
    await reveal.waitFor({ state: 'detached' });
  });

  test('members: invite a member, the invite link signs them in, then change their role', async () => {
    await goTo('Members');
    await heading('Members');
    await page.getByLabel('E-mail').fill('ada@example.com');
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Read Only User' });
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    const link = page.getByLabel('Invitation link');
    await link.waitFor();
    const inviteUrl = await link.inputValue();
    assert.match(inviteUrl, /\/accept-invite#token=/);
    const pending = page.getByRole('table', { name: 'Pending invitations' });
    await pending.getByRole('cell', { name: 'ada@example.com', exact: true }).waitFor();

    // A second invitation, cancelled: it leaves the pending list.
    await page.getByLabel('E-mail').fill('bob@example.com');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await pending.getByRole('cell', { name: 'bob@example.com', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Cancel the invitation for bob@example.com' }).click();
    await page
      .getByRole('dialog', { name: 'Cancel the invitation for bob@example.com?' })
      .getByRole('button', { name: 'Cancel invitation' })
      .click();
    await pending.getByRole('cell', { name: 'bob@example.com', exact: true }).waitFor({ state: 'detached' });

    // The invited person opens the link in their own browser.
    const other = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const invited = await other.newPage();
    await invited.goto(`${target.url}/accept-invite${new URL(inviteUrl).hash}`);
    // The page says which organization, who invited and as what (issue 15 defect 9).
    await heading('Join Acme Chain', invited);
    await invited
      .getByText('Grace Admin invited ada@example.com to join Acme Chain as Read Only User.')
      .waitFor();
    await shoot('accept-invite', invited);
    await invited.getByLabel('Your name').fill('Ada Member');
    await invited.getByLabel('Password', { exact: true }).fill('analytical engine');
    await invited.getByLabel('Repeat the password').fill('analytical engine');
    await invited.getByRole('button', { name: 'Join' }).click();
    await heading('Tokens', invited);
    assert.ok(!invited.url().includes('token='), 'the invite secret leaves the address bar');
    // A Read Only member sees no Members page and may not create application tokens.
    assert.equal(await invited.getByRole('link', { name: 'Members', exact: true }).count(), 0);
    await invited.getByRole('button', { name: 'Create token' }).click();
    const dialog = invited.getByRole('dialog', { name: 'Create token' });
    assert.equal(await dialog.getByRole('radio', { name: /Application/ }).isDisabled(), true);
    await dialog.getByText('Unavailable: application tokens need the tokens:write permission.').waitFor();
    assert.equal(await dialog.getByRole('checkbox', { name: /tokens:write/ }).isDisabled(), true);
    await invited.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await invited.getByRole('link', { name: 'Settings', exact: true }).click();
    await invited.getByText('Read only: changing the organization').waitFor();
    assert.equal(await invited.getByLabel('Longest token lifetime (days)').isDisabled(), true);
    await other.close();

    // Back as the administrator: Ada is a member now; promote her.
    const roleSelect = page.getByLabel('Role of Ada Member (ada@example.com)');
    await page.reload();
    await roleSelect.waitFor();
    assert.equal(await page.getByRole('table', { name: 'Pending invitations' }).count(), 0);
    assert.equal(await roleSelect.inputValue(), 'rol_readonly');
    // Picking a role changes nothing until the change is confirmed.
    await roleSelect.selectOption({ label: 'Read/Write User' });
    await page.getByRole('button', { name: 'Change the role of Ada Member (ada@example.com)…' }).click();
    await page
      .getByRole('dialog', { name: 'Change the role of Ada Member?' })
      .getByRole('button', { name: 'Change role' })
      .click();
    await page.getByText('Role updated').waitFor();
    await page.reload();
    await page.getByLabel('Role of Ada Member (ada@example.com)').waitFor();
    assert.equal(await page.getByLabel('Role of Ada Member (ada@example.com)').inputValue(), 'rol_readwrite');
    await shoot('members');
  });

  test('roles, resources, settings and the audit log', async () => {
    await goTo('Roles');
    await heading('Roles');
    await page.getByRole('button', { name: 'New role' }).click();
    const roleDialog = page.getByRole('dialog', { name: 'New role' });
    await roleDialog.getByLabel('Name').fill('Indexer');
    await roleDialog.getByRole('button', { name: 'Select all read' }).click();
    await roleDialog.getByRole('button', { name: 'Create role' }).click();
    await roleDialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: /Indexer/ }).waitFor();
    await shoot('roles');

    await goTo('Resources');
    await heading('Resources');
    await page.getByLabel('Type').fill('shard');
    await page.getByLabel('Name').fill('testnet-1');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('cell', { name: 'testnet-1', exact: true }).waitFor();
    const resourceId = ((await page.locator('td[data-label="Id"]').first().textContent()) ?? '').trim();
    assert.match(resourceId, /^res_/);
    await shoot('resources');
    await page.getByRole('button', { name: 'Actions for testnet-1' }).click();
    await page.getByRole('menuitem', { name: 'View tokens' }).click();
    await heading('Tokens');
    await page.getByText('Resource: testnet-1').waitFor();
    // Tokens that reach every resource are listed too, with their owner.
    await page.getByRole('button', { name: 'Actions for deployer' }).waitFor();
    assert.equal(await page.getByRole('columnheader', { name: 'Owner' }).count(), 1);

    // Creating from the filtered list starts limited to that resource.
    await page.getByRole('button', { name: 'Create token' }).click();
    const limited = page.getByRole('dialog', { name: 'Create token' });
    assert.equal(await limited.getByRole('radio', { name: /Only selected resources/ }).isChecked(), true);
    assert.equal(
      await limited.getByRole('checkbox', { name: /testnet-1/ }).getAttribute('aria-checked'),
      'true',
    );
    await limited.getByLabel('Name').fill('shard reader');
    await limited.getByRole('checkbox', { name: /blocks:read/ }).click();
    await limited.getByRole('button', { name: 'Create token' }).click();
    const reveal = page.getByRole('dialog', { name: /Token “shard reader” created/ });
    const limitedValue = await reveal.getByLabel('Token value').inputValue();
    assert.equal(
      (await verify({ token: limitedValue, permission: 'blocks:read', resource: resourceId })).valid,
      true,
    );
    const elsewhere = await verify({
      token: limitedValue,
      permission: 'blocks:read',
      resource: 'res_0000000000000000000000',
    });
    assert.equal(elsewhere.valid, false);
    await reveal.getByRole('button', { name: 'Copy' }).click();
    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Actions for shard reader' }).waitFor();

    await goTo('Settings');
    await heading('Organization settings');
    await page.getByLabel('Longest token lifetime (days)').fill('90');
    await page.getByRole('checkbox', { name: 'Allow tokens that never expire' }).click();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor();
    await shoot('settings');

    await goTo('Tokens');
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    assert.equal(await dialog.getByRole('radio', { name: 'No expiry' }).isDisabled(), false);
    assert.equal(await dialog.getByRole('radio', { name: '1 year' }).isDisabled(), true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await goTo('Audit log');
    await heading('Audit log');
    await page.getByText('token.revoked').first().waitFor();
    await page.getByText('token.created').first().waitFor();
    await shoot('audit');
    await page.getByLabel('Token').selectOption({ value: clientId });
    await page.getByText('token.revoked').first().waitFor();
    assert.equal(await page.getByText('member.added').count(), 0);
  });

  test('the dark color scheme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await goTo('Tokens');
    await page.getByRole('button', { name: 'Actions for deployer' }).waitFor();
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(15, 17, 21)');
    await shoot('tokens-dark');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page
      .getByRole('dialog', { name: 'Create token' })
      .getByRole('checkbox', { name: /blocks:read/ })
      .waitFor();
    await shoot('create-token-dark');
    await page.keyboard.press('Escape');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('sign out, a wrong password is explained, sign in again', async () => {
    await page.getByRole('button', { name: /^Account:/ }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await heading('Sign in');
    await page.getByLabel('E-mail').fill(admin.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await shoot('login');
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Tokens');
  });

  test('no uncaught errors or console errors along the way', () => {
    assert.deepEqual(problems, []);
  });
}
