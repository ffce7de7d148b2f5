// Accounts in the console, in Debian's Chromium against a real server (fresh SQLite, no SMTP: the outbox
// folder is the mailbox): an invitation that says who invited to what, a password reset by the mailed link,
// the Sessions page. One browser and one server for the file; the tests build on each other.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../test/helpers/client.ts';
import { type AdminSession, PASSWORD, setupAdmin } from '../../test/helpers/factories.ts';
import { startServer, type TestServer } from '../../test/helpers/server.ts';
import { newMails, outboxFiles } from '../../test/helpers/workflows.ts';
import { chromiumOrSkip, launch, openPage, prepare, screenshots, waitForHeading } from './browser.ts';

if (chromiumOrSkip('accounts end to end in Chromium')) {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let admin: AdminSession;
  const problems: string[] = [];
  const member = { email: 'lin@example.com', name: 'Lin Member', password: 'lin has a long password' };

  /** The link of the newest mail to `to` holding `/path#`, as the mailbox would show it. */
  async function mailedLink(before: string[], to: string, path: string): Promise<string> {
    await server.deps.jobs.drain();
    const mail = newMails(server.dataDir, before)
      .filter((m) => m.to === to && m.text.includes(`/${path}#`))
      .at(-1);
    assert.ok(mail, `no ${path} mail to ${to}`);
    const link = new RegExp(`https?://[^\\s"<]+/${path}#[^\\s"<]+`).exec(mail.text)?.[0];
    assert.ok(link);
    return link;
  }

  const codeOf = (secret: string, offsetSeconds = 0) =>
    new TOTP({ secret: Secret.fromBase32(secret), period: 30 }).generate({
      timestamp: Date.now() + offsetSeconds * 1000,
    });
  let memberPassword = member.password;
  let memberSecret = '';
  let recoveryCodes: string[] = [];

  async function signInInBrowser(email: string, password: string) {
    await page.goto(`${server.url}/login`);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitForHeading(page, 'Tokens');
  }

  before(async () => {
    prepare();
    server = await startServer();
    admin = await setupAdmin(server.url);
    browser = await launch();
    ({ page } = await openPage(browser, problems));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    assert.deepEqual(problems, [], 'no page errors');
  });

  test('the invitation page says which organization and who invited; joining proves the address', async () => {
    const before = outboxFiles(server.dataDir);
    const invited = await admin.client.post(`/v1/orgs/${admin.orgId}/members`, {
      email: member.email,
      roleId: 'rol_readonly',
    });
    assert.equal(invited.status, 201);
    await page.goto(await mailedLink(before, member.email, 'accept-invite'));
    await waitForHeading(page, 'Join Acme');
    await page.getByText('Ada Admin invited lin@example.com to join Acme as Read Only User.').waitFor();
    await screenshots(page, 'accept-invite', { checkOverflow: true });
    await page.getByLabel('Your name').fill(member.name);
    await page.getByLabel('Password', { exact: true }).fill(member.password);
    await page.getByLabel('Repeat the password').fill(member.password);
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await waitForHeading(page, 'Tokens');
    assert.doesNotMatch(page.url(), /token=/, 'the secret left the address bar');
    await page.goto(`${server.url}/account`);
    await waitForHeading(page, 'Account and security');
    await page.getByText('confirmed', { exact: true }).waitFor();
  });

  test('a wrong invitation secret shows nothing about any invitation', async () => {
    await page.goto(`${server.url}/accept-invite#token=${'x'.repeat(43)}`);
    await page.getByText('This invitation is unknown, used or expired.', { exact: false }).waitFor();
  });

  test('the Sessions page lists where the account is signed in and ends another session', async () => {
    const elsewhere = new ApiClient(server.url);
    const signedIn = await elsewhere.post(
      '/v1/auth/login',
      { email: member.email, password: member.password },
      { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0' },
    );
    assert.equal(signedIn.status, 200);
    await page.goto(`${server.url}/account`);
    await waitForHeading(page, 'Account and security');
    const table = page.getByRole('table', { name: 'Sessions' });
    await table.getByText('Firefox on Windows').waitFor();
    await table.getByText('this session').waitFor();
    await screenshots(page, 'account-sessions', { checkOverflow: true });
    await table.getByRole('button', { name: 'End the session on Firefox on Windows' }).click();
    await table.getByText('Firefox on Windows').waitFor({ state: 'detached' });
    assert.equal((await elsewhere.get('/v1/auth/session')).status, 401, 'that session ended');
  });

  test('forgot password: the mailed link sets a new password and every session ends', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const fresh = await context.newPage();
    fresh.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    await fresh.goto(`${server.url}/login`);
    await fresh.getByRole('link', { name: 'Forgot password?' }).click();
    await waitForHeading(fresh, 'Reset your password');
    const before = outboxFiles(server.dataDir);
    await fresh.getByLabel('E-mail').fill(member.email);
    await fresh.getByRole('button', { name: 'Send the link' }).click();
    await waitForHeading(fresh, 'Check your mail');
    const link = await mailedLink(before, member.email, 'reset-password');
    await fresh.goto(link);
    await waitForHeading(fresh, 'Choose a new password');
    await fresh.getByText(member.email).waitFor();
    const newPassword = 'lin chose another password';
    memberPassword = newPassword;
    await fresh.getByLabel('New password').fill(newPassword);
    await fresh.getByLabel('Repeat the password').fill(newPassword);
    await screenshots(fresh, 'reset-password', { checkOverflow: true });
    await fresh.getByRole('button', { name: 'Set the new password' }).click();
    await waitForHeading(fresh, 'Password changed');
    await context.close();
    // The first browser's session ended with the reset.
    await page.reload();
    await waitForHeading(page, 'Sign in');
    await signInInBrowser(member.email, newPassword);
    // The link worked once.
    await page.goto(link);
    await page.getByText('This link is unknown, used or expired.').waitFor();
  });

  test('Members page: "send a new link" mails a new invitation link and ends the old one', async () => {
    const invited = await admin.client.post(`/v1/orgs/${admin.orgId}/members`, {
      email: 'kai@example.com',
      roleId: 'rol_readonly',
    });
    const oldToken = new URL(invited.body.inviteUrl).hash.replace('#token=', '');
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const adminPage = await context.newPage();
    adminPage.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    await adminPage.goto(`${server.url}/login`);
    await adminPage.getByLabel('E-mail').fill(admin.email);
    await adminPage.getByLabel('Password').fill(PASSWORD);
    await adminPage.getByRole('button', { name: 'Sign in' }).click();
    await waitForHeading(adminPage, 'Tokens');
    await adminPage.goto(`${server.url}/orgs/${admin.orgId}/members`);
    await waitForHeading(adminPage, 'Members');
    await adminPage.getByRole('button', { name: 'Send a new link to kai@example.com' }).click();
    const link = adminPage.getByLabel('New invitation link');
    await link.waitFor();
    await screenshots(adminPage, 'members-new-invite-link', { checkOverflow: true });
    const newToken = new URL(await link.inputValue()).hash.replace('#token=', '');
    assert.notEqual(newToken, oldToken);
    const preview = (inviteToken: string) =>
      new ApiClient(server.url).post('/v1/auth/invite-preview', { inviteToken });
    assert.equal((await preview(oldToken)).status, 404, 'the old link ended');
    assert.equal((await preview(newToken)).status, 200);
    await context.close();
  });

  test('an org requiring two-factor stops a member without it until they enrol with the QR code', async () => {
    // The administrator turns it on for themselves (API), then requires it of everyone.
    const started = await admin.client.post('/v1/auth/two-factor/enrol');
    await admin.client.post('/v1/auth/two-factor/confirm', { code: codeOf(started.body.secret) });
    const policy = await admin.client.patch(`/v1/orgs/${admin.orgId}`, {
      policy: { requireTwoFactor: true },
    });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));

    await page.goto(`${server.url}/orgs/${admin.orgId}/tokens`);
    await waitForHeading(page, 'Acme requires two-factor authentication');
    await screenshots(page, 'two-factor-required', { checkOverflow: true });
    await page.getByRole('link', { name: 'Set up two-factor authentication' }).click();
    await waitForHeading(page, 'Account and security');
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    memberSecret = ((await page.getByTestId('totp-secret').textContent()) ?? '').trim();
    assert.match(memberSecret, /^[A-Z2-7]+$/);
    await page.getByLabel('Code from the app').fill(codeOf(memberSecret));
    await screenshots(page, 'two-factor-enrol', { checkOverflow: true });
    await page.getByRole('button', { name: 'Turn on' }).click();
    const list = page.getByRole('list', { name: 'Recovery codes' });
    await list.waitFor();
    recoveryCodes = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim());
    assert.equal(recoveryCodes.length, 10);
    await screenshots(page, 'two-factor-recovery-codes', { checkOverflow: true });
    await page.getByRole('button', { name: 'I saved them' }).click();
    await page.getByText('recovery codes left', { exact: false }).waitFor();
    await page.goto(`${server.url}/orgs/${admin.orgId}/tokens`);
    await waitForHeading(page, 'Tokens');
  });

  test('sign-in asks for a code: a generated code works, a recovery code works once', async () => {
    const passwordStep = async () => {
      await page.context().clearCookies();
      await page.goto(`${server.url}/login`);
      await page.getByLabel('E-mail').fill(member.email);
      await page.getByLabel('Password').fill(memberPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await waitForHeading(page, 'Two-factor authentication');
    };
    await passwordStep();
    // The enrolment used the current 30-second step; the app's next code signs in.
    await page.getByLabel('Authentication code').fill(codeOf(memberSecret, 30));
    await screenshots(page, 'two-factor-sign-in', { checkOverflow: true });
    await page.getByRole('button', { name: 'Verify' }).click();
    await waitForHeading(page, 'Tokens').catch(async (error) => {
      throw new Error(`${error.message}\n${await page.locator('main').textContent()}`);
    });

    await passwordStep();
    await page.getByLabel('Authentication code').fill(recoveryCodes[0] ?? '');
    await page.getByRole('button', { name: 'Verify' }).click();
    await waitForHeading(page, 'Tokens');

    await passwordStep();
    await page.getByLabel('Authentication code').fill(recoveryCodes[0] ?? '');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /wrong or already used/i })
      .waitFor()
      .catch(async (error) => {
        throw new Error(`${error.message}\n${await page.locator('main').textContent()}`);
      });
  });
}
