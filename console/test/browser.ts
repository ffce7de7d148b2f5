// What the console's end-to-end tests share: Debian's Chromium driven by playwright-core, a fresh
// console/dist, and the screenshots in console/test-output/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

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
