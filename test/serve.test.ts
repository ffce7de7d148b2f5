// `latchkey serve` as a real process: flags and env, the data directory and its secret, clean shutdown.
// SQLite only: this is about the files in the data directory and the process, not the database.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createToken, setupAdmin, verify } from './helpers/factories.ts';
import { cleanUpProcesses, freePort, READY_TIMEOUT_MS, serve, stop, tempDir } from './helpers/processes.ts';
import { signIn } from './helpers/workflows.ts';

describe('latchkey serve (sqlite)', () => {
  after(async () => {
    cleanUpProcesses();
  });

  test('creates the data directory and a server-secret of mode 0600, and answers /healthz and /readyz', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const port = await freePort();
    const server = serve(['--port', String(port), '--data-dir', dataDir]);
    await server.ready;
    const url = `http://127.0.0.1:${port}`;
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    assert.ok(statSync(dataDir).isDirectory());
    const secret = statSync(join(dataDir, 'server-secret'));
    assert.equal(secret.mode & 0o777, 0o600, `server-secret mode ${(secret.mode & 0o777).toString(8)}`);
    assert.ok(secret.size >= 32);
    assert.ok(existsSync(join(dataDir, 'latchkey.db')), 'SQLite in the data directory');
    assert.deepEqual(await stop(server), { code: 0, signal: null });
  });

  test('flags win over PORT and HOST from the environment', async () => {
    const dataDir = tempDir();
    const [flagPort, envPort] = [await freePort(), await freePort()];
    const server = serve(['--port', String(flagPort), '--host', '127.0.0.1', '--data-dir', dataDir], {
      PORT: String(envPort),
      HOST: '0.0.0.0',
    });
    await server.ready;
    assert.equal((await fetch(`http://127.0.0.1:${flagPort}/healthz`)).status, 200);
    await assert.rejects(fetch(`http://127.0.0.1:${envPort}/healthz`));
    assert.deepEqual(await stop(server), { code: 0, signal: null });
  });

  test('PORT, HOST and LATCHKEY_DATA_DIR from the environment work without flags', async () => {
    const dataDir = join(tempDir(), 'from-env');
    const port = await freePort();
    const server = serve([], { PORT: String(port), HOST: '127.0.0.1', LATCHKEY_DATA_DIR: dataDir });
    await server.ready;
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    assert.ok(existsSync(join(dataDir, 'server-secret')));
    assert.ok(existsSync(join(dataDir, 'latchkey.db')));
    assert.deepEqual(await stop(server, 'SIGINT'), { code: 0, signal: null });
  });

  test('SIGTERM exits 0 and flushes pending usage, which is there after a restart', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // Only the shutdown flush can write usage within this test.
    const env = { USAGE_FLUSH_INTERVAL_MS: '60000' };
    const first = serve(['--port', String(port), '--data-dir', dataDir], env);
    await first.ready;
    const admin = await setupAdmin(url);
    const token = await createToken(admin);
    for (let i = 0; i < 3; i++) {
      const answer = await verify(url, { token: token.token, permission: 'blocks:read' });
      assert.equal(answer.body.valid, true, JSON.stringify(answer.body));
    }
    const before = await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${token.id}`);
    assert.equal(before.body.useCount, 0, 'not flushed before the shutdown');
    assert.equal(before.body.lastUsedAt, null);
    const exit = await stop(first);
    assert.deepEqual(exit, { code: 0, signal: null }, first.output());

    const second = serve(['--port', String(port), '--data-dir', dataDir], env);
    await second.ready;
    const client = await signIn(url, admin.email);
    const afterRestart = await client.get(`/v1/orgs/${admin.orgId}/tokens/${token.id}`);
    assert.equal(afterRestart.status, 200, JSON.stringify(afterRestart.body));
    assert.equal(afterRestart.body.useCount, 3);
    assert.equal(afterRestart.body.lastUsedIp, '127.0.0.1');
    assert.ok(afterRestart.body.lastUsedAt !== null);
    assert.ok(Date.parse(afterRestart.body.lastUsedAt) <= Date.now());
    // The kept server secret still recognizes the token.
    assert.equal((await verify(url, { token: token.token, permission: 'blocks:read' })).body.valid, true);
    assert.deepEqual(await stop(second), { code: 0, signal: null });
  });

  test('a bad LATCHKEY_TOKEN_PREFIX exits non-zero with a message naming the variable', async () => {
    const dataDir = join(tempDir(), 'never');
    const port = await freePort();
    const server = serve(['--port', String(port), '--data-dir', dataDir], {
      LATCHKEY_TOKEN_PREFIX: 'Bad-Prefix!',
    });
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      server.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still running:\n${server.output()}`)), READY_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.notEqual(exit.code, 0);
    assert.notEqual(exit.code, null);
    assert.match(server.output(), /LATCHKEY_TOKEN_PREFIX must be 2-10 characters/);
    assert.doesNotMatch(server.output(), /at .*\.ts:\d+/, 'a message, not a stack trace');
    assert.equal(existsSync(dataDir), false, 'nothing created');
  });
});
