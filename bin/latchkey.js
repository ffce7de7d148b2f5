#!/usr/bin/env node
// The long-running commands (serve, migrate, gateway) run the bundle dist/latchkey.mjs (built by
// `npm install` and `npm start`) when it is newer than every source file: it starts about a second sooner.
// Otherwise, and for the short commands that load only a little code, the TypeScript sources run through
// tsx, so an edited checkout never runs stale code.
import { readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'dist', 'latchkey.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    const sources = ['server', 'cli', join('packages', 'sdk', 'src')].map((dir) =>
      newestSource(join(root, dir)),
    );
    return built >= Math.max(...sources) && process.env.LATCHKEY_FROM_SOURCE !== '1';
  } catch {
    return false;
  }
}

// Node 22.1 and later keep V8's compiled code between runs (in the system's temporary directory): a
// start skips compiling the bundle again. Node 20 has no such cache.
module.enableCompileCache?.();

const longRunning = new Set(['serve', 'migrate', 'gateway']);
if (longRunning.has(process.argv[2] ?? '') && bundleIsFresh()) {
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
