// `npm run bench` — the verify benchmark of issues 6 and 13, one command, one table.
//   npm run bench                 full run (1,000,000 tokens on SQLite and PostgreSQL, 10 s per case, 30 s
//                                 cold case, 3 rounds of warm and ceiling, the in-process figures and the
//                                 gateway's cases): about 20 minutes on the 2-core machine of BENCHMARKS.md
//   npm run bench -- --quick      1-2 s per case and 5,000 tokens, SQLite only unless asked: proves the script
//                                 works (npm test runs it); no in-process figures nor gateway unless asked
// Options: --no-postgres (SQLite only), --seconds N, --tokens N, --markdown FILE (also write the table
// as Markdown), --json FILE (every figure as JSON), --profile DIR (run the warm case under --cpu-prof),
// --in-process / --no-in-process, --gateway / --no-gateway (default: on in a full run, off with --quick).

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenChecksum } from '@latchkey/sdk/rules';
import pg from 'pg';
import { type Fixture, setupFixture } from './lib/api.ts';
import { hasWrk, type LoadOptions, type LoadResult, runLoad } from './lib/load.ts';
import {
  type Child,
  cores,
  freePort,
  pinned,
  pinSelfToLoadCore,
  sampleRss,
  sleep,
  spawnServer,
  waitReady,
} from './lib/proc.ts';
import type { BenchRow } from './lib/row.ts';
import { type Seeded, seedTokens } from './lib/seed.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};

const quick = flag('quick');
const settings = {
  tokens: Number(option('tokens') ?? (quick ? 5_000 : 1_000_000)),
  listTokens: quick ? 2_000 : 100_000,
  seconds: Number(option('seconds') ?? (quick ? 2 : 10)),
  coldSeconds: quick ? 2 : 30,
  warmupSeconds: 1,
  // The warm case and the ceiling alternate; the median round of each is quoted (issue 13).
  rounds: quick ? 2 : 3,
  startups: quick ? 1 : 3,
  listSamples: quick ? 5 : 20,
  sdkSeconds: quick ? 1 : 3,
  connections: 32,
};
const inProcess = flag('in-process') || (!quick && !flag('no-in-process'));
const withGateway = flag('gateway') || (!quick && !flag('no-gateway'));
const postgresAdminUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const profileDir = option('profile');

// ---------------------------------------------------------------- results

type Row = BenchRow;
const rows: Row[] = [];
const raw: Record<string, unknown> = {};
function add(row: Row): void {
  rows.push(row);
  const ratio = row.ratio == null ? '' : ` (${row.ratio.toFixed(2)}× ${row.ratioOf})`;
  console.error(
    `  ${row.db} ${row.case}: ${fmt(row.value)} ${row.unit}${ratio}${row.note ? ` — ${row.note}` : ''}`,
  );
}

function fmt(value: number | null | undefined, digits = 0): string {
  if (value == null || Number.isNaN(value)) return '—';
  if (Math.abs(value) < 10 && digits === 0) return value.toFixed(2);
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function log(message: string): void {
  console.error(`[bench] ${message}`);
}

// ---------------------------------------------------------------- servers

/** The failure limit the servers run with: the configuration's maximum (failures a minute per address). */
const FAILURE_LIMIT = 1_000_000;

function serverEnv(dataDir: string, port: number, databaseUrl: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('LATCHKEY_') || key.startsWith('VERIFY_') || key === 'DATABASE_URL') delete env[key];
  }
  return {
    ...env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LATCHKEY_DATA_DIR: dataDir,
    // The failure limiter answers 429 after 100 failures a minute per address; the failure cases measure
    // the answers themselves, so the limit is raised to its maximum. The bodies' "ip" is not believed (no
    // credential, no trusted proxy), so every failure counts against the bench's own address: the failure
    // cases wait for a fresh window (benchDialect).
    VERIFY_FAILURE_LIMIT: String(FAILURE_LIMIT),
    ...(databaseUrl && { DATABASE_URL: databaseUrl }),
  };
}

function startLatchkey(
  dataDir: string,
  port: number,
  databaseUrl: string | undefined,
  extraArgs: string[] = [],
) {
  return spawnServer([...extraArgs, join(root, 'bin/latchkey.js'), 'serve'], {
    cwd: root,
    env: serverEnv(dataDir, port, databaseUrl),
    port,
    logFile: join(dataDir, 'server.log'),
  });
}

async function startCeiling(): Promise<Child> {
  const port = await freePort();
  const child = spawnServer(['--import', 'tsx', join(root, 'bench/ceiling.ts'), String(port)], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production' },
    port,
  });
  await waitReady(child, '/');
  return child;
}

interface ServerMetrics {
  results: Map<string, number>;
  dbReads: number;
  /** The usage flush: seconds spent writing, tokens written (issue 13: the cold case's cost). */
  usageWriteSeconds: number;
  usageTokensWritten: number;
}

async function metrics(url: string): Promise<ServerMetrics> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: ServerMetrics = { results: new Map(), dbReads: 0, usageWriteSeconds: 0, usageTokensWritten: 0 };
  const gauge = (line: string, name: string) =>
    line.startsWith(`${name} `) ? Number(line.slice(name.length + 1)) : undefined;
  for (const line of text.split('\n')) {
    const m = /^latchkey_verifications_total\{result="([^"]+)"\} (\d+)/.exec(line);
    if (m?.[1] && m[2]) out.results.set(m[1], Number(m[2]));
    out.dbReads = gauge(line, 'latchkey_verify_database_reads') ?? out.dbReads;
    out.usageWriteSeconds = gauge(line, 'latchkey_usage_write_seconds') ?? out.usageWriteSeconds;
    out.usageTokensWritten = gauge(line, 'latchkey_usage_tokens_written') ?? out.usageTokensWritten;
  }
  return out;
}

/** What the usage flush cost during a case: its share of the case's time and its cost per token written. */
function usageNote(before: ServerMetrics, after: ServerMetrics, seconds: number): string {
  const spent = after.usageWriteSeconds - before.usageWriteSeconds;
  const tokens = after.usageTokensWritten - before.usageTokensWritten;
  if (tokens === 0) return 'no usage written';
  return `usage writes ${fmt(spent, 1)} s of ${seconds} s (${fmt(tokens)} token rows, ${fmt((spent / tokens) * 1e6, 0)} µs each)`;
}

/** Runs a load against a Latchkey server and checks from its /metrics that the answers were the expected ones. */
async function verifyCase(
  server: Child,
  load: Omit<LoadOptions, 'url' | 'connections' | 'seconds'> & { seconds?: number },
  expected: string,
): Promise<LoadResult & { check: string; dbReadsPerRequest: number; usage: string }> {
  const before = await metrics(server.url);
  const result = await runLoad({
    url: `${server.url}/v1/verify`,
    connections: settings.connections,
    seconds: load.seconds ?? settings.seconds,
    pid: server.pid,
    ...load,
  });
  const after = await metrics(server.url);
  let total = 0;
  let hits = 0;
  const other: string[] = [];
  for (const [code, count] of after.results) {
    const delta = count - (before.results.get(code) ?? 0);
    if (delta <= 0) continue;
    total += delta;
    if (code === expected) hits += delta;
    else other.push(`${code} ${delta}`);
  }
  const share = total === 0 ? 0 : hits / total;
  const check =
    share >= 0.999 && result.non2xx === 0
      ? `${expected} 100%`
      : `${expected} ${(share * 100).toFixed(1)}%${other.length ? `; also ${other.join(', ')}` : ''}${result.non2xx ? `; ${result.non2xx} non-2xx` : ''}`;
  return {
    ...result,
    check,
    dbReadsPerRequest: (after.dbReads - before.dbReads) / Math.max(1, result.requests),
    usage: usageNote(before, after, load.seconds ?? settings.seconds),
  };
}

/** Runs one case; a failure becomes a row of the table (with the server's log on stderr) instead of ending the run. */
async function guarded(db: string, label: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const message = (error as Error).message;
    log(`${db} ${label} failed: ${message}`);
    add({ case: label, db, value: null, unit: '', met: false, note: `ERROR: ${message.split('\n')[0]}` });
  }
}

/** The median round by requests/s (the lower middle of an even count): what the table quotes. */
const medianRun = <T extends LoadResult>(results: T[]): T =>
  [...results].sort((a, b) => a.rps - b.rps)[Math.floor((results.length - 1) / 2)] as T;

// ---------------------------------------------------------------- one database

interface Dialect {
  name: 'sqlite' | 'postgres';
  databaseUrl: string | undefined;
  cleanup(): Promise<void>;
}

async function createPostgres(): Promise<Dialect | null> {
  const name = `lk_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    log(`PostgreSQL not reachable at ${postgresAdminUrl} (${(error as Error).message}); skipping its cases`);
    await admin.end().catch(() => {});
    return null;
  }
  await admin.end();
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    name: 'postgres',
    databaseUrl: url.toString(),
    async cleanup() {
      const client = new pg.Client({ connectionString: postgresAdminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * After a million rows are written, PostgreSQL goes on working for a while (autovacuum, checkpoints),
 * on the same two cores: the rounds measured then were not comparable (BENCHMARKS.md run 7). Vacuums and
 * checkpoints now, then waits for any autovacuum worker to finish; returns the seconds it took.
 */
async function settlePostgres(databaseUrl: string): Promise<number> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE)');
    await client.query('CHECKPOINT');
    for (let waited = 0; waited < 300; waited++) {
      const { rows } = await client.query(
        "select count(*)::int as n from pg_stat_activity where backend_type = 'autovacuum worker'",
      );
      if ((rows[0] as { n: number }).n === 0) break;
      await sleep(1000);
    }
  } finally {
    await client.end();
  }
  return (performance.now() - started) / 1000;
}

const cleanups: (() => Promise<void>)[] = [];

async function benchDialect(dialect: Dialect, ceilingPost: () => Promise<LoadResult>) {
  const db = dialect.name === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const dataDir = mkdtempSync(join(tmpdir(), `latchkey-bench-${dialect.name}-`));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const tokensFile = join(dataDir, 'bench-tokens.txt');

  // 1. First start: migrations and the fixture through the API; then stop and seed straight into the database.
  log(`${db}: setup through the API`);
  let port = await freePort();
  let server = startLatchkey(dataDir, port, dialect.databaseUrl);
  await waitReady(server);
  const fixture: Fixture = await setupFixture(server.url);
  await server.stop();
  log(`${db}: seeding ${settings.tokens.toLocaleString('en-US')} tokens`);
  const seeded: Seeded = await seedTokens({
    dataDir,
    databaseUrl: dialect.databaseUrl,
    fixture,
    total: settings.tokens,
    listTokens: Math.min(settings.listTokens, settings.tokens),
    tokensFile,
  });
  log(`${db}: seeded in ${seeded.seconds.toFixed(1)} s`);
  if (dialect.databaseUrl)
    log(`PostgreSQL: settled in ${(await settlePostgres(dialect.databaseUrl)).toFixed(1)} s`);
  raw[`${dialect.name}.seedSeconds`] = seeded.seconds;

  const verifyBody = (token: string, ip: string, resource = fixture.resA) =>
    JSON.stringify({ token, permission: 'blocks:read', resource, ip });

  // 2. Start-up: spawn to the first answered verify of a valid token, with the seeded database.
  const startups: number[] = [];
  let lastSpawn = 0;
  for (let i = 0; i < settings.startups; i++) {
    port = await freePort();
    const started = performance.now();
    lastSpawn = started;
    server = startLatchkey(dataDir, port, dialect.databaseUrl);
    const body = verifyBody(seeded.valid, '10.0.0.1');
    for (;;) {
      if (server.process.exitCode !== null) throw new Error(`server exited:\n${server.output()}`);
      try {
        const response = await fetch(`${server.url}/v1/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const answer = (await response.json()) as { valid: boolean };
        if (!answer.valid) throw new Error(`the seeded valid token was refused: ${JSON.stringify(answer)}`);
        break;
      } catch (error) {
        if ((error as Error).message.startsWith('the seeded')) throw error;
        await sleep(5);
      }
    }
    startups.push(performance.now() - started);
    if (i < settings.startups - 1) await server.stop();
  }
  cleanups.push(() => server.stop());
  const startupMedian = [...startups].sort((a, b) => a - b)[Math.floor(startups.length / 2)] ?? 0;
  raw[`${dialect.name}.startupMs`] = startups;

  // 3. Cold: a fresh server (one token verified by the start-up probe), a random token of all seeded per request.
  log(`${db}: cold random verify, ${settings.coldSeconds} s`);
  const stopRss = sampleRss(server.pid);
  // The start-up scan keeps every stored token in memory while the cold case runs: when is it done?
  const scanWatch = watchCacheFill(server.url, settings.tokens, lastSpawn);
  const cold = await verifyCase(
    server,
    {
      mode: 'tokens',
      tokensFile,
      resources: [fixture.resA, fixture.resB],
      ip: '10.0.1.1',
      seconds: settings.coldSeconds,
    },
    'valid',
  );
  const rss = stopRss();
  const scan = await scanWatch.stop();

  // 4. Warm: one valid token, permission and resource checked; alternated with the ceiling, best of rounds.
  log(`${db}: warm verify against the ceiling`);
  const warmBody = verifyBody(seeded.valid, '10.0.2.1');
  await runLoad({
    url: `${server.url}/v1/verify`,
    body: warmBody,
    connections: settings.connections,
    seconds: settings.warmupSeconds,
  });
  const warmRuns: (LoadResult & { check: string })[] = [];
  const ceilingRuns: LoadResult[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    ceilingRuns.push(await ceilingPost());
    warmRuns.push(await verifyCase(server, { body: warmBody }, 'valid'));
  }
  const warm = medianRun(warmRuns);
  const ceilingBest = medianRun(ceilingRuns);
  const ceilingCpu = (() => {
    const v = ceilingRuns
      .map((r) => r.cpuUsPerRequest)
      .filter((x): x is number => x !== null)
      .sort((a, b) => a - b);
    return v.length === 0 ? null : (v[Math.floor(v.length / 2)] ?? null);
  })();
  raw[`${dialect.name}.warmRuns`] = warmRuns;
  raw[`${dialect.name}.ceilingRuns`] = ceilingRuns;
  add({
    case: 'ceiling: bare Fastify POST, same body, constant JSON',
    db,
    value: ceilingBest.rps,
    unit: 'req/s',
    p99Ms: ceilingBest.p99Ms,
    cpuUs: ceilingCpu,
    ratio: 1,
    ratioOf: 'ceiling',
    note: `median of ${ceilingRuns.map((r) => fmt(r.rps)).join(' / ')}`,
  });
  const warmRatio = warm.rps / ceilingBest.rps;
  // CPU per request: the median of the rounds, robust to other processes taking the cores.
  const median = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
    return v.length === 0 ? null : (v[Math.floor(v.length / 2)] ?? null);
  };
  const warmCpu = median(warmRuns.map((r) => r.cpuUsPerRequest));
  const cpuRatio = (reference: number | null, value: number | null) =>
    reference !== null && value !== null && value > 0 ? reference / value : null;
  add({
    case: 'verify, warm (1 token, permission + resource)',
    db,
    value: warm.rps,
    unit: 'req/s',
    p99Ms: warm.p99Ms,
    cpuUs: warmCpu,
    cpuRatio: cpuRatio(ceilingCpu, warmCpu),
    ratio: warmRatio,
    ratioOf: 'ceiling',
    target: '≥ 0.85× ceiling, p99 < 5 ms',
    met: warmRatio >= 0.85 && warm.p99Ms < 5,
    note: `${warm.check}; median of ${warmRuns.map((r) => fmt(r.rps)).join(' / ')}`,
  });
  const coldRatio = cold.rps / warm.rps;
  add({
    case: `verify, cold: ${settings.tokens.toLocaleString('en-US')} tokens, random, ${settings.coldSeconds} s`,
    db,
    value: cold.rps,
    unit: 'req/s',
    p99Ms: cold.p99Ms,
    cpuUs: cold.cpuUsPerRequest,
    cpuRatio: cpuRatio(warmCpu, cold.cpuUsPerRequest),
    ratio: coldRatio,
    ratioOf: 'warm',
    target: '≥ 0.70× warm',
    met: coldRatio >= 0.7,
    note: `${cold.check}; ${cold.dbReadsPerRequest.toFixed(2)} db reads/req; ${scan}; ${cold.usage}`,
  });
  add({
    case: 'server RSS during the cold run (max / end)',
    db,
    value: rss.maxMb,
    unit: 'MB',
    target: '< 300 MB',
    met: rss.maxMb < 300,
    note: `end ${fmt(rss.lastMb, 0)} MB`,
  });

  // 5. Refusals against the valid figure.
  const well = '0'.repeat(30);
  const refusals: [string, Omit<LoadOptions, 'url' | 'connections' | 'seconds'>, string][] = [
    ['malformed (bad checksum)', { body: verifyBody(`lk_${well}ZZZZZZ`, '10.0.3.1') }, 'MALFORMED'],
    ['unknown, repeated', { body: verifyBody(unknownToken(), '10.0.4.1') }, 'NOT_FOUND'],
    ['unknown, never repeated', { mode: 'fresh', ip: '10.0.5.1' }, 'NOT_FOUND'],
    ['revoked', { body: verifyBody(seeded.revoked, '10.0.6.1') }, 'REVOKED'],
    ['expired', { body: verifyBody(seeded.expired, '10.0.7.1') }, 'EXPIRED'],
  ];
  // MALFORMED and NOT_FOUND count against the caller's address, in a window of a minute from its first
  // failure (per process; on PostgreSQL aligned to the clock): three such cases of 10 s at 30–40k/s in
  // one minute passed the limit's maximum (run 11: a quarter of the never-repeated case THROTTLED).
  // Each one starts at least 61 s after the previous one did.
  // (Short cases cannot reach it: two of them at 60,000 failures/s stay under the limit.)
  const mayReachLimit = 2 * settings.seconds * 60_000 > FAILURE_LIMIT;
  let lastCountedStart = Number.NEGATIVE_INFINITY;
  for (const [label, load, code] of refusals) {
    log(`${db}: ${label}`);
    const counted = mayReachLimit && (code === 'MALFORMED' || code === 'NOT_FOUND');
    if (counted) {
      const wait = lastCountedStart + 61_000 - performance.now() - (settings.seconds + 1) * 1000;
      if (wait > 0) {
        log(`${db}: waiting ${(wait / 1000).toFixed(0)} s for a fresh failure window`);
        await sleep(wait);
      }
    }
    // The valid case again right before each refusal: on a shared machine a reference minutes old says little.
    const reference = await verifyCase(server, { body: warmBody }, 'valid');
    if (counted) lastCountedStart = performance.now();
    const result = await verifyCase(server, load, code);
    const ratio = result.rps / reference.rps;
    const noRead = label === 'unknown, repeated';
    // Never-seen values are answered by the membership filter (issue 13).
    const neverRepeated = label === 'unknown, never repeated';
    add({
      case: `verify, ${label}`,
      db,
      value: result.rps,
      unit: 'req/s',
      p99Ms: result.p99Ms,
      cpuUs: result.cpuUsPerRequest,
      cpuRatio: cpuRatio(reference.cpuUsPerRequest, result.cpuUsPerRequest),
      ratio,
      ratioOf: 'valid',
      target: noRead
        ? '≥ 1.00× valid, 0 db reads'
        : neverRepeated
          ? '≥ 0.90× valid, ≤ 0.02 db reads'
          : '≥ 1.00× valid',
      met: neverRepeated
        ? ratio >= 0.9 && result.dbReadsPerRequest <= 0.02
        : ratio >= 1 && (!noRead || result.dbReadsPerRequest < 0.001),
      note: `${result.check}; ${result.dbReadsPerRequest.toFixed(3)} db reads/req; valid just before: ${fmt(reference.rps)} req/s`,
    });
  }

  // 6. Listing org A (LIST_TOKENS tokens): the first page, a page halfway, a page near the end, by cursor.
  const list = async (label: string, query: string) => {
    const times: number[] = [];
    let count = 0;
    for (let i = 0; i < settings.listSamples; i++) {
      const started = performance.now();
      const response = await fetch(`${server.url}/v1/orgs/${fixture.orgA}/tokens?limit=100${query}`, {
        headers: { authorization: `Bearer ${fixture.adminToken}` },
      });
      const body = (await response.json()) as { items: unknown[] };
      times.push(performance.now() - started);
      if (!response.ok) {
        throw new Error(`list answered ${response.status}: ${JSON.stringify(body)}\n${server.output()}`);
      }
      count = body.items.length;
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? 0;
    add({
      case: `list ${Math.min(settings.listTokens, settings.tokens).toLocaleString('en-US')}-token org: ${label}`,
      db,
      value: median,
      unit: 'ms (median)',
      target: '< 50 ms',
      met: median < 50,
      note: `${count} items; max ${fmt(times[times.length - 1], 1)} ms of ${times.length}`,
    });
  };
  await guarded(db, 'list, first page', () => list('first page', ''));
  await guarded(db, 'list, middle page', () =>
    list('middle page by cursor', `&cursor=${seeded.cursorMiddle}`),
  );
  await guarded(db, 'list, last pages', () => list('last pages by cursor', `&cursor=${seeded.cursorEnd}`));

  // 7. Creating tokens through the API.
  log(`${db}: create tokens`);
  const created = await runLoad({
    url: `${server.url}/v1/orgs/${fixture.orgA}/tokens`,
    mode: 'create',
    auth: fixture.adminToken,
    connections: settings.connections,
    seconds: settings.seconds,
    pid: server.pid,
  });
  add({
    case: 'create token through the API',
    db,
    value: created.rps,
    unit: 'tokens/s',
    p99Ms: created.p99Ms,
    cpuUs: created.cpuUsPerRequest,
    target: dialect.name === 'sqlite' ? '≥ 1,000/s' : '≥ 1,000/s (set for SQLite)',
    met: created.rps >= 1000 && created.non2xx === 0,
    note: created.non2xx ? `${created.non2xx} non-2xx answers` : '201 100%',
  });

  // 8. The SDK, against this server (SQLite only: its cache never reaches the database).
  if (dialect.name === 'sqlite') {
    log('SDK verify');
    const sdk = runSdk(server.url, fixture, seeded);
    if (sdk === null) {
      add({
        case: 'SDK verify with in-process cache',
        db: '—',
        value: null,
        unit: 'verify/s',
        target: '≥ 5,000,000/s',
        met: false,
        note: 'the SDK does not expose a cached verify',
      });
    } else {
      add({
        case: 'SDK verify, in-process cache, 1 core',
        db: '—',
        value: sdk.cachedOpsPerSecond,
        unit: 'verify/s',
        target: '≥ 5,000,000/s',
        met: sdk.cachedOpsPerSecond >= 5_000_000,
        note: 'await client.verify() in a loop',
      });
      add({
        case: 'raw HTTP verify from Node (fetch, 32 in flight)',
        db,
        value: sdk.rawHttp,
        unit: 'req/s',
        ratio: 1,
        ratioOf: 'raw',
        note: 'reference for the next row; one Node client core',
      });
      const ratio = sdk.sdkHttp / sdk.rawHttp;
      add({
        case: 'SDK verify without cache (HTTP, 32 in flight)',
        db,
        value: sdk.sdkHttp,
        unit: 'req/s',
        ratio,
        ratioOf: 'raw',
        target: '≥ 0.90× raw HTTP',
        met: ratio >= 0.9,
      });
    }
  }

  if (dialect.name === 'sqlite' && inProcess) inProcessRows(db);

  if (profileDir) await profileWarm(dataDir, dialect, warmBody, server);

  add({
    case: `start-up to first verify, ${settings.tokens.toLocaleString('en-US')} tokens`,
    db,
    value: startupMedian,
    unit: 'ms (median)',
    target: '< 500 ms',
    met: startupMedian < 500,
    note: `runs ${startups.map((s) => fmt(s, 0)).join(' / ')} ms`,
  });
  await server.stop();
}

/**
 * Figures measured in a process of their own, steadier than wrk on a shared machine: bytes per verify
 * cache entry (bench/entry-bytes.ts, forced GC) and the warm verify against bare Fastify without sockets
 * (bench/inject-ab.ts, interleaved batches of app.inject, CPU per request).
 */
function inProcessRows(db: string): void {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const result = spawnSync(process.execPath, args, {
      cwd: root,
      encoding: 'utf8',
      timeout: 900_000,
      env: { ...process.env, ...env },
    });
    return `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  };
  log('bytes per cache entry');
  // 200,000 ran for over 10 minutes in run 7 (seeding through tsx in one process). The store costs the same
  // per token at any size; the front map is bounded (20,000 objects), so the figure with the default
  // 1,000,000 cached is computed from the two parts measured at 50,000 (run 8 quoted 507 B: both parts
  // over 50,000, the front map's whole 20,000 among them).
  const entries = quick ? 20_000 : 50_000;
  const bytes = run(['--expose-gc', '--import', 'tsx', join(root, 'bench/entry-bytes.ts'), String(entries)]);
  const [, perEntry, cached] = /(\d+) bytes per entry with ([\d,]+) cached/.exec(bytes) ?? [];
  const parts =
    /compact store (\d+) B per token.*front map [\d,]+ hot entries as objects, (\d+ MB) \((\d+) B each, bounded at ([\d,]+)/.exec(
      bytes,
    );
  const atSize = /(\d+) bytes per entry at/.exec(bytes)?.[1];
  const perToken = /(\d+) bytes per token used/.exec(bytes)?.[1];
  add({
    case: `verify cache: bytes per entry with ${cached ?? 'the default'} cached (store + front map share, in-process)`,
    db,
    value: perEntry === undefined ? null : Number(perEntry),
    unit: 'bytes',
    target: '≤ 200 B',
    met: perEntry === undefined ? false : Number(perEntry) <= 200,
    note:
      perEntry === undefined || !parts
        ? `ERROR: ${bytes.trim().split('\n').at(-1)}`
        : `measured at ${entries.toLocaleString('en-US')}: store ${parts[1]} B a token, front map ${parts[2]} (${parts[3]} B an entry, at most ${parts[4]}); ${atSize} B an entry at ${entries.toLocaleString('en-US')}; ${perToken} B per token used incl. the day's usage bookkeeping`,
  });
  log('warm verify against bare Fastify, in-process');
  const ab = run(['--import', 'tsx', join(root, 'bench/inject-ab.ts')], {
    AB_ROUNDS: quick ? '5' : '30',
  });
  const m = /ceiling ([\d.]+) µs, verify ([\d.]+) µs, median ratio ([\d.]+)×/.exec(ab);
  add({
    case: 'warm verify vs bare Fastify POST, in-process (app.inject, no sockets)',
    db,
    value: m ? Number(m[3]) : null,
    unit: '× ceiling',
    cpuUs: m ? Number(m[2]) : null,
    target: '',
    note: m
      ? `CPU per request: ceiling ${m[1]} µs, verify ${m[2]} µs; median of interleaved rounds`
      : `ERROR: ${ab.trim().split('\n').at(-1)}`,
  });
}

async function addGatewayRows(): Promise<void> {
  log('gateway (bench/gateway.ts)');
  // Loaded here: a run without the gateway's cases should not load the proxy's bench.
  const gateway = await import('./gateway.ts');
  const gatewayRows = await gateway.gatewayRows({
    seconds: settings.seconds,
    connections: settings.connections,
    warmupSeconds: settings.warmupSeconds,
  });
  for (const row of gatewayRows) add(row);
}

/**
 * Polls the server's `latchkey_verify_cache_entries` until it holds `tokens` (the start-up scan is done)
 * or `stop` is called; says when, counted from the server's spawn.
 */
function watchCacheFill(url: string, tokens: number, spawnedAt: number) {
  let done: number | undefined;
  let last = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped && done === undefined) {
      try {
        const text = await (await fetch(`${url}/metrics`)).text();
        last = Number(/^latchkey_verify_cache_entries (\d+)/m.exec(text)?.[1] ?? 0);
        if (last >= tokens) done = performance.now() - spawnedAt;
      } catch {
        // the server is busy or gone: try again
      }
      await sleep(250);
    }
  })();
  return {
    async stop(): Promise<string> {
      stopped = true;
      await loop;
      return done === undefined
        ? `${last.toLocaleString('en-US')} tokens in memory at the end`
        : `all ${tokens.toLocaleString('en-US')} in memory ${(done / 1000).toFixed(1)} s after spawn`;
    },
  };
}

/** A well-formed value (right shape and checksum) that was never issued. */
function unknownToken(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let random = '';
  for (const byte of randomBytes(30)) random += alphabet[byte % 62];
  return tokenWithChecksum(random);
}

function tokenWithChecksum(random: string): string {
  return `lk_${random}${tokenChecksum(random)}`;
}

function runSdk(
  url: string,
  fixture: Fixture,
  seeded: Seeded,
): { cachedOpsPerSecond: number; rawHttp: number; sdkHttp: number } | null {
  const [command, args] = pinned('load', process.execPath, [
    '--import',
    'tsx',
    join(root, 'bench/sdk-loop.ts'),
    url,
    fixture.adminToken,
    seeded.valid,
    fixture.resA,
    String(settings.sdkSeconds),
  ]);
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', timeout: 120_000 });
  const line = (result.stdout ?? '').split('\n').find((l) => l.startsWith('BENCHJSON '));
  if (line === undefined) {
    log(`SDK run failed:\n${result.stdout}\n${result.stderr}`);
    return null;
  }
  return JSON.parse(line.slice('BENCHJSON '.length));
}

/** Restarts the server under --cpu-prof, runs the warm case, and leaves the .cpuprofile in `profileDir`. */
async function profileWarm(dataDir: string, dialect: Dialect, body: string, running: Child): Promise<void> {
  if (!profileDir) return;
  await running.stop();
  const dir = resolve(profileDir, dialect.name);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const server = startLatchkey(dataDir, port, dialect.databaseUrl, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  await waitReady(server);
  await runLoad({
    url: `${server.url}/v1/verify`,
    body,
    connections: settings.connections,
    seconds: settings.seconds,
  });
  await server.stop();
  log(`CPU profile written to ${dir}: ${readdirSync(dir).join(', ')}`);
}

// ---------------------------------------------------------------- the table

function table(markdown: boolean): string {
  const header = [
    'case',
    'db',
    'value',
    'unit',
    'p99 ms',
    'ratio',
    'server CPU µs/req',
    'CPU ratio',
    'target',
    'result',
    'check / notes',
  ];
  const lines = rows.map((r) => [
    r.case,
    r.db,
    fmt(r.value, r.unit.startsWith('ms') ? 1 : 0),
    r.unit,
    r.p99Ms == null ? '' : fmt(r.p99Ms, 2),
    r.ratio == null ? '' : `${r.ratio.toFixed(2)}× ${r.ratioOf}`,
    r.cpuUs == null ? '' : r.cpuUs.toFixed(1),
    r.cpuRatio == null ? '' : `${r.cpuRatio.toFixed(2)}×`,
    r.target ?? '',
    r.met == null ? '' : r.met ? 'met' : 'MISSED',
    r.note ?? '',
  ]);
  if (markdown) {
    const esc = (s: string) => s.replaceAll('|', '\\|');
    return [
      `| ${header.join(' | ')} |`,
      `|${header.map(() => ' --- ').join('|')}|`,
      ...lines.map((l) => `| ${l.map(esc).join(' | ')} |`),
    ].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 || i === 4 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(render)].join('\n');
}

function machine(): string {
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  const wrk = hasWrk()
    ? (spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'wrk')
    : 'wrk absent: autocannon';
  return [
    `cores: ${cpus().length} (${model})`,
    `node ${process.version}`,
    `load generator: ${wrk.trim()}`,
    cores
      ? `pinning: servers on core ${cores.server}, load on core ${cores.load} (taskset)`
      : 'pinning: none (one core or no taskset)',
    `mode: ${quick ? 'quick' : 'full'}, ${settings.tokens.toLocaleString('en-US')} tokens, ${settings.seconds} s per case, ${settings.connections} connections`,
  ].join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = performance.now();
  // The servers start from the bundle (bin/latchkey.js uses it while it is newer than the sources).
  const built = spawnSync(process.execPath, [join(root, 'scripts/build-server.mjs')], {
    cwd: root,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`build-server failed:\n${built.stderr}`);
  pinSelfToLoadCore();
  if (!hasWrk())
    log('wrk is not installed (Debian: apt-get install -y wrk); using autocannon from npm instead');
  log(machine().replaceAll('\n', '; '));

  const ceiling = await startCeiling();
  cleanups.push(() => ceiling.stop());
  const ceilingBody = JSON.stringify({
    token: `lk_${'0'.repeat(36)}`,
    permission: 'blocks:read',
    resource: 'res_x',
    ip: '10.0.0.1',
  });
  await runLoad({
    url: `${ceiling.url}/v1/verify`,
    body: ceilingBody,
    connections: settings.connections,
    seconds: settings.warmupSeconds,
  });
  const ceilingPost = () =>
    runLoad({
      url: `${ceiling.url}/v1/verify`,
      body: ceilingBody,
      connections: settings.connections,
      seconds: settings.seconds,
      pid: ceiling.pid,
    });
  const ceilingGet = await runLoad({
    url: `${ceiling.url}/`,
    method: 'GET',
    connections: settings.connections,
    seconds: settings.seconds,
    pid: ceiling.pid,
  });
  add({
    case: 'ceiling: bare Fastify GET, constant JSON (reference)',
    db: '—',
    value: ceilingGet.rps,
    unit: 'req/s',
    p99Ms: ceilingGet.p99Ms,
    cpuUs: ceilingGet.cpuUsPerRequest,
    note: 'no body to parse',
  });

  const dialects: Dialect[] = [{ name: 'sqlite', databaseUrl: undefined, cleanup: async () => {} }];
  if (!flag('no-postgres')) {
    const postgres = await createPostgres();
    if (postgres) dialects.push(postgres);
  }
  for (const dialect of dialects) {
    try {
      await benchDialect(dialect, ceilingPost);
    } finally {
      await dialect
        .cleanup()
        .catch((error) => log(`cleanup of ${dialect.name} failed: ${(error as Error).message}`));
    }
  }

  // ------------------------------------------------------------ gateway rows (bench/gateway.ts)
  // The gateway's cases (its own upstream, nginx with auth_request as the peer) are measured by
  // bench/gateway.ts, which its owner maintains; it exports `gatewayRows(options)` returning rows of
  // this table's shape. They come in here, after the server's cases, in the same run.
  if (withGateway) await guarded('—', 'gateway', async () => addGatewayRows());

  const elapsed = (performance.now() - started) / 1000;
  const output = `${machine()}\nrun took ${elapsed.toFixed(0)} s\n\n${table(false)}\n`;
  console.log(`\n${output}`);
  const md = option('markdown');
  if (md)
    writeFileSync(md, `\`\`\`\n${machine()}\nrun took ${elapsed.toFixed(0)} s\n\`\`\`\n\n${table(true)}\n`);
  const json = option('json');
  if (json) writeFileSync(json, JSON.stringify({ machine: machine(), settings, rows, raw }, null, 2));
}

async function cleanup(): Promise<void> {
  for (const step of cleanups.reverse()) await step().catch(() => {});
}

process.once('SIGINT', () => {
  void cleanup().then(() => process.exit(130));
});

try {
  await main();
} finally {
  await cleanup();
}
