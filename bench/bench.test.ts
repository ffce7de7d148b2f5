// Proves that `npm run bench -- --quick` still runs end to end and prints its table.
// It asserts nothing about speed: CI machines differ, and other tests may run beside it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

test('the quick benchmark runs and prints one table', { timeout: 300_000 }, () => {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', '--quick', '--no-postgres', '--seconds', '1'],
    { cwd: root, encoding: 'utf8', timeout: 280_000 },
  );
  const output = `${result.stdout}\n${result.stderr}`;
  assert.equal(result.status, 0, output);
  assert.match(result.stdout, /^case\s+db\s+value\s+unit/m, output);
  for (const name of [
    'ceiling: bare Fastify POST',
    'verify, warm',
    'verify, cold',
    'verify, malformed',
    'create token',
    'list ',
    'start-up',
  ]) {
    assert.ok(result.stdout.includes(name), `the table lacks "${name}":\n${output}`);
  }
});
