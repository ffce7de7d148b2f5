// `latchkey gateway --check` reads the rules file it was given (it used to look for an option of another name).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const bin = join(root, 'bin/latchkey.js');
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-gateway-check-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, timeout: 30_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });

test('gateway --check with --rules validates that file and says how many rules it holds', async () => {
  const file = join(dir, 'rules.yaml');
  await writeFile(
    file,
    'rules:\n  - match: { path: /health }\n    public: true\n  - match: { path: "/**" }\n    permission: blocks:read\n',
  );
  const good = await run(['gateway', '--upstream', 'http://127.0.0.1:9', '--rules', file, '--check']);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /rules OK: 2 rules/);
  await writeFile(file, 'rules:\n  - match: { path: /x }\n    permision: blocks:read\n');
  const bad = await run(['gateway', '--upstream', 'http://127.0.0.1:9', '--rules', file, '--check']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /line 3/);
});
