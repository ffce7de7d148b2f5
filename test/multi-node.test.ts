// Several `latchkey serve` processes on one PostgreSQL (issue 7): started together they migrate once;
// a revocation on one reaches the others' verify caches within a second; rate limits hold across them;
// a lost notification connection never lets a revoked token through.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { migrationNames } from '../server/db/connect.ts';
import { generateTokenValue } from '../server/tokens/token-value.ts';
import { postgresUnavailable } from './helpers/dialects.ts';
import { type AdminSession, createToken, setupAdmin, verify } from './helpers/factories.ts';
import { cleanUpProcesses, freePort, type ServeProcess, serve, stop, tempDir } from './helpers/processes.ts';
import { dropPostgresDatabase, startServer } from './helpers/server.ts';
import { waitFor } from './helpers/workflows.ts';

const unavailable = await postgresUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`CI=true needs PostgreSQL: ${unavailable}`);

async function freshDatabaseUrl(): Promise<string> {
  // startServer creates a database; we keep it and run our own processes on it.
  const server = await startServer({ dialect: 'postgres', keepData: true });
  const url = server.databaseUrl as string;
  await server.app.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Empty again, so the three processes below race to migrate it.
  await client.query('drop schema public cascade; create schema public');
  await client.end();
  return url;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

describe('several processes on one PostgreSQL', { skip: unavailable }, () => {
  let databaseUrl: string;
  const nodes: { process: ServeProcess; url: string }[] = [];
  let admin: AdminSession;
  let db: pg.Client;

  before(async () => {
    databaseUrl = await freshDatabaseUrl();
    const secret = randomBytes(32).toString('base64url');
    const started = await Promise.all(
      [0, 1, 2].map(async () => {
        const port = await freePort();
        const process = serve(['--port', String(port), '--data-dir', tempDir()], {
          DATABASE_URL: databaseUrl,
          LATCHKEY_SECRET: secret,
          VERIFY_FAILURE_LIMIT: '20',
          // The tests name end clients with verify's `ip`, as a trusted proxy may (docs/security.md).
          VERIFY_TRUSTED_PROXIES: '127.0.0.1',
        });
        return { process, url: `http://127.0.0.1:${port}` };
      }),
    );
    nodes.push(...started);
    await Promise.all(nodes.map((n) => n.process.ready));
    admin = await setupAdmin(nodes[0]!.url);
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
  });

  after(async () => {
    await db?.end().catch(() => {});
    await Promise.all(nodes.map((n) => stop(n.process).catch(() => {})));
    cleanUpProcesses();
    if (databaseUrl) await dropPostgresDatabase(databaseUrl).catch(() => {});
  });

  test('three processes started at once on an empty database migrate it once', async () => {
    const { rows } = await db.query('select name from kysely_migration order by name');
    assert.deepEqual(
      rows.map((r) => r.name),
      [...migrationNames].sort(),
    );
    for (const node of nodes) assert.equal((await fetch(`${node.url}/readyz`)).status, 200);
  });

  test('a revocation on A is refused by B and C within one second (100 revocations)', async () => {
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    const latencies: number[] = [];
    for (let i = 0; i < 100; i++) {
      const { token, id } = await createToken({ client: admin.client, orgId: admin.orgId });
      assert.equal((await verify(b.url, { token })).body.valid, true);
      assert.equal((await verify(c.url, { token })).body.valid, true);
      const revoked = await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${id}`);
      assert.equal(revoked.status, 200);
      const start = performance.now();
      assert.equal((await verify(a.url, { token })).body.code, 'REVOKED');
      await Promise.all(
        [b, c].map(async (node) => {
          for (;;) {
            const answer = await verify(node.url, { token });
            if (answer.body.code === 'REVOKED') return;
            assert.ok(performance.now() - start < 1000, `still ${JSON.stringify(answer.body)} after 1 s`);
          }
        }),
      );
      latencies.push(performance.now() - start);
    }
    latencies.sort((x, y) => x - y);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(
      `revocation reaches B and C: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms`,
    );
    assert.ok(p99 < 1000);
  });

  test('a token created on A is valid on B and C at once, and unknown values cost B no read (the membership filter)', async () => {
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    const reads = async (url: string) =>
      Number(
        /^latchkey_verify_database_reads (\d+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1],
      );
    // Each process builds its filter once it listens; a filter that is not built yet is not used.
    await waitFor(
      async () => {
        const before = await reads(b.url);
        for (let i = 0; i < 5; i++) {
          await verify(b.url, { token: generateTokenValue('lk'), ip: `10.9.0.${i + 1}` });
        }
        return (await reads(b.url)) - before < 5;
      },
      { timeoutMs: 10_000, what: "B's membership filter" },
    );
    // Created on A (the one that issued it), asked of B and C with no pause: never NOT_FOUND.
    for (let i = 0; i < 50; i++) {
      const { token } = await createToken({ client: admin.client, orgId: admin.orgId });
      const answers = await Promise.all([b, c].map((node) => verify(node.url, { token })));
      for (const answer of answers) assert.equal(answer.body.valid, true, JSON.stringify(answer.body));
      assert.equal((await verify(a.url, { token })).body.valid, true);
    }
    // Never-seen values: answered NOT_FOUND by B from its filter, with (almost) no database reads. (Each
    // from its own end client: the failure limit here is 20 a minute per address.)
    const before = await reads(b.url);
    for (let i = 0; i < 100; i++) {
      const answer = await verify(b.url, { token: generateTokenValue('lk'), ip: `10.9.1.${i + 1}` });
      assert.equal(answer.body.code, 'NOT_FOUND');
    }
    const perRequest = ((await reads(b.url)) - before) / 100;
    assert.ok(perRequest <= 0.1, `B read the database for ${perRequest} of unknown values`);
  });

  test('a rate limit of 10 per minute holds across the three processes', async () => {
    const { token } = await createToken(
      { client: admin.client, orgId: admin.orgId },
      { rateLimit: { limit: 10, windowSeconds: 60 } },
    );
    let valid = 0;
    let limited = 0;
    for (let i = 0; i < 30; i++) {
      const answer = await verify(nodes[i % 3]!.url, { token });
      if (answer.body.valid) valid++;
      else if (answer.body.code === 'RATE_LIMITED') limited++;
    }
    assert.equal(valid, 10);
    assert.equal(limited, 20);
  });

  test('failed verifications from one address are counted across the processes', async () => {
    // 20 failures spread over the processes: none reaches the limit of 20 on its own count.
    for (let i = 0; i < 20; i++) {
      const answer = await verify(nodes[i % 3]!.url, {
        token: generateTokenValue('lk'),
        ip: '198.51.100.99',
      });
      assert.equal(answer.body.code, 'NOT_FOUND');
    }
    // Within a counter flush (100 ms; the deadline leaves room for a loaded machine) every process refuses
    // the address, valid tokens included.
    const { token } = await createToken({ client: admin.client, orgId: admin.orgId });
    for (const node of nodes) {
      const throttled = await waitFor(
        async () => {
          const answer = await verify(node.url, { token, ip: '198.51.100.99' });
          return answer.status === 429 ? answer : undefined;
        },
        { timeoutMs: 10_000, what: 'a 429 for the address' },
      );
      assert.equal(throttled.body.error.code, 'RATE_LIMITED');
    }
    assert.equal((await verify(nodes[0]!.url, { token, ip: '198.51.100.100' })).body.valid, true);
  });

  test('a killed notification connection: no revoked token is accepted, and the process recovers', async () => {
    const { token, id } = await createToken({ client: admin.client, orgId: admin.orgId });
    for (const node of nodes) assert.equal((await verify(node.url, { token })).body.valid, true);

    const { rows } = await db.query(
      "select pid from pg_stat_activity where application_name = 'latchkey-listener' and datname = current_database()",
    );
    assert.equal(rows.length, 3);
    await db.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [
      rows.map((r) => r.pid),
    ]);
    await waitFor(async () => {
      const left = await db.query('select 1 from pg_stat_activity where pid = any($1::int[])', [
        rows.map((r) => r.pid),
      ]);
      return left.rowCount === 0;
    });

    assert.equal((await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${id}`)).status, 200);
    // Whether or not a process has its listener back yet, none may answer from a stale cache.
    for (const node of nodes) assert.equal((await verify(node.url, { token })).body.code, 'REVOKED');

    await waitFor(
      async () => {
        const metrics = await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/metrics`)).text()));
        return metrics.every((m) => /latchkey_event_listener_connected 1/.test(m));
      },
      { timeoutMs: 10_000, what: 'every listener back' },
    );
    for (const node of nodes) assert.equal((await verify(node.url, { token })).body.code, 'REVOKED');

    // Propagation works again after the reconnect.
    const second = await createToken({ client: admin.client, orgId: admin.orgId });
    for (const node of nodes)
      assert.equal((await verify(node.url, { token: second.token })).body.valid, true);
    await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${second.id}`);
    for (const node of nodes) {
      await waitFor(async () => (await verify(node.url, { token: second.token })).body.code === 'REVOKED', {
        timeoutMs: 1000,
      });
    }
  });
});
