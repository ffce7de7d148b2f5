// Bundles the gateway (gateway/, TypeScript) into dist/gateway/gateway.mjs, with its dependencies (the SDK,
// undici, yaml): `latchkey gateway` runs it instead of compiling the sources on the fly, and loads one
// file instead of a few hundred modules. cli/commands/gateway.ts uses the bundle only while it is newer
// than every source file, so an edited checkout never runs stale code. The presets sit next to it.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const outdir = join(root, 'dist', 'gateway');
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [join(root, 'gateway/index.ts')],
  outfile: join(outdir, 'gateway.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Bundled CommonJS dependencies (undici) need `require` for Node's built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
});
// The presets are read next to the module that names them (new URL('./near-rpc.yaml', import.meta.url)).
const presets = join(root, 'gateway', 'presets');
for (const name of readdirSync(presets)) {
  if (/\.ya?ml$/.test(name)) copyFileSync(join(presets, name), join(outdir, name));
}
