// Builds the console (console/dist) when it is missing or older than its sources, so that
// `npm install && npm start` serves it without an extra step.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const consoleDir = join(root, 'console');
const index = join(consoleDir, 'dist', 'index.html');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name === 'dist' || name === 'test-output') continue;
    latest = Math.max(latest, newest(join(path, name)));
  }
  return latest;
}

if (!existsSync(join(consoleDir, 'package.json'))) process.exit(0);
// The console bundles the SDK's browser entry from its sources (vite.config.ts), so they count too.
const sources = ['src', 'index.html', 'vite.config.ts', 'package.json']
  .map((name) => join(consoleDir, name))
  .concat(join(root, 'packages', 'sdk', 'src'))
  .filter(existsSync);
const stale = !existsSync(index) || Math.max(...sources.map(newest)) > statSync(index).mtimeMs;
if (!stale) process.exit(0);
console.log('building the console (console/dist)…');
const result = spawnSync('npm', ['run', 'build', '--workspace', 'console', '--silent'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
