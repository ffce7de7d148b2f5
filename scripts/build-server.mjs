// Bundles the CLI and server (TypeScript) into dist/latchkey.mjs, so `latchkey serve` starts without
// compiling on the fly (tsx's loader costs more than a second at start-up). Dependencies stay external.
// bin/latchkey.js uses the bundle only while it is newer than every source file, so an edited checkout
// never runs stale code.
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// Dependencies are bundled too (loading them module by module was a third of start-up), except the native
// SQLite driver, what the CLI loads only for other commands, the build and test tools, and what the server
// imports only on first use (the mail parser and QR codes: a quarter of the bundle's bytes, read and
// compiled at every start for nothing; esbuild's code splitting would keep them in chunks, but it broke
// the CommonJS interop of @fastify/cookie's `cookie`).
// LATCHKEY_BUNDLE_DEPENDENCIES=0 keeps every dependency external (to compare).
const keepExternal = new Set([
  'better-sqlite3',
  'pg-native',
  'esbuild',
  'tsx',
  'typescript',
  'mailparser',
  'qrcode',
]);
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
await build({
  entryPoints: [join(root, 'cli/main.ts')],
  outfile: join(outdir, 'latchkey.mjs'),
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
// Files the code reads next to itself (new URL('./x', import.meta.url)) must sit next to the bundle.
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
for (const [name, path] of assets) copyFileSync(path, join(outdir, name));
