// Issue 15 in the browser: the token pages where people get hurt — mail that was not sent, the one-time
// reveal, focus and keyboard in the create dialog, role changes, errors on their fields, editing a token,
// its life (rotation grace, revocation), the per-token page, finding a token — in Debian's Chromium against
// a real server on fresh SQLite. One browser and one server; the tests run in order and build on each other.
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

interface TokenInfo {
  id: string;
  name: string;
  permissions: string[] | null;
  resourceIds: string[] | null;
  allowedIps: string[] | null;
  rateLimit: { limit: number; windowSeconds: number } | null;
  expiresAt: string | null;
  status: string;
  revokedReason: string | null;
}

if (chromiumOrSkip('token pages end to end in Chromium')) {
  let lk: SignedInConsole;
  let server: TestServer;
  let page: Page;
  let orgId = '';
  const problems: string[] = [];
  const admin = { name: 'Grace Admin', email: 'grace@example.com', password: 'correct horse battery' };

  const api = <T = unknown>(method: string, path: string, body?: unknown) => lk.api<T>(method, path, body);
  const createToken = (body: Record<string, unknown>) =>
    api<{ token: string; clientId: string; tokenInfo: TokenInfo }>('POST', `/v1/orgs/${orgId}/tokens`, {
      access: 'granular',
      permissions: ['blocks:read'],
      expiresIn: '30d',
      ...body,
    });
  const verify = (body: Record<string, unknown>) => lk.verify(body);
  const activeId = () => page.evaluate(() => document.activeElement?.id ?? '');
  const tokensPage = async () => {
    await page.goto(`${server.url}/orgs/${orgId}/tokens`);
    await waitForHeading(page, 'Tokens');
  };
  const openRowMenu = (name: string) => page.getByRole('button', { name: `Actions for ${name}` }).click();

  before(async () => {
    lk = await startSignedInConsole(admin, problems);
    ({ server, page, orgId } = lk);
  });

  after(async () => {
    await lk?.close();
    assert.deepEqual(problems, [], 'no page errors or console errors');
  });

  test('defect 3: the create dialog focuses the name field; Tab moves by permission group, arrows inside one', async () => {
    await tokensPage();
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    await dialog.getByRole('checkbox', { name: /blocks:read/ }).waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'token-name');
    await page.keyboard.type('typed at once');
    assert.equal(await dialog.getByLabel('Name').inputValue(), 'typed at once');

    // One Tab stop per group of the catalog.
    const groups = await dialog.locator('fieldset.perm-group').count();
    assert.ok(groups >= 2, `the catalog has ${groups} groups`);
    const stops = await dialog.locator('fieldset.perm-group button[role="checkbox"][tabindex="0"]').count();
    assert.equal(stops, groups);

    const first = dialog.locator('fieldset.perm-group').first();
    const boxes = first.locator('button[role="checkbox"]:not([disabled])');
    assert.ok((await boxes.count()) >= 2, 'the first group has two permissions');
    await boxes.nth(0).focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await activeId(), await boxes.nth(1).getAttribute('id'), 'ArrowDown moves inside the group');
    await page.keyboard.press('ArrowUp');
    assert.equal(await activeId(), await boxes.nth(0).getAttribute('id'), 'ArrowUp moves back');
    await page.keyboard.press('Space');
    assert.equal(await boxes.nth(0).getAttribute('aria-checked'), 'true', 'Space ticks');
    await page.keyboard.press('Tab');
    const second = dialog
      .locator('fieldset.perm-group')
      .nth(1)
      .locator('button[role="checkbox"]:not([disabled])');
    assert.equal(await activeId(), await second.first().getAttribute('id'), 'Tab goes to the next group');
    await screenshots(page, 'create-token-focus');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('defect 10: a date beyond the policy shows the date asked for beside the "at most 365 days" error', async () => {
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    await dialog.getByLabel('Name').fill('too long');
    await dialog.getByRole('radio', { name: /Full access/ }).check();
    await dialog.getByText('Custom date').click();
    const far = new Date();
    far.setDate(far.getDate() + 500);
    const day = `${far.getFullYear()}-${String(far.getMonth() + 1).padStart(2, '0')}-${String(far.getDate()).padStart(2, '0')}`;
    await dialog.getByLabel('Expiry date').fill(day);
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const error = dialog.locator('#token-custom-date-error');
    await error.waitFor();
    const text = (await error.textContent()) ?? '';
    const asked = new Intl.DateTimeFormat('en', { dateStyle: 'full' }).format(far);
    assert.ok(text.includes(asked), `the error names the date asked for: ${text}`);
    assert.match(text, /500 days away/);
    assert.match(text, /at most 365 days, until /);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('defect 5: a duplicate name is put on the name field; fixing the name clears it', async () => {
    await createToken({ name: 'indexer' });
    await tokensPage();
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    await dialog.getByLabel('Name').fill('indexer');
    await dialog.getByRole('radio', { name: /Full access/ }).check();
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const fieldError = dialog.locator('#token-name-error');
    await fieldError.waitFor();
    assert.match((await fieldError.textContent()) ?? '', /^An active token with this name exists/);
    assert.equal(await dialog.getByLabel('Name').getAttribute('aria-invalid'), 'true');
    assert.equal(await dialog.locator('.alert-error').count(), 0, 'no banner repeats the field error');
    await dialog.getByLabel('Name').fill('indexer 2');
    await fieldError.waitFor({ state: 'detached' });
    assert.equal(await dialog.getByText(/name exists/).count(), 0, 'no stale "name exists" is left');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('defects 1 and 2: the reveal focuses Copy, asks before closing, and says the mail went to the Outbox', async () => {
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    await dialog.getByLabel('Name').fill('deployer');
    await dialog.getByRole('radio', { name: /Full access/ }).check();
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const reveal = page.getByRole('dialog', { name: /Token “deployer” created/ });
    await reveal.waitFor();
    await page.waitForFunction(() => document.activeElement?.textContent === 'Copy');

    const asks = async (close: () => Promise<void>) => {
      await close();
      await reveal.getByText('Close anyway?').waitFor();
      await reveal.getByRole('button', { name: 'Go back' }).click();
      await reveal.getByText('Close anyway?').waitFor({ state: 'detached' });
    };
    await asks(() => page.keyboard.press('Escape'));
    await asks(() => page.mouse.click(3, 3));
    await asks(() => reveal.getByRole('button', { name: 'Close' }).click());

    await reveal.getByRole('button', { name: 'Send to my e-mail' }).click();
    const status = reveal.getByText('No mail server is set up: saved to the');
    await status.waitFor();
    assert.equal(await reveal.getByText(/Sent to/).count(), 0, 'nothing says "Sent"');
    const link = reveal.getByRole('link', { name: 'Outbox' });
    assert.equal(await link.getAttribute('href'), `/orgs/${orgId}/outbox`);
    await screenshots(page, 'reveal-outbox');
    // Saved in the Outbox counts as saved: Done closes without asking.
    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'detached' });
  });

  test('defect 8: a rotation with grace says when the old value stops, in the reveal and on the row', async () => {
    await openRowMenu('deployer');
    await page.getByRole('menuitem', { name: 'Rotate…' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate “deployer”?' });
    await rotate.getByLabel('Keep the old value working for').selectOption('24h');
    await rotate.getByRole('button', { name: 'Rotate token' }).click();
    const reveal = page.getByRole('dialog', { name: /New value for “deployer”/ });
    const end = reveal.locator('#old-value-end');
    await end.waitFor();
    assert.match((await end.textContent()) ?? '', /^Keeps working until /);
    await reveal.getByRole('button', { name: 'Copy' }).click();
    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'detached' });
    const row = page.locator('tr', { hasText: 'deployer' });
    await row.getByText(/Old value works until/).waitFor();
  });

  test('defect 8: revoke takes a reason, confirms with a toast, and the row says when, by whom and why', async () => {
    const { clientId } = await createToken({ name: 'ci-leaky' });
    await tokensPage();
    await openRowMenu('ci-leaky');
    await page.getByRole('menuitem', { name: 'Revoke…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke “ci-leaky”?' });
    // Dialogs start on their first field, not on ×.
    await page.waitForFunction(() => document.activeElement?.id === 'revoke-reason');
    await page.keyboard.type('leaked in a CI log');
    await screenshots(page, 'revoke-reason');
    await confirm.getByRole('button', { name: 'Revoke token' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByRole('status').getByText('Revoked “ci-leaky” (leaked in a CI log).').waitFor();
    const token = await api<TokenInfo>('GET', `/v1/orgs/${orgId}/tokens/${clientId}`);
    assert.equal(token.revokedReason, 'leaked in a CI log');

    await page.getByLabel('Status').selectOption('revoked');
    const row = page.locator(`tr[data-token-id="${clientId}"]`);
    await row.waitFor();
    const text = ((await row.textContent()) ?? '').replace(/\s+/g, ' ');
    assert.match(text, /Revoked just now/);
    assert.match(text, /by you/);
    assert.match(text, /reason: leaked in a CI log/);
    assert.doesNotMatch(text, /Expires in|in 30 days|in 29 days/);
    await page.getByLabel('Status').selectOption('active');
  });

  test('defect 7: editing narrows permissions and resources, sets an allowlist and a rate limit, shortens the expiry', async () => {
    const shard = await api<{ id: string }>('POST', `/v1/orgs/${orgId}/resources`, {
      type: 'shard',
      name: 'testnet-1',
    });
    const { token, clientId, tokenInfo } = await createToken({
      name: 'indexer-edit',
      permissions: ['blocks:read', 'chunks:read'],
    });
    assert.equal((await verify({ token, permission: 'chunks:read' })).valid, true);
    await tokensPage();
    await openRowMenu('indexer-edit');
    await page.getByRole('menuitem', { name: 'Edit…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit “indexer-edit”' });
    await dialog.getByRole('checkbox', { name: /chunks:read/ }).click();
    await dialog.getByText('Only selected resources').click();
    await dialog.getByRole('checkbox', { name: /testnet-1/ }).click();
    await dialog.getByText('Advanced: IP allowlist and rate limit').click();
    await dialog.getByLabel('Allowed IP addresses').fill('127.0.0.1');
    await dialog.getByLabel('Rate limit (requests)').fill('100');
    await dialog.getByLabel('per (seconds)').fill('60');
    const sooner = new Date(Date.now() + 10 * 86_400_000);
    const day = `${sooner.getFullYear()}-${String(sooner.getMonth() + 1).padStart(2, '0')}-${String(sooner.getDate()).padStart(2, '0')}`;
    await dialog.getByLabel(/new expiry date/).fill(day);
    await screenshots(page, 'edit-token');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').getByText('Saved the changes to “indexer-edit”.').waitFor();

    const edited = await api<TokenInfo>('GET', `/v1/orgs/${orgId}/tokens/${clientId}`);
    assert.deepEqual(edited.permissions, ['blocks:read']);
    assert.deepEqual(edited.resourceIds, [shard.id]);
    assert.deepEqual(edited.allowedIps, ['127.0.0.1']);
    assert.deepEqual(edited.rateLimit, { limit: 100, windowSeconds: 60 });
    assert.ok(
      Date.parse(edited.expiresAt ?? '') < Date.parse(tokenInfo.expiresAt ?? ''),
      'the expiry moved earlier',
    );
    // The verify cache was cleared before the answer: the dropped permission is refused at once.
    const refused = await verify({ token, permission: 'chunks:read', ip: '127.0.0.1' });
    assert.deepEqual(refused, { valid: false, code: 'FORBIDDEN' });
    assert.equal((await verify({ token, permission: 'blocks:read', ip: '127.0.0.1' })).valid, true);
    assert.equal((await verify({ token, permission: 'blocks:read', ip: '127.0.0.1' })).valid, true);
  });

  test('beyond the peers: a page per token with grants, limits, owner, chart, lifecycle and audit trail', async () => {
    const row = page.locator('tr', { hasText: 'indexer-edit' });
    await row.getByRole('link', { name: 'indexer-edit' }).click();
    await waitForHeading(page, 'indexer-edit');
    assert.match(page.url(), /\/orgs\/org_[^/]+\/tokens\/tok_[0-9A-Za-z]+$/);
    await page.getByRole('region', { name: 'Grants' }).getByText('blocks:read').waitFor();
    await page.getByRole('region', { name: 'Grants' }).getByText('shard/testnet-1').waitFor();
    await page.getByRole('region', { name: 'Limits' }).getByText('127.0.0.1').waitFor();
    await page.getByRole('region', { name: 'Limits' }).getByText('100 requests per 60 s').waitFor();
    await page.getByRole('region', { name: 'Owner' }).getByText('You', { exact: true }).waitFor();
    // Two valid verifications, one refused (the FORBIDDEN after the edit), and the one before the edit.
    const totals = page.locator('#usage-totals');
    await totals.getByText(/3 valid/).waitFor();
    assert.match((await totals.textContent()) ?? '', /3 valid\s+1 refused/);
    const timeline = page.getByRole('list', { name: 'Lifecycle' });
    await timeline.getByText('Created').waitFor();
    await timeline.getByText(/^Edited: .*permissions/).waitFor();
    await page.getByRole('table', { name: 'Audit trail' }).getByText('token.updated').waitFor();
    await page.getByText('90 days', { exact: true }).click();
    await page.getByText('over the last 90 days').waitFor();
    await screenshots(page, 'token-page', { checkOverflow: true });
  });

  test('find a token: search by name, hint or id; paste a value to learn which token it is', async () => {
    const { token, clientId } = await createToken({ name: 'needle-in-logs' });
    await tokensPage();
    await page.getByLabel('Find a token').fill('NEEDLE');
    await page.waitForURL(/q=NEEDLE/);
    await page.locator(`tr[data-token-id="${clientId}"]`).waitFor();
    assert.equal(await page.locator('tbody tr').count(), 1);
    await page.getByLabel('Find a token').fill(token.slice(-4));
    await page.waitForURL(new RegExp(`q=${token.slice(-4)}`));
    await page.locator(`tr[data-token-id="${clientId}"]`).waitFor();
    await page.getByLabel('Find a token').fill('nothing-like-this');
    await page.getByText('No tokens match “nothing-like-this”').waitFor();
    await screenshots(page, 'tokens-search');

    await page.getByRole('button', { name: 'Paste a value…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Which token is this value?' });
    await dialog.getByLabel('Token value').fill(`lk_${'x'.repeat(36)}`);
    await dialog.getByRole('button', { name: 'Find the token' }).click();
    await dialog.getByRole('alert').waitFor();
    await dialog.getByLabel('Token value').fill(token);
    await dialog.getByRole('button', { name: 'Find the token' }).click();
    await waitForHeading(page, 'needle-in-logs');
    await page.getByText('The value you pasted is the current value of this token.').waitFor();
    assert.ok(!page.url().includes(token), 'the value is in no URL');
    assert.ok(!server.logs.join('\n').includes(token), 'the value is in no log line');
  });

  test('defect 4: a role changes only after a confirmation naming the person, the old and the new role', async () => {
    // Ada joins through a real invite; the invite answer says where its mail went.
    const invite = await api<{ inviteUrl: string; delivery: { email: string } }>(
      'POST',
      `/v1/orgs/${orgId}/members`,
      {
        email: 'ada@example.com',
        roleId: 'rol_readonly',
      },
    );
    assert.deepEqual(invite.delivery, { email: 'outbox' });
    const accepted = await fetch(`${server.url}/v1/auth/accept-invite`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inviteToken: new URL(invite.inviteUrl).hash.replace('#token=', ''),
        password: 'analytical engine',
        name: 'Ada Member',
      }),
    });
    assert.equal(accepted.status, 200);
    const roleOf = async () =>
      (
        await api<{ items: { email: string; roleId: string }[] }>('GET', `/v1/orgs/${orgId}/members`)
      ).items.find((m) => m.email === 'ada@example.com')?.roleId;

    await navigate(page, 'Members');
    await waitForHeading(page, 'Members');
    const select = page.getByLabel('Role of Ada Member (ada@example.com)');
    await select.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await roleOf(), 'rol_readonly', 'arrow keys change nobody’s role');

    // Picking a role only picks: the change waits for "Change role…" and its confirmation.
    await select.selectOption({ label: 'Organization Administrator' });
    const change = page.getByRole('button', { name: 'Change the role of Ada Member (ada@example.com)…' });
    await change.waitFor();
    assert.equal(await roleOf(), 'rol_readonly', 'picking a role changes nothing yet');
    await change.click();
    const confirm = page.getByRole('dialog', { name: 'Change the role of Ada Member?' });
    const body = ((await confirm.textContent()) ?? '').replace(/\s+/g, ' ');
    assert.match(
      body,
      /Ada Member \(ada@example\.com\) goes from Read Only User to Organization Administrator/,
    );
    await screenshots(page, 'member-role-confirm');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await roleOf(), 'rol_readonly', 'cancelling changes nothing');

    await change.click();
    await confirm.getByRole('button', { name: 'Change role' }).click();
    await page.getByText('Role updated').waitFor();
    assert.equal(await roleOf(), 'rol_admin');

    // Defect 1 on the invite form: without SMTP it says the Outbox, not "e-mailed".
    await page.getByLabel('E-mail').fill('bo@example.com');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByText('No mail server is set up: the invitation mail was saved to the').waitFor();
    assert.equal(await page.getByText(/created and e-mailed/).count(), 0);
  });

  test('defect 5: Settings puts the server’s maxTtlDays refusal on the field; editing clears it', async () => {
    await navigate(page, 'Settings');
    await waitForHeading(page, 'Organization settings');
    await page.getByLabel('Longest token lifetime (days)').fill('40000');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const error = page.locator('#org-max-ttl-error');
    await error.waitFor();
    assert.equal(await error.textContent(), 'Max TTL days must be at most 36500.');
    assert.equal(await page.getByLabel('Longest token lifetime (days)').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByRole('alert').count(), 0, 'the message is said once, on its field');
    assert.equal(await page.getByText(/body\.|must be <=/).count(), 0);
    await screenshots(page, 'settings-field-error');
    await page.getByLabel('Longest token lifetime (days)').fill('90');
    await error.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor();
  });

  test('defect 10: the rows of Resources keep their borders level', async () => {
    await api('POST', `/v1/orgs/${orgId}/resources`, {
      type: 'database',
      name: 'archive-with-a-longer-name',
    });
    await navigate(page, 'Resources');
    await waitForHeading(page, 'Resources');
    await page.getByRole('table').locator('tbody tr').nth(1).waitFor();
    const uneven = await page.evaluate(() =>
      [...document.querySelectorAll('table tbody tr')].map((tr) => {
        const bottoms = [...tr.querySelectorAll('td')].map((td) =>
          Math.round(td.getBoundingClientRect().bottom),
        );
        return Math.max(...bottoms) - Math.min(...bottoms);
      }),
    );
    assert.deepEqual(
      uneven,
      uneven.map(() => 0),
      `cell bottoms differ within a row: ${uneven}`,
    );
    await screenshots(page, 'resources-rows');
  });
}
