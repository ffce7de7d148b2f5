// Runs every *.test.ts of every part with Node's own runner (through tsx), each file in its own process,
// two files at a time (TEST_CONCURRENCY overrides): every file starts its own servers on free ports with
// their own data directory or PostgreSQL database, so files do not share state.
// Node 20's --test does not expand globs, so the files are listed here, slowest first by the times the
// last run recorded (node_modules/.cache/latchkey/test-times.json), so a long file does not start last.
// The whole suite runs `npm run build` first.
// Arguments are substrings of file paths: `node scripts/run-tests.mjs test/gateway`.
// After the run it prints the slowest files; with CI=true a skipped test fails the run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const skip = new Set(['node_modules', 'dist', 'test-output', 'data']);
const timesPath = join(root, 'node_modules', '.cache', 'latchkey', 'test-times.json');

function find(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (skip.has(name) || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function readJson(path, fallback) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return fallback;
  }
}

const filter = process.argv.slice(2);
let files = find(root, []).map((path) => relative(root, path));
if (filter.length > 0) files = files.filter((f) => filter.some((part) => f.includes(part)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const times = readJson(timesPath, {});
files.sort((a, b) => (times[b] ?? 0) - (times[a] ?? 0) || a.localeCompare(b));

// Build what is stale (the SDK, the server bundle, the console) once, before two browser tests could each
// find the console stale and rebuild it while the other serves it. Each step is a no-op when fresh; a
// run of a few other files leaves it to them (the CLI falls back to the sources when the bundle is stale).
const browserTests = files.filter((file) =>
  readFileSync(join(root, file), 'utf8').includes("'./browser.ts'"),
);
if (filter.length === 0 || browserTests.length > 1) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const built = spawnSync(npm, ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  // A failed build (a half-edited source) fails only the tests that need it, so the run goes on.
  if (built.status !== 0) console.error('npm run build failed (above): the tests that need it will fail');
}

const concurrency = Number(process.env.TEST_CONCURRENCY ?? Math.max(2, Math.min(4, availableParallelism())));
const work = mkdtempSync(join(tmpdir(), 'latchkey-run-tests-'));
const summaryPath = join(work, 'summary.json');
const started = performance.now();
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    // Node applies the timeout to each file's process too, not only to each test: a file as a whole
    // may take this long (a loaded machine runs the longest ones for minutes).
    '--test-timeout=300000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${pathToFileURL(join(root, 'scripts/test-summary-reporter.mjs')).href}`,
    `--test-reporter-destination=${summaryPath}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
const seconds = (performance.now() - started) / 1000;
const summary = readJson(summaryPath, { files: [], skipped: [] });
rmSync(work, { recursive: true, force: true });

const slowest = [...summary.files].sort((a, b) => b.seconds - a.seconds);
console.log(
  `\n${files.length} files in ${seconds.toFixed(0)} s (${concurrency} at a time); slowest:\n${slowest
    .slice(0, 8)
    .map(({ file, seconds: s }) => `  ${s.toFixed(1).padStart(6)} s  ${relative(root, resolve(root, file))}`)
    .join('\n')}`,
);
for (const { file, seconds: s } of summary.files) times[relative(root, resolve(root, file))] = s;
try {
  mkdirSync(dirname(timesPath), { recursive: true });
  writeFileSync(timesPath, `${JSON.stringify(times, null, 1)}\n`);
} catch {
  // Only the order of the next run depends on it.
}

let status = result.status ?? 1;
if (process.env.CI === 'true' && summary.skipped.length > 0) {
  console.error(
    `\nCI=true: ${summary.skipped.length} skipped test(s) count as failures:\n${summary.skipped
      .map(({ file, name, reason }) => `  ${relative(root, file)}: ${name}${reason ? ` (${reason})` : ''}`)
      .join('\n')}`,
  );
  status = 1;
}
process.exit(status);
