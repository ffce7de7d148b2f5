// What the console's end-to-end tests share: Debian's Chromium driven by playwright-core, a fresh
// console/dist, and the screenshots in console/test-output/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { startServer, type TestServer } from '../../test/helpers/server.ts';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const consoleDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = join(consoleDir, '..');
export const outDir = join(consoleDir, 'test-output');
const WIDTHS = [375, 1440] as const;

/**
 * Whether Chromium is installed. When it is not, registers one test under `name` that skips, or fails
 * when `CI=true` (CI must install it).
 */
export function chromiumOrSkip(name: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  test(name, (t) => {
    if (process.env.CI === 'true') assert.fail(`chromium not found at ${CHROMIUM}; CI must install it`);
    t.skip(`chromium not found at ${CHROMIUM}`);
  });
  return false;
}

/** The newest modification time under a directory. */
function newest(dir: string): number {
  let max = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    max = Math.max(max, st.isDirectory() ? newest(path) : st.mtimeMs);
  }
  return max;
}

/** Builds console/dist when it is missing or older than the sources. */
function ensureBuilt(): void {
  const index = join(consoleDir, 'dist', 'index.html');
  // The console bundles the SDK's browser entry from its sources, so a change there rebuilds it too.
  const sources = Math.max(
    newest(join(consoleDir, 'src')),
    newest(join(repoDir, 'packages', 'sdk', 'src')),
    statSync(join(consoleDir, 'index.html')).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const built = spawnSync(npm, ['run', 'build'], { cwd: consoleDir, encoding: 'utf8' });
  assert.equal(built.status, 0, `console build failed:\n${built.stdout}\n${built.stderr}`);
}

/** Creates console/test-output and builds console/dist when it is missing or stale. */
export function prepare(): void {
  mkdirSync(outDir, { recursive: true });
  ensureBuilt();
}

/** Launches headless Chromium. */
export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * A 1440×900 context allowed to use the clipboard (15 s default timeout), and its first page. Uncaught
 * exceptions and console errors (a CSP violation, a React warning) are pushed to `problems`; failed
 * requests are expected (401 before sign-in, 409 for a duplicate name) and left out.
 */
export async function openPage(
  browser: Browser,
  problems: string[],
  options: { acceptDownloads?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    ...options,
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${message.text()}`);
    }
  });
  return { context, page };
}

/**
 * Saves the page at 375 px and 1440 px as `<name>-<width>.png`, then restores 1440 px. With
 * `checkOverflow`, fails when the page overflows sideways at either width.
 */
export async function screenshots(
  page: Page,
  name: string,
  options: { checkOverflow?: boolean } = {},
): Promise<void> {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: width < 800 ? 812 : 900 });
    if (options.checkOverflow) {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name} at ${width} px overflows sideways by ${overflow} px`);
    }
    await page.screenshot({ path: join(outDir, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

/** Waits for the page's level-1 heading. */
export function waitForHeading(page: Page, name: string | RegExp): Promise<void> {
  return page.getByRole('heading', { level: 1, name }).waitFor();
}

/** Follows a link of the main navigation. */
export async function navigate(page: Page, label: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: label, exact: true })
    .click();
}

/** A fresh server, a browser, and a page signed in as the first user, with the API as that person. */
export interface SignedInConsole {
  server: TestServer;
  page: Page;
  orgId: string;
  /** The API as the signed-in person: the page's own cookies, plus the CSRF header; fails on a non-2xx. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** `POST /v1/verify`, as an application would call it (no cookies). */
  verify(body: Record<string, unknown>): Promise<{ valid: boolean; code?: string }>;
  /** Closes the browser and the server. */
  close(): Promise<void>;
}

/**
 * Builds the console if needed, starts a server on fresh SQLite and Chromium, and sets up the first user
 * and their org "Acme Chain" through the page's own request context (so the page is signed in).
 */
export async function startSignedInConsole(
  admin: { name: string; email: string; password: string },
  problems: string[],
  serverOptions: Parameters<typeof startServer>[0] = {},
): Promise<SignedInConsole> {
  prepare();
  const server = await startServer(serverOptions);
  const browser = await launch();
  const { page } = await openPage(browser, problems);
  const setup = await page.request.post(`${server.url}/v1/setup`, {
    data: { ...admin, orgName: 'Acme Chain' },
  });
  assert.equal(setup.status(), 201, await setup.text());
  const orgId: string = (await setup.json()).orgs[0].id;
  const csrf: string = (await (await page.request.get(`${server.url}/v1/auth/session`)).json()).csrfToken;
  return {
    server,
    page,
    orgId,
    async api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await page.request.fetch(`${server.url}${path}`, {
        method,
        headers: { 'x-csrf-token': csrf, origin: server.url },
        ...(body !== undefined && { data: body }),
      });
      const text = await response.text();
      assert.ok(response.ok(), `${method} ${path} answered ${response.status()}: ${text}`);
      return (text ? JSON.parse(text) : null) as T;
    },
    async verify(body) {
      const response = await fetch(`${server.url}/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await response.json()) as { valid: boolean; code?: string };
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
