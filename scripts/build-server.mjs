// Bundles the CLI and server (TypeScript) into dist/latchkey.mjs, so `latchkey serve` starts without
// compiling on the fly (tsx's loader costs more than a second at start-up). Dependencies stay external.
// bin/latchkey.js uses the bundle only while it is newer than every source file, so an edited checkout
// never runs stale code.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// Dependencies are bundled too (loading them module by module was a third of start-up), except the native
// SQLite driver, what the CLI loads only for other commands, and the build and test tools.
// LATCHKEY_BUNDLE_DEPENDENCIES=0 keeps every dependency external (to compare).
const keepExternal = new Set(['better-sqlite3', 'pg-native', 'esbuild', 'tsx', 'typescript']);
const bundleDependencies = process.env.LATCHKEY_BUNDLE_DEPENDENCIES !== '0';
const external = Object.keys({
  ...pkg.dependencies,
  ...pkg.devDependencies,
  ...pkg.optionalDependencies,
})
  .filter((name) => !name.startsWith('@latchkey/'))
  .filter((name) => !bundleDependencies || keepExternal.has(name) || name in (pkg.devDependencies ?? {}))
  .concat(['pg-native']);
const outdir = join(root, 'dist');
mkdirSync(outdir, { recursive: true });
// Chunks of an older build would only pile up.
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
await build({
  entryPoints: { latchkey: join(root, 'cli/main.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  // What is imported on demand (the CLI's other commands, the mail parser, QR codes) goes to chunks of
  // its own: `serve` reads and compiles only what it runs (a third of the code was never used by it).
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  sourcemap: 'linked',
  // Start-up reads, decodes and compiles this one file: whitespace and syntax minified, it is a third
  // smaller (names are kept: logs and stack traces stay readable, the source map maps them back).
  minifyWhitespace: process.env.LATCHKEY_MINIFY !== '0',
  minifySyntax: process.env.LATCHKEY_MINIFY !== '0',
  logLevel: 'warning',
  // Bundled CommonJS dependencies (none today) would need `require`.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
// Files the code reads next to itself (new URL('./x', import.meta.url)) must sit next to the bundle and
// its chunks.
const assets = new Map();
(function collect(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) collect(path);
    else if (/\.(json|ya?ml)$/.test(entry.name)) {
      if (assets.has(entry.name))
        throw new Error(`two data files named ${entry.name}: ${assets.get(entry.name)}, ${path}`);
      assets.set(entry.name, path);
    }
  }
})(join(root, 'server'));
for (const [name, path] of assets) {
  copyFileSync(path, join(outdir, name));
  copyFileSync(path, join(outdir, 'chunks', name));
}
