// Notifications in the console, end to end in Debian's Chromium driven by playwright-core, against a real
// Latchkey server (fresh SQLite data dir, no SMTP: mail goes to the outbox) and a real webhook receiver.
//
// One browser, one server and one receiver are shared by the tests of this file; the tests run in order
// and build on each other (webhook endpoint → outbox → create from a notice → settings → delete).
// Screenshots of the new pages at 375 px and 1440 px go to console/test-output/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServer, type TestServer } from '../../test/helpers/server.ts';
import {
  chromiumOrSkip,
  launch,
  navigate,
  openPage,
  prepare,
  repoDir,
  screenshots,
  waitForHeading,
} from './browser.ts';

type Verifier = (secret: string, header: unknown, rawBody: string, toleranceSeconds?: number) => boolean;

/** The verification code of docs/notifications.md, run as documented. */
function documentedVerifier(): Verifier {
  const doc = readFileSync(join(repoDir, 'docs', 'notifications.md'), 'utf8');
  const code = /<!-- verify-snippet -->\n```js\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(code, 'the verification snippet is in docs/notifications.md');
  return new Function('require', `${code}\nreturn verifyLatchkeySignature;`)(createRequire(import.meta.url));
}

interface Hook {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1: keeps every request, answers 200. */
class Receiver {
  readonly hooks: Hook[] = [];
  private waiters: { match: (hook: Hook) => boolean; resolve: (hook: Hook) => void }[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const hook = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.hooks.push(hook);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        for (const waiter of this.waiters.filter((w) => w.match(hook))) waiter.resolve(hook);
        this.waiters = this.waiters.filter((w) => !w.match(hook));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The first request (already received, or the next one) with this Latchkey-Event header. */
  waitFor(event: string, timeoutMs = 10_000): Promise<Hook> {
    const match = (hook: Hook) => hook.headers['latchkey-event'] === event;
    const seen = this.hooks.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} delivery in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (hook) => {
          clearTimeout(timer);
          resolve(hook);
        },
      });
    });
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

if (chromiumOrSkip('console notifications end to end in Chromium')) {
  let server: TestServer;
  let url: string;
  const receiver = new Receiver();
  const verifySignature = documentedVerifier();
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const admin = {
    name: 'Hedy Admin',
    email: 'hedy@example.com',
    password: 'frequency hopping spread',
    orgName: 'Notify Chain',
  };
  let orgId = '';
  let csrf = '';
  let secret = '';
  let hookUrl = '';
  const problems: string[] = [];

  /** An API call with the browser's session (its cookies, and the CSRF token for unsafe methods). */
  const apiCall = async <T>(method: string, path: string, data?: unknown): Promise<T> => {
    const response = await context.request.fetch(`${url}${path}`, {
      method,
      headers: method === 'GET' ? {} : { 'x-csrf-token': csrf },
      ...(data === undefined ? {} : { data }),
    });
    const text = await response.text();
    assert.ok(response.ok(), `${method} ${path} answered ${response.status()}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };

  /** Saves the current page at both widths (checking nothing overflows sideways), then restores 1440 px. */
  const shoot = (name: string): Promise<void> => screenshots(page, name, { checkOverflow: true });

  const heading = (name: string | RegExp) => waitForHeading(page, name);

  const goTo = (label: string) => navigate(page, label);

  const endpointCard = () =>
    page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: hookUrl }) });

  before(async () => {
    prepare();
    await receiver.start();
    hookUrl = `${receiver.url}/hooks/latchkey`;
    // The worker wakes at once for jobs queued in its own process; a short interval covers the rest.
    server = await startServer({
      env: { WORKER_INTERVAL_MS: '100', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    url = server.url.replace(/\/$/, '');
    browser = await launch();
    ({ context, page } = await openPage(browser, problems));
    // The first-run setup through the API (console.e2e.test.ts covers the form); the cookie lands in the
    // browser context, so the console opens signed in.
    const setup = await context.request.post(`${url}/v1/setup`, {
      data: { email: admin.email, password: admin.password, name: admin.name, orgName: admin.orgName },
    });
    assert.ok(setup.ok(), `setup answered ${setup.status()}`);
    const session = await apiCall<{ csrfToken: string; orgs: { id: string }[] }>('GET', '/v1/auth/session');
    csrf = session.csrfToken;
    orgId = session.orgs[0]?.id ?? '';
    assert.match(orgId, /^org_/);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await receiver.close();
  });

  test('webhooks: add an endpoint, its secret is shown once, a test ping arrives signed and is logged', async () => {
    await page.goto(`${url}/`);
    await heading('Tokens');
    await goTo('Webhooks');
    await heading('Webhooks');
    await page.getByText('No webhook endpoints').waitFor();

    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add webhook endpoint' });
    await dialog.waitFor();
    // Bad input is explained before anything is sent.
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await dialog.getByText('Enter the address Latchkey should POST events to.').waitFor();
    await dialog.getByText('Pick at least one event type.').waitFor();
    await dialog.getByLabel('Endpoint URL').fill('ftp://example.com/x');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await dialog.getByText('The URL must start with https:// or http://.').waitFor();

    await dialog.getByLabel('Endpoint URL').fill(hookUrl);
    await dialog.getByLabel('Description (optional)').fill('Audit mirror');
    await dialog.getByRole('checkbox', { name: /All token events/ }).click();
    // The group covers its events: they show checked, and are not picked one by one.
    const created = dialog.getByRole('checkbox', { name: /token\.created/ });
    assert.equal(await created.getAttribute('aria-checked'), 'true');
    assert.equal(await created.isDisabled(), true);
    await dialog.getByRole('checkbox', { name: /member\.added/ }).click();
    await shoot('webhook-create');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();

    const reveal = page.getByRole('dialog', { name: 'Endpoint added' });
    await reveal.waitFor();
    await reveal.getByText('This signing secret will not be shown again.').waitFor();
    secret = await reveal.getByLabel('Signing secret').inputValue();
    assert.match(secret, /^whsec_/);
    await shoot('webhook-secret');
    // Closing before copying asks first; Escape goes through the same question.
    await page.keyboard.press('Escape');
    await reveal.getByText('Close anyway?').waitFor();
    await reveal.getByRole('button', { name: 'Go back' }).click();
    await reveal.getByRole('button', { name: 'Copy' }).click();
    await reveal.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'detached' });

    // Listed without its secret, which is gone from the page for good.
    const card = endpointCard();
    await card.getByText('All token events').waitFor();
    await card.getByText('member.added').waitFor();
    await card.getByText('Audit mirror').waitFor();
    assert.equal((await page.content()).includes(secret), false, 'the secret is not on the page any more');

    await card.getByRole('button', { name: 'Send test ping' }).click();
    await card.getByText('Test ping queued.').waitFor();
    const ping = await receiver.waitFor('ping');
    assert.equal(
      verifySignature(secret, ping.headers['latchkey-signature'], ping.body),
      true,
      'the documented code accepts the signature',
    );
    assert.equal(verifySignature(`${secret}x`, ping.headers['latchkey-signature'], ping.body), false);
    const payload = JSON.parse(ping.body) as { type: string; orgId: string; data: { endpointId: string } };
    assert.equal(payload.type, 'ping');
    assert.equal(payload.orgId, orgId);
    assert.match(payload.data.endpointId, /^whk_/);

    // The delivery log follows the delivery until it is sent.
    const log = card.getByRole('table', { name: `Deliveries to ${hookUrl}` });
    const row = log.locator('tr', { hasText: 'ping' });
    await row.getByText('sent', { exact: true }).waitFor();
    await row.getByRole('cell', { name: '200', exact: true }).waitFor();
    assert.equal(await row.locator('[data-label="Attempts"]').textContent(), '1');
    assert.equal(ping.headers['latchkey-delivery'], await row.getAttribute('data-delivery-id'));
    await shoot('webhooks');
  });

  test('webhooks: disable with the edit dialog, then enable again', async () => {
    const card = endpointCard();
    await card.getByRole('button', { name: `Edit ${hookUrl}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit webhook endpoint' });
    assert.equal(await dialog.getByLabel('Endpoint URL').inputValue(), hookUrl);
    assert.equal(
      await dialog.getByRole('checkbox', { name: /member\.added/ }).getAttribute('aria-checked'),
      'true',
    );
    await dialog.getByRole('checkbox', { name: 'Enabled' }).click();
    await dialog.getByRole('button', { name: 'Save endpoint' }).click();
    await dialog.waitFor({ state: 'detached' });
    await card.getByText('This endpoint is disabled.').waitFor();
    const endpoints = await apiCall<{ items: { enabled: boolean; disabledReason: string }[] }>(
      'GET',
      `/v1/orgs/${orgId}/webhooks`,
    );
    assert.equal(endpoints.items[0]?.enabled, false);
    // The reason is the server's, shown as it gives it.
    await card.getByText(`Reason: ${endpoints.items[0]?.disabledReason}.`, { exact: false }).waitFor();
    await shoot('webhook-disabled');
    await card.getByRole('button', { name: 'Enable', exact: true }).click();
    await card.getByRole('button', { name: 'Disable', exact: true }).waitFor();
    await card.getByText('enabled', { exact: true }).waitFor();
    // Escape closes the dialog without saving.
    await card.getByRole('button', { name: `Edit ${hookUrl}` }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('outbox: an invitation the server would have mailed is listed and readable', async () => {
    await goTo('Members');
    await heading('Members');
    await page.getByLabel('E-mail').fill('lin@example.com');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByLabel('Invitation link').waitFor();
    await server.deps.jobs.drain();

    await goTo('Outbox');
    await heading('Outbox');
    await page.getByText('Mails this server would have sent.').waitFor();
    const table = page.getByRole('table', { name: 'Outbox' });
    const row = table.locator('tr', { hasText: 'lin@example.com' });
    await row.waitFor();
    await row.getByText('Invitation').waitFor();
    await shoot('outbox');

    await row.getByRole('button').click();
    const mail = page.getByRole('dialog');
    await mail.getByText('Not sent: the server kept this mail in its outbox.').waitFor();
    const text = (await mail.getByRole('region', { name: 'Mail text' }).textContent()) ?? '';
    assert.match(text, /\/accept-invite#token=/);
    assert.match(text, /Notify Chain/);
    await shoot('outbox-mail');
    await page.keyboard.press('Escape');
    await mail.waitFor({ state: 'detached' });
  });

  test('create from a notice: ?create=<token id> opens the dialog pre-filled with that token', async () => {
    const resource = await apiCall<{ id: string }>('POST', `/v1/orgs/${orgId}/resources`, {
      type: 'shard',
      name: 'testnet-1',
    });
    const old = await apiCall<{ clientId: string }>('POST', `/v1/orgs/${orgId}/tokens`, {
      name: 'nightly-backup',
      description: 'Copies the chain state every night',
      access: 'granular',
      permissions: ['blocks:read', 'accounts:read'],
      resourceIds: [resource.id],
      allowedIps: ['10.0.0.0/8'],
      rateLimit: { limit: 50, windowSeconds: 30 },
      expiresIn: '90d',
    });

    await page.goto(`${url}/orgs/${orgId}/tokens?create=${old.clientId}`);
    const dialog = page.getByRole('dialog', { name: 'Create token' });
    await dialog.getByText('Pre-filled from “nightly-backup”').waitFor();
    assert.equal(new URL(page.url()).search, '', 'the create parameter leaves the address bar');
    await shoot('create-from-notice');
    assert.equal(await dialog.getByLabel('Name').inputValue(), 'nightly-backup (renewed)');
    assert.equal(
      await dialog.getByLabel('Description (optional)').inputValue(),
      'Copies the chain state every night',
    );
    const checked = (name: RegExp) => dialog.getByRole('checkbox', { name }).getAttribute('aria-checked');
    assert.equal(await checked(/blocks:read/), 'true');
    assert.equal(await checked(/accounts:read/), 'true');
    assert.equal(await checked(/chunks:read/), 'false');
    assert.equal(await dialog.getByRole('radio', { name: '90 days' }).isChecked(), true);
    assert.equal(await dialog.getByRole('radio', { name: /^Granular/ }).isChecked(), true);
    assert.equal(await dialog.getByRole('radio', { name: /^Personal/ }).isChecked(), true);
    assert.equal(await checked(/testnet-1/), 'true');
    // The pre-filled allowlist and rate limit are in view, not folded away.
    assert.equal(await dialog.locator('details.advanced').getAttribute('open'), '');
    assert.equal(await dialog.getByLabel('Allowed IP addresses').inputValue(), '10.0.0.0/8');
    assert.equal(await dialog.getByLabel('Rate limit (requests)').inputValue(), '50');
    assert.equal(await dialog.getByLabel('per (seconds)').inputValue(), '30');

    await dialog.getByRole('button', { name: 'Create token' }).click();
    const reveal = page.getByRole('dialog', { name: /Token “nightly-backup \(renewed\)” created/ });
    await reveal.waitFor();
    const clientId = (await reveal.locator('dd.mono').first().textContent()) ?? '';
    const renewed = await apiCall<{
      permissions: string[];
      resourceIds: string[];
      allowedIps: string[];
      rateLimit: { limit: number; windowSeconds: number };
      expiresAt: string;
      createdAt: string;
    }>('GET', `/v1/orgs/${orgId}/tokens/${clientId}`);
    assert.deepEqual([...renewed.permissions].sort(), ['accounts:read', 'blocks:read']);
    assert.deepEqual(renewed.resourceIds, [resource.id]);
    assert.deepEqual(renewed.allowedIps, ['10.0.0.0/8']);
    assert.deepEqual(renewed.rateLimit, { limit: 50, windowSeconds: 30 });
    const days = (Date.parse(renewed.expiresAt) - Date.parse(renewed.createdAt)) / 86_400_000;
    assert.ok(Math.abs(days - 90) < 0.01, `the same 90-day lifetime, got ${days}`);
    await reveal.getByRole('button', { name: 'Copy' }).click();
    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'detached' });

    // The endpoint subscribed to token.* hears about it, signed.
    const createdHook = await receiver.waitFor('token.created');
    assert.equal(verifySignature(secret, createdHook.headers['latchkey-signature'], createdHook.body), true);

    // A link to a token that cannot be read says so, and the page still works.
    await page.goto(`${url}/orgs/${orgId}/tokens?create=tok_missing0000000000`);
    await page.getByText('could not be read').waitFor();
    await page.getByRole('alert').waitFor();
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await page.getByText('could not be read').waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('dialog').count(), 0);
  });

  test('settings: e-mail owners about unused tokens', async () => {
    await goTo('Settings');
    await heading('Organization settings');
    const toggle = page.getByRole('checkbox', { name: 'E-mail owners about tokens unused for 90 days' });
    assert.equal(await toggle.getAttribute('aria-checked'), 'false');
    await toggle.click();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor();
    const org = await apiCall<{ policy: { notifyUnused: boolean } }>('GET', `/v1/orgs/${orgId}`);
    assert.equal(org.policy.notifyUnused, true);
    await page.reload();
    await heading('Organization settings');
    assert.equal(await toggle.getAttribute('aria-checked'), 'true');
  });

  test('dark color scheme: webhooks and outbox', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await goTo('Webhooks');
    await endpointCard().getByRole('button', { name: 'Delivery log' }).click();
    await endpointCard().getByRole('table').waitFor();
    await shoot('webhooks-dark');
    await goTo('Outbox');
    await page.getByRole('table', { name: 'Outbox' }).waitFor();
    await shoot('outbox-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('a member who may read but not manage webhooks sees why the actions are off; their own mail in the outbox', async () => {
    const role = await apiCall<{ id: string }>('POST', `/v1/orgs/${orgId}/roles`, {
      name: 'Auditor',
      permissions: ['audit:read', 'blocks:read'],
    });
    const invite = await apiCall<{ inviteUrl: string }>('POST', `/v1/orgs/${orgId}/members`, {
      email: 'ida@example.com',
      roleId: role.id,
    });
    const inviteToken = new URLSearchParams(new URL(invite.inviteUrl).hash.slice(1)).get('token');
    assert.ok(inviteToken);
    const other = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    try {
      const joined = await other.request.post(`${url}/v1/auth/accept-invite`, {
        data: { inviteToken, password: 'auditing all day long', name: 'Ida Auditor' },
      });
      assert.ok(joined.ok(), `accept-invite answered ${joined.status()}`);
      const auditor = await other.newPage();
      auditor.on('pageerror', (error) => problems.push(`pageerror (auditor): ${error.message}`));
      await auditor.goto(`${url}/orgs/${orgId}/webhooks`);
      await auditor.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
      await auditor.getByText('Read only: adding, changing, testing and deleting endpoints needs').waitFor();
      assert.equal(await auditor.getByRole('button', { name: 'Add endpoint' }).isDisabled(), true);
      const card = auditor
        .getByRole('listitem')
        .filter({ has: auditor.getByRole('heading', { name: hookUrl }) });
      assert.equal(await card.getByRole('button', { name: 'Send test ping' }).isDisabled(), true);
      assert.equal(await card.getByRole('button', { name: `Delete ${hookUrl}` }).isDisabled(), true);
      // Reading is allowed: the delivery log opens.
      await card.getByRole('button', { name: 'Delivery log' }).click();
      await card.getByRole('table').locator('tr', { hasText: 'ping' }).waitFor();

      await server.deps.jobs.drain();
      await auditor.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Outbox' }).click();
      const table = auditor.getByRole('table', { name: 'Outbox' });
      await table.locator('tr', { hasText: 'ida@example.com' }).waitFor();
      // Not an administrator: other people's mail about the org stays hidden.
      assert.equal(await table.locator('tr', { hasText: 'lin@example.com' }).count(), 0);
    } finally {
      await other.close();
    }
  });

  test('webhooks: delete with a confirmation naming the endpoint', async () => {
    await goTo('Webhooks');
    await endpointCard()
      .getByRole('button', { name: `Delete ${hookUrl}` })
      .click();
    const confirm = page.getByRole('dialog', { name: `Delete the endpoint ${hookUrl}?` });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByText('No webhook endpoints').waitFor();
    const endpoints = await apiCall<{ items: unknown[] }>('GET', `/v1/orgs/${orgId}/webhooks`);
    assert.deepEqual(endpoints.items, []);
  });

  test('no uncaught errors or console errors along the way', () => {
    assert.deepEqual(problems, []);
  });
}
