// The warm verify against bare Fastify, interleaved in short rounds: the decision tool for hot-path
// changes on a shared machine, where one long run of each says little. Each round runs the ceiling
// (bench/ceiling.ts, a POST with the same body) and then the warm verify for `--seconds`; the median of
// the per-round ratios is printed, by requests/s and by the server's CPU per request.
//   node --import tsx bench/hot.ts [--rounds 6] [--seconds 3] [--postgres] [--unknown]
// --unknown adds the never-repeated unknown value case (each round: valid, then unknown) with the
// database reads per request.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { setupFixture } from './lib/api.ts';
import { type LoadResult, runLoad } from './lib/load.ts';
import { freePort, pinSelfToLoadCore, spawnServer, waitReady } from './lib/proc.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const rounds = option('rounds', 6);
const seconds = option('seconds', 3);
const postgres = argv.includes('--postgres');
const unknown = argv.includes('--unknown');
const connections = 32;

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length === 0 ? Number.NaN : (v[Math.floor(v.length / 2)] as number);
};

pinSelfToLoadCore();
const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-hot-'));
let databaseUrl: string | undefined;
let dropDatabase = async () => {};
if (postgres) {
  const admin = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `lk_hot_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  dropDatabase = async () => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
}

const ceilingPort = await freePort();
const ceiling = spawnServer(['--import', 'tsx', join(root, 'bench/ceiling.ts'), String(ceilingPort)], {
  cwd: root,
  env: { ...process.env, NODE_ENV: 'production' },
  port: ceilingPort,
});
const port = await freePort();
const env: NodeJS.ProcessEnv = { ...process.env };
for (const key of Object.keys(env)) {
  if (key.startsWith('LATCHKEY_') || key.startsWith('VERIFY_') || key === 'DATABASE_URL') delete env[key];
}
const server = spawnServer([join(root, 'bin/latchkey.js'), 'serve'], {
  cwd: root,
  env: {
    ...env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LATCHKEY_DATA_DIR: dataDir,
    VERIFY_FAILURE_LIMIT: '1000000',
    ...(databaseUrl && { DATABASE_URL: databaseUrl }),
  },
  port,
  logFile: join(dataDir, 'server.log'),
});
try {
  await Promise.all([waitReady(ceiling, '/'), waitReady(server)]);
  const fixture = await setupFixture(server.url);
  const body = JSON.stringify({
    token: fixture.adminToken,
    permission: 'blocks:read',
    resource: fixture.resA,
    ip: '10.0.0.1',
  });
  const check = await fetch(`${server.url}/v1/verify`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  const answer = (await check.json()) as { valid?: boolean };
  if (answer.valid !== true) throw new Error(`the fixture's token is not valid: ${JSON.stringify(answer)}`);
  const reads = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(/^latchkey_verify_database_reads (\d+)/m.exec(text)?.[1] ?? 0);
  };
  const load = (url: string, pid: number, extra: Partial<Parameters<typeof runLoad>[0]> = { body }) =>
    runLoad({ url, connections, seconds, pid, ...extra });
  await load(`${ceiling.url}/v1/verify`, ceiling.pid);
  await load(`${server.url}/v1/verify`, server.pid);
  const lines: string[] = [];
  const rps: number[] = [];
  const cpu: number[] = [];
  const unknownRps: number[] = [];
  const unknownReads: number[] = [];
  const p99: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const c: LoadResult = await load(`${ceiling.url}/v1/verify`, ceiling.pid);
    const v: LoadResult = await load(`${server.url}/v1/verify`, server.pid);
    rps.push(v.rps / c.rps);
    cpu.push((c.cpuUsPerRequest ?? Number.NaN) / (v.cpuUsPerRequest ?? Number.NaN));
    p99.push(v.p99Ms);
    let line = `round ${round + 1}: ceiling ${c.rps.toFixed(0)} req/s ${c.cpuUsPerRequest?.toFixed(1)} µs; verify ${v.rps.toFixed(0)} req/s ${v.cpuUsPerRequest?.toFixed(1)} µs p99 ${v.p99Ms.toFixed(2)} ms`;
    if (unknown) {
      const before = await reads();
      const u = await load(`${server.url}/v1/verify`, server.pid, { mode: 'fresh', ip: '10.0.5.1' });
      const perRequest = ((await reads()) - before) / Math.max(1, u.requests);
      unknownRps.push(u.rps / v.rps);
      unknownReads.push(perRequest);
      line += `; unknown ${u.rps.toFixed(0)} req/s ${u.cpuUsPerRequest?.toFixed(1)} µs, ${perRequest.toFixed(3)} reads/req`;
    }
    lines.push(line);
    console.error(line);
  }
  console.log(
    `warm verify / ceiling (${postgres ? 'PostgreSQL' : 'SQLite'}, ${rounds} rounds of ${seconds} s): ` +
      `${median(rps).toFixed(2)}× by requests/s, ${median(cpu).toFixed(2)}× by CPU per request, ` +
      `p99 median ${median(p99).toFixed(2)} ms` +
      (unknown
        ? `; unknown never repeated / valid ${median(unknownRps).toFixed(2)}×, ${median(unknownReads).toFixed(3)} reads/req`
        : ''),
  );
} finally {
  await Promise.all([ceiling.stop(), server.stop()]);
  await dropDatabase().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}
