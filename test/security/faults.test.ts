// An operator's worst day: the process killed mid-write, the database gone, the disk full.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { ApiClient } from '../helpers/client.ts';
import { postgresAdminUrl, postgresUnavailable } from '../helpers/dialects.ts';
import { createToken, setupAdmin, unique, verify } from '../helpers/factories.ts';
import { cleanUpProcesses, freePort, serve, stop, tempDir } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/workflows.ts';

after(() => cleanUpProcesses());

describe('SIGKILL during a stream of creates and revokes (SQLite)', () => {
  test('after a restart every acknowledged create verifies, every acknowledged revoke holds, nothing is half-written', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const args = ['--port', String(port), '--data-dir', dataDir];
    const env = { USAGE_FLUSH_INTERVAL_MS: '50', LOGIN_ATTEMPTS_PER_MINUTE: '1000' };
    const url = `http://127.0.0.1:${port}`;
    let server = serve(args, env);
    await server.ready;
    const admin = await setupAdmin(url);
    const bearer = admin.client.withToken(
      (await createToken(admin, { access: 'full', permissions: undefined })).token,
    );

    const created = new Map<string, string>(); // id -> value, acknowledged
    const revoked = new Set<string>(); // acknowledged
    let stopped = false;
    const worker = async () => {
      while (!stopped) {
        try {
          const answer = await bearer.post(`/v1/orgs/${admin.orgId}/tokens`, {
            name: unique('k'),
            access: 'granular',
            permissions: ['blocks:read'],
            expiresIn: '1d',
          });
          if (answer.status !== 201) continue;
          created.set(answer.body.clientId, answer.body.token);
          if (created.size % 2 === 0) {
            const gone = await bearer.delete(`/v1/orgs/${admin.orgId}/tokens/${answer.body.clientId}`);
            if (gone.status === 200) revoked.add(answer.body.clientId);
          }
        } catch {
          return; // the process is gone
        }
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    await waitFor(() => created.size >= 40 && revoked.size >= 15, { timeoutMs: 20_000, what: 'load' });
    const exit = await stop(server, 'SIGKILL');
    stopped = true;
    await Promise.all(workers);
    assert.equal(exit.signal, 'SIGKILL');

    // The database file as the killed process left it: consistent, no token without its secret and audit event.
    const file = new SQLite(join(dataDir, 'latchkey.db'));
    try {
      assert.equal(file.pragma('integrity_check', { simple: true }), 'ok');
      const orphans = file
        .prepare(
          `select t.id from tokens t
           where not exists (select 1 from token_secrets s where s.token_id = t.id)
              or not exists (select 1 from audit_events e where e.target_id = t.id and e.action = 'token.created')`,
        )
        .all();
      assert.deepEqual(orphans, [], 'tokens without a secret row or a creation event');
      const unaudited = file
        .prepare(
          `select t.id from tokens t where t.status = 'revoked'
           and not exists (select 1 from audit_events e where e.target_id = t.id and e.action = 'token.revoked')`,
        )
        .all();
      assert.deepEqual(unaudited, [], 'revocations without their event');
      const strays = file
        .prepare(
          'select s.token_id from token_secrets s where not exists (select 1 from tokens t where t.id = s.token_id)',
        )
        .all();
      assert.deepEqual(strays, [], 'secrets of no token');
    } finally {
      file.close();
    }

    server = serve(args, env);
    await server.ready;
    for (const [id, value] of created) {
      const answer = await verify(url, { token: value, permission: 'blocks:read' });
      if (revoked.has(id)) assert.deepEqual(answer.body, { valid: false, code: 'REVOKED' }, id);
      else
        assert.ok(
          answer.body.valid === true || answer.body.code === 'REVOKED',
          `${id}: ${JSON.stringify(answer.body)}`,
        );
      // A create whose revoke was not acknowledged may or may not be revoked; either is whole.
    }
    const signedIn = new ApiClient(url);
    assert.equal(
      (
        await signedIn.post('/v1/auth/login', {
          email: admin.email,
          password: 'correct horse battery staple',
        })
      ).status,
      200,
    );
    await stop(server);
  });
});

const pgReason = await postgresUnavailable();

describe('the PostgreSQL database becomes unreachable', { skip: pgReason }, () => {
  let server: TestServer;
  after(async () => {
    if (server?.databaseUrl) await allowConnections(server.databaseUrl, true).catch(() => {});
    await server?.close();
  });

  async function allowConnections(databaseUrl: string, allow: boolean) {
    const name = new URL(databaseUrl).pathname.slice(1);
    const client = new pg.Client({ connectionString: postgresAdminUrl });
    await client.connect();
    try {
      // Only this test's own database: the PostgreSQL server itself, and everyone else's databases, stay up.
      await client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`);
      if (!allow) {
        await client.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [name],
        );
      }
    } finally {
      await client.end();
    }
  }

  test('verify answers 503 UNAVAILABLE for uncached tokens and never valid:true for a revoked one; readyz says not ready; it recovers alone', async () => {
    server = await startServer({ dialect: 'postgres', env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
    const admin = await setupAdmin(server.url);
    const cached = await createToken(admin);
    const uncached = await createToken(admin);
    const doomed = await createToken(admin);
    for (const t of [cached, doomed])
      assert.equal((await verify(server.url, { token: t.token })).body.valid, true);
    assert.equal((await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${doomed.id}`)).status, 200);

    await allowConnections(server.databaseUrl as string, false);
    try {
      const answer = await verify(server.url, { token: uncached.token });
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.equal(answer.body.error.code, 'UNAVAILABLE');
      for (let i = 0; i < 5; i++) {
        const again = await verify(server.url, { token: doomed.token });
        assert.notEqual(again.body.valid, true, 'a revoked token is never valid');
        assert.ok(again.status === 503 || again.body.code === 'REVOKED', JSON.stringify(again.body));
      }
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { error: { code: string } }).error.code, 'UNAVAILABLE');
      const list = await admin.client.get(`/v1/orgs/${admin.orgId}/tokens`);
      assert.equal(list.status, 503, JSON.stringify(list.body));
      assert.equal(list.body.error.code, 'UNAVAILABLE');
    } finally {
      await allowConnections(server.databaseUrl as string, true);
    }
    await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200, {
      timeoutMs: 15_000,
      what: 'ready again',
    });
    await waitFor(async () => (await verify(server.url, { token: uncached.token })).body.valid === true, {
      timeoutMs: 15_000,
      what: 'verify to work again',
    });
    assert.equal((await verify(server.url, { token: doomed.token })).body.code, 'REVOKED');
    assert.equal((await admin.client.get(`/v1/orgs/${admin.orgId}/tokens`)).status, 200);
  });
});

/** A small tmpfs when this process may mount one (root); otherwise SQLite's max_page_count on the connection. */
function mountSmallDisk(dir: string): boolean {
  if (process.getuid?.() !== 0 || process.platform !== 'linux' || process.env.FAULTS_NO_TMPFS) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('a full disk under SQLite', () => {
  const dir = tempDir();
  const mounted = mountSmallDisk(dir);
  let server: TestServer;
  after(async () => {
    await server?.close().catch(() => {});
    if (mounted) execFileSync('umount', ['-l', dir]);
  });

  test(`writes answer 503 UNAVAILABLE, nothing is half-written, and it works again once there is room (${mounted ? 'tmpfs' : 'max_page_count'})`, async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    server = await startServer({ dataDir, keepData: true, env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
    const admin = await setupAdmin(server.url);
    const before = await createToken(admin);
    const filler = join(dir, 'filler');
    if (mounted) {
      // Fill the disk to the last byte.
      try {
        for (let i = 0; i < 10_000; i++) writeFileSync(filler, Buffer.alloc(16 * 1024), { flag: 'a' });
      } catch {}
      try {
        for (let i = 0; i < 100_000; i++) writeFileSync(filler, Buffer.alloc(512), { flag: 'a' });
      } catch {}
    } else {
      const pages = await sql<Record<string, number>>`pragma page_count`.execute(server.deps.db);
      const count = Number(Object.values(pages.rows[0] ?? {})[0]);
      await sql.raw(`pragma max_page_count = ${count}`).execute(server.deps.db);
    }
    const tokensBefore = await server.deps.db.selectFrom('tokens').select('id').execute();

    let refused: { status: number; body: { error?: { code: string; message: string } } } | undefined;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const answer = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
        name: unique('full'),
        access: 'granular',
        permissions: ['blocks:read'],
        description: 'x'.repeat(1000),
      });
      if (answer.status !== 201) refused = answer;
    }
    assert.ok(refused, 'the disk filled up');
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error?.code, 'UNAVAILABLE');
    assert.match(refused.body.error?.message ?? '', /storage/);
    // Reads and verification of existing tokens go on.
    assert.equal((await verify(server.url, { token: before.token })).body.valid, true);
    assert.equal((await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${before.id}`)).status, 200);

    if (mounted) unlinkSync(filler);
    else await sql.raw('pragma max_page_count = 1073741823').execute(server.deps.db);
    const integrity = await sql<Record<string, string>>`pragma integrity_check`.execute(server.deps.db);
    assert.deepEqual(Object.values(integrity.rows[0] ?? {}), ['ok']);
    const orphans = await sql<{ id: string }>`select t.id from tokens t where not exists
      (select 1 from token_secrets s where s.token_id = t.id)`.execute(server.deps.db);
    assert.deepEqual(orphans.rows, []);
    assert.ok(
      (await server.deps.db.selectFrom('tokens').select('id').execute()).length >= tokensBefore.length,
    );
    const after = await createToken(admin);
    assert.equal((await verify(server.url, { token: after.token })).body.valid, true);
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
