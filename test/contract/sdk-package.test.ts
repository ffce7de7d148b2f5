// @latchkey/sdk as a user outside this repository gets it (issue 14): `npm pack`, installed from the
// tarball into a fresh project beside Express 5, Hono (@hono/node-server) and Fastify with docs/sdk.md's
// own install line; plain `node` runs docs/sdk.md's import lines and imports every subpath, `tsc --noEmit`
// (strict, nodenext) passes on those lines and on a file using the documented API, the browser entry
// bundles for the browser with no Node built-in, and the middleware protects a route against a real server.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bundleForBrowser } from '../../packages/sdk/test/helpers/browser-bundle.ts';
import { createToken, setupAdmin } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const run = promisify(execFile);
const sdkDir = fileURLToPath(new URL('../../packages/sdk/', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const SUBPATHS = [
  '@latchkey/sdk',
  '@latchkey/sdk/fastify',
  '@latchkey/sdk/express',
  '@latchkey/sdk/hono',
  '@latchkey/sdk/rules',
  '@latchkey/sdk/browser',
];

// docs/sdk.md as a reader copies it: its install command and every line importing the SDK.
const guide = readFileSync(fileURLToPath(new URL('../../docs/sdk.md', import.meta.url)), 'utf8');
const installLine = /```sh\n(npm install @latchkey\/sdk)\n/.exec(guide)?.[1];
const importLines = [...new Set(guide.match(/^import .* from '@latchkey\/sdk[^']*';$/gm) ?? [])];

describe('@latchkey/sdk from its tarball', () => {
  let project: string;
  let tarball: string;

  before(async () => {
    project = mkdtempSync(join(tmpdir(), 'latchkey-consumer-'));
    const packed = await run(npm, ['pack', '--json', '--pack-destination', project], { cwd: sdkDir });
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    assert.ok(info);
    tarball = join(project, info.filename);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    // From the local npm cache where it can (the registry is reachable for what is missing).
    // The guide's install line, with the tarball standing for the registry's @latchkey/sdk.
    assert.equal(installLine, 'npm install @latchkey/sdk', "docs/sdk.md's install line");
    const [command = '', subcommand = '', ...packages] = (installLine ?? '').split(' ');
    assert.equal(command, 'npm');
    await run(
      npm,
      [
        subcommand,
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--no-package-lock',
        ...packages.map((name) => (name === '@latchkey/sdk' ? tarball : name)),
        'express@5',
        'hono@4',
        '@hono/node-server@1',
        'fastify@5',
        'typescript@5',
        '@types/node@20',
        '@types/express@5',
      ],
      { cwd: project, maxBuffer: 1 << 24 },
    );
  });
  after(() => rmSync(project, { recursive: true, force: true }));

  test('the tarball holds the build (JavaScript, .d.ts, source maps), the README and CHANGELOG, no TypeScript sources', async () => {
    const listed = await run('tar', ['-tzf', tarball]);
    const files = listed.stdout.split('\n').filter(Boolean);
    for (const file of [
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/index.js.map',
      'package/dist/rules/index.js',
      'package/README.md',
      'package/CHANGELOG.md',
    ]) {
      assert.ok(files.includes(file), file);
    }
    assert.deepEqual(
      files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')),
      [],
    );
  });

  test('plain node imports every documented subpath', async () => {
    for (const subpath of SUBPATHS) {
      const { stdout } = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import('${subpath}'); console.log(Object.keys(m).length)`,
        ],
        { cwd: project },
      );
      assert.ok(Number(stdout) > 0, subpath);
    }
  });

  test("docs/sdk.md's import lines run in plain node (tsc compiles them with api.ts below)", async () => {
    assert.ok(importLines.length >= 5, 'the guide imports the SDK');
    // One process: each line as a dynamic import, every name it imports (type-only ones aside) checked.
    const checks = importLines.map((line) => {
      const [, names = '', from = ''] = /^import \{([^}]*)\} from '([^']+)';$/.exec(line) ?? [];
      const values = names
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '' && !name.startsWith('type '));
      return { line, from, values };
    });
    const script = `const checks = ${JSON.stringify(checks)};
for (const { line, from, values } of checks) {
  const m = await import(from);
  for (const name of values) if (!(name in m)) throw new Error(line + ': no export ' + name);
}`;
    await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project }).catch(
      (error: { stderr?: string }) => assert.fail(error.stderr ?? String(error)),
    );
  });

  test('the browser entry of the tarball bundles for the browser with no Node built-in', async () => {
    const entry = join(project, 'node_modules/@latchkey/sdk/dist/browser.js');
    const bundle = await bundleForBrowser(entry);
    assert.match(bundle, /\bLatchkeyClient = class\b/);
    // …while the Node entry cannot: the check refuses what a page could not load.
    await assert.rejects(
      bundleForBrowser(join(project, 'node_modules/@latchkey/sdk/dist/index.js')),
      /node:crypto/,
    );
  });

  test('the browser-safe entries import no Node built-in', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /from ['"]node:/, file);
      for (const [, relative] of text.matchAll(/from ['"](\.[^'"]+)['"]/g))
        visit(join(file, '..', relative ?? ''));
    };
    visit(join(project, 'node_modules/@latchkey/sdk/dist/rules/index.js'));
    visit(join(project, 'node_modules/@latchkey/sdk/dist/browser.js'));
    assert.ok(![...seen].some((file) => file.endsWith('cache.js')), 'the browser entry reaches the cache');
  });

  test("tsc --noEmit (strict, nodenext) passes on docs/sdk.md's import lines and code using the documented API", async () => {
    // Each import line of the guide in a file of its own (they import the same names from several subpaths).
    const guideFiles = importLines.map((line, i) => {
      writeFileSync(join(project, `guide-import-${i}.ts`), `${line}\nexport {};\n`);
      return `guide-import-${i}.ts`;
    });
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          noEmit: true,
          types: ['node'],
        },
        files: ['api.ts', ...guideFiles],
      }),
    );
    writeFileSync(
      join(project, 'api.ts'),
      `import Fastify from 'fastify';
import express from 'express';
import { Hono } from 'hono';
import { Latchkey, LatchkeyError, isWellFormedToken, type TokenInfo, type VerifyResult } from '@latchkey/sdk';
import { requireToken as fastifyToken } from '@latchkey/sdk/fastify';
import { requireToken as expressToken } from '@latchkey/sdk/express';
import { requireToken as honoToken, type LatchkeyVariables } from '@latchkey/sdk/hono';
import { tokenHint, readBearer } from '@latchkey/sdk/rules';
import { LatchkeyClient, isTwoFactorChallenge, type Session } from '@latchkey/sdk/browser';

const latchkey = new Latchkey({ baseUrl: 'http://127.0.0.1:4000', cache: { max: 100, ttlMs: 1000 } });
export async function check(token: string): Promise<string> {
  const result: VerifyResult = await latchkey.verify(token, { permission: 'blocks:read' });
  return result.valid ? result.token.id : result.code;
}
export const describeToken = (info: TokenInfo) => \`\${info.name} \${tokenHint('lk_' + 'a'.repeat(36))} \${isWellFormedToken(info.hint)}\`;
export const bearer: string | undefined = readBearer('Bearer lk_x');
export const isRefusal = (error: unknown) => error instanceof LatchkeyError && error.status === 404;
const inPage = new LatchkeyClient({ baseUrl: 'https://latchkey.example.com', credentials: 'same-origin' });
export async function signIn(email: string, password: string): Promise<Session | undefined> {
  const answer = await inPage.auth.login({ email, password });
  return isTwoFactorChallenge(answer) ? undefined : answer;
}

const fastify = Fastify();
fastify.get('/blocks', { preHandler: fastifyToken({ client: latchkey, permission: 'blocks:read' }) }, async (request) => ({ caller: request.latchkey?.id }));
const app = express();
app.get('/accounts/:id', expressToken({ client: latchkey, permission: 'accounts:read' }), (req, res) => { res.json({ caller: req.latchkey?.id }); });
const hono = new Hono<{ Variables: LatchkeyVariables }>();
hono.get('/chunks/:hash', honoToken({ client: latchkey, permission: 'chunks:read' }), (c) => c.json({ caller: c.get('latchkey').id }));
`,
    );
    const result = await run(
      process.execPath,
      [join(project, 'node_modules/typescript/bin/tsc'), '-p', project],
      { cwd: project },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? 'tsc failed' }));
    assert.equal(result.stdout.trim(), '');
  });

  describe('against a real Latchkey server', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer();
    });
    after(() => server.close());

    test('the Express, Hono and Fastify middleware refuse a missing token (401) and let a valid one through', async () => {
      const admin = await setupAdmin(server.url);
      const { token } = await createToken(admin, { permissions: ['blocks:read'] });
      writeFileSync(
        join(project, 'serve.mjs'),
        `import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { Latchkey } from '@latchkey/sdk';
import { requireToken as expressToken } from '@latchkey/sdk/express';
import { requireToken as fastifyToken } from '@latchkey/sdk/fastify';
import { requireToken as honoToken } from '@latchkey/sdk/hono';

const client = new Latchkey({ baseUrl: process.env.LATCHKEY_URL });
const app = express();
app.get('/blocks', expressToken({ client, permission: 'blocks:read' }), (req, res) => res.json({ caller: req.latchkey.id }));
const a = app.listen(0, '127.0.0.1');
await new Promise((r) => a.once('listening', r));
const fastify = Fastify();
fastify.get('/blocks', { preHandler: fastifyToken({ client, permission: 'blocks:read' }) }, async (request) => ({ caller: request.latchkey.id }));
await fastify.listen({ port: 0, host: '127.0.0.1' });
const hono = new Hono();
hono.get('/blocks', honoToken({ client, permission: 'blocks:read' }), (c) => c.json({ caller: c.get('latchkey').id }));
const h = await new Promise((r) => { const s = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' }, () => r(s)); });
console.log(JSON.stringify([a.address().port, fastify.server.address().port, h.address().port]));
`,
      );
      const child = spawn(process.execPath, ['serve.mjs'], {
        cwd: project,
        env: { ...process.env, LATCHKEY_URL: server.url },
      });
      try {
        const line = await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += String(chunk);
            if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
          });
          child.once('exit', (code) => reject(new Error(`serve.mjs exited ${code}`)));
        });
        for (const port of JSON.parse(line) as number[]) {
          const anonymous = await fetch(`http://127.0.0.1:${port}/blocks`);
          assert.equal(anonymous.status, 401, `port ${port}`);
          assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
          const allowed = await fetch(`http://127.0.0.1:${port}/blocks`, {
            headers: { authorization: `Bearer ${token}` },
          });
          assert.equal(allowed.status, 200, `port ${port}`);
        }
      } finally {
        child.kill();
      }
    });
  });
});
