// Builds @latchkey/sdk (packages/sdk) to dist/: ESM JavaScript, .d.ts and source maps (tsc). Run by
// postinstall (skipped while dist/ is newer than every source file), by `npm run build` and by the
// package's prepack, so `npm pack` always ships a fresh build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sdk = fileURLToPath(new URL('../packages/sdk/', import.meta.url));
const dist = join(sdk, 'dist');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const fresh =
  existsSync(join(dist, 'index.js')) &&
  newest(dist) >= Math.max(newest(join(sdk, 'src')), statSync(join(sdk, 'tsconfig.build.json')).mtimeMs);
if (fresh && !process.argv.includes('--force') && process.env.npm_lifecycle_event !== 'prepack') {
  process.exit(0);
}
rmSync(dist, { recursive: true, force: true });
const tsc = fileURLToPath(import.meta.resolve('typescript/bin/tsc'));
const result = spawnSync(process.execPath, [tsc, '-p', join(sdk, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
