// The gateway's cost, side by side with its peer: a NEAR-shaped upstream alone; the same upstream behind
// `latchkey gateway --preset near-rpc` (verifying through the SDK cache kept fresh by events); and the
// same upstream behind nginx (Debian's package) with `auth_request` to Latchkey's GET /v1/verify — all in one
// run, on one core, so the ratios hold on a loaded machine. CPU per request is read from /proc for each
// process (the gateway, nginx, the Latchkey server, the upstream): the figure that survives a shared core.
//   node --import tsx bench/gateway.ts                 10 s per case
//   node --import tsx bench/gateway.ts --quick         2 s per case: proves the script works
// Options: --seconds N, --connections N, --markdown FILE (also write the table as Markdown),
// --profile DIR (run the gateway under --cpu-prof; summarize with bench/profile-summary.ts), --no-nginx.
// bench/run.ts calls gatewayRows() for its table.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createToken, setupAdmin } from '../test/helpers/factories.ts';
import { NGINX, nginxConfigIn } from '../test/helpers/nginx.ts';
import { type LoadResult, runLoad } from './lib/load.ts';
import {
  type Child,
  cores,
  cpuSeconds,
  freePort,
  pinned,
  pinSelfToLoadCore,
  sleep,
  spawnServer,
  waitReady,
} from './lib/proc.ts';
import type { BenchRow } from './lib/row.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Issue 13's target: the gateway's own CPU per request, beyond the upstream's. */
const TARGET_CPU_US = 30;

export interface GatewayBenchOptions {
  /** Seconds per measured run. */
  seconds: number;
  connections: number;
  /** Seconds of warm-up before each measured run. */
  warmupSeconds?: number;
  /** Run the gateway under --cpu-prof into this directory. */
  profileDir?: string;
  /** Measure nginx with auth_request as the peer (default: when /usr/sbin/nginx exists). */
  nginx?: boolean;
}

/** A row of bench/run.ts's table. */
export type GatewayBenchRow = BenchRow;

/** One measured run: the load's figures and the CPU each process spent per request. */
interface Measured {
  load: LoadResult;
  /** µs of CPU per request, by process name. */
  cpuUs: Record<string, number | null>;
}

// A node:http JSON-RPC node that answers `block` at once, like a NEAR node serving from memory.
const upstreamScript = `
const http = require('node:http');
const answer = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { header: { height: 42, hash: 'x'.repeat(44) }, chunks: [] } });
const status = JSON.stringify({ chain_id: 'bench', sync_info: { latest_block_height: 42 } });
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.method === 'GET' ? status : answer);
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

// The floor of any Node proxy: node:http in, an undici Pool out, headers copied, bodies streamed, no
// check at all. The gateway's own logic is what it costs beyond this.
const bareProxyScript = `
const http = require('node:http');
const { Pool } = require('undici');
const pool = new Pool(process.env.UPSTREAM, { connections: 128, pipelining: 1 });
const hop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);
http.createServer((req, res) => {
  const headers = {};
  for (const name in req.headers) if (!hop.has(name)) headers[name] = req.headers[name];
  const length = req.headers['content-length'];
  pool.dispatch({ path: req.url, method: req.method, headers, body: length !== undefined && length !== '0' ? req : null }, {
    onConnect() {},
    onHeaders(status, raw, resume) {
      const out = [];
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i].toString('latin1');
        if (!hop.has(name.toLowerCase())) out.push(name, raw[i + 1].toString('latin1'));
      }
      res.writeHead(status, out);
      res.on('drain', resume);
      return true;
    },
    onData(chunk) { return res.write(chunk); },
    onComplete() { res.end(); },
    onError() { if (res.headersSent) res.destroy(); else { res.writeHead(502); res.end(); } },
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const blockCall = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'block', params: { finality: 'final' } });

const cases = [
  {
    name: 'JSON-RPC block (POST /, body read and matched)',
    short: 'JSON-RPC',
    method: 'POST' as const,
    path: '/',
    body: blockCall,
    // What nginx asks: it cannot read the body, so the permission the preset gives `block`.
    permission: 'blocks:read' as string | null,
  },
  {
    name: 'GET /status (streamed, path rule only)',
    short: 'GET',
    method: 'GET' as const,
    path: '/status',
    body: '',
    permission: null,
  },
];

/**
 * nginx in front of the upstream, asking Latchkey before each request (`auth_request`) with
 * `GET /v1/verify`: the client's bearer token as it came, the permission in the query, the answer a
 * status (204 passes, 401/403/429 are refused), the client named in X-Forwarded-For (the server trusts
 * 127.0.0.1: VERIFY_TRUSTED_PROXIES). The configuration of docs/gateway.md, deployable as it is; no cache
 * (nginx has none that a revocation would clear).
 */
function nginxConfig(dir: string, port: number, upstreamPort: number, latchkeyPort: number): string {
  const verifyLocation = (name: string, permission: string | null) => `
    location = /_latchkey_verify_${name} {
      internal;
      proxy_pass http://latchkey/v1/verify${permission ? `?permission=${permission}` : ''};
      proxy_method GET;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }`;
  const protectedLocation = (path: string, name: string) => `
    location = ${path} {
      auth_request /_latchkey_verify_${name};
      auth_request_set $latchkey_token_id $upstream_http_x_latchkey_token_id;
      proxy_set_header X-Latchkey-Token-Id $latchkey_token_id;
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "";
    }`;
  return nginxConfigIn(
    dir,
    4096,
    `
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  upstream latchkey { server 127.0.0.1:${latchkeyPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    ${verifyLocation('blocks', 'blocks:read')}
    ${verifyLocation('any', null)}
    ${protectedLocation('/', 'blocks')}
    ${protectedLocation('/status', 'any')}
  }`,
  );
}

interface NginxChild {
  pid: number;
  url: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function startNginx(dir: string, port: number, upstreamPort: number, latchkeyPort: number): NginxChild {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port, upstreamPort, latchkeyPort));
  const [command, args] = pinned('server', NGINX, ['-c', conf, '-p', dir, '-e', join(dir, 'error.log')]);
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid ?? 0,
    url: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a load and reads every named process's CPU time around it. */
async function measure(
  url: string,
  c: (typeof cases)[number],
  auth: string,
  options: GatewayBenchOptions,
  pids: Record<string, number>,
): Promise<Measured> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const load = await runLoad({
    url: `${url}${c.path}`,
    method: c.method,
    body: c.body,
    auth,
    connections: options.connections,
    seconds: options.seconds,
  });
  const cpuUs: Record<string, number | null> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const after = cpuSeconds(pid);
    const start = before[name];
    cpuUs[name] =
      after !== null && start != null && load.requests > 0 ? ((after - start) * 1e6) / load.requests : null;
  }
  if (load.non2xx > 0 || load.socketErrors > 0) {
    throw new Error(
      `${url}${c.path}: ${load.non2xx} answers outside 2xx, ${load.socketErrors} socket errors`,
    );
  }
  return { load, cpuUs };
}

const sum = (values: Array<number | null | undefined>) =>
  values.every((v) => typeof v === 'number') ? (values as number[]).reduce((a, b) => a + b, 0) : null;

/**
 * Measures the gateway against the upstream alone and against nginx + auth_request, in one run; the
 * rows say requests/s (ratio to the upstream alone), and CPU µs per request of the layer in front.
 */
export async function gatewayRows(options: GatewayBenchOptions): Promise<GatewayBenchRow[]> {
  const warmup = options.warmupSeconds ?? Math.min(3, options.seconds);
  const withNginx = (options.nginx ?? true) && spawnSync(NGINX, ['-v']).status === 0;
  // The bundles, so that the gateway runs built JavaScript as `latchkey gateway` does after npm install.
  for (const script of ['build-sdk.mjs', 'build-server.mjs', 'build-gateway.mjs']) {
    const built = spawnSync(process.execPath, [join(root, 'scripts', script)], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error(`scripts/${script} failed`);
  }
  const children: Array<Child | NginxChild> = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-gateway-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production' };
    for (const key of Object.keys(env)) {
      if (key.startsWith('LATCHKEY_') || key.startsWith('VERIFY_') || key === 'DATABASE_URL') delete env[key];
    }
    const serverPort = await freePort();
    const server = spawnServer(['bin/latchkey.js', 'serve'], {
      cwd: root,
      port: serverPort,
      env: {
        ...env,
        PORT: String(serverPort),
        HOST: '127.0.0.1',
        LATCHKEY_DATA_DIR: join(dataDir, 'data'),
        // nginx (on 127.0.0.1) names its client in X-Forwarded-For for GET /v1/verify.
        VERIFY_TRUSTED_PROXIES: '127.0.0.1',
      },
    });
    children.push(server);
    const upstreamPort = await freePort();
    const upstream = spawnServer(['-e', upstreamScript], {
      cwd: root,
      port: upstreamPort,
      env: { ...env, PORT: String(upstreamPort) },
    });
    children.push(upstream);
    await Promise.all([waitReady(server), waitReady(upstream, '/status')]);

    const barePort = await freePort();
    const bare = spawnServer(['-e', bareProxyScript], {
      cwd: root,
      port: barePort,
      env: { ...env, PORT: String(barePort), UPSTREAM: upstream.url },
    });
    children.push(bare);
    await waitReady(bare, '/status');

    const admin = await setupAdmin(server.url, 'bench@example.com');
    const gatewayToken = (
      await createToken(admin, { access: 'full', permissions: undefined, name: 'gateway' })
    ).token;
    const client = (await createToken(admin, { permissions: ['blocks:read'], name: 'client' })).token;

    const gatewayPort = await freePort();
    const gateway = spawnServer(
      [
        ...(options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : []),
        'bin/latchkey.js',
        'gateway',
        '--upstream',
        upstream.url,
        '--preset',
        'near-rpc',
        '--latchkey',
        server.url,
        '--port',
        String(gatewayPort),
        '--log-level',
        'warn',
      ],
      {
        cwd: root,
        port: gatewayPort,
        env: { ...env, LATCHKEY_TOKEN: gatewayToken },
        logFile: join(dataDir, 'gateway.log'),
      },
    );
    children.push(gateway);
    // Ready once a request with the client's token goes through (the gateway's routes all need one).
    for (let i = 0; ; i++) {
      const ok = await fetch(`${gateway.url}/status`, { headers: { authorization: `Bearer ${client}` } })
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      if (gateway.process.exitCode !== null || i > 1200)
        throw new Error(`gateway not ready:\n${gateway.output()}`);
      await sleep(50);
    }
    // A gateway whose cache did not subscribe in time asks Latchkey on every request: another benchmark.
    if (/without a cache/.test(readFileSync(join(dataDir, 'gateway.log'), 'utf8'))) {
      throw new Error(
        `the gateway started without its verify cache (the event stream was too slow):\n${gateway.output()}`,
      );
    }

    let nginx: NginxChild | null = null;
    if (withNginx) {
      nginx = startNginx(join(dataDir, 'nginx'), await freePort(), upstreamPort, serverPort);
      children.push(nginx);
      for (let i = 0; ; i++) {
        const ok = await fetch(`${nginx.url}/status`, { headers: { authorization: `Bearer ${client}` } })
          .then((r) => r.ok)
          .catch(() => false);
        if (ok) break;
        if (nginx.process.exitCode !== null || i > 200)
          throw new Error(`nginx not ready:\n${nginx.output()}`);
        await sleep(50);
      }
      // The peer must refuse what the gateway refuses, or it is not a peer.
      const refused = await fetch(`${nginx.url}/status`, {
        headers: { authorization: 'Bearer lk_not-a-token' },
      });
      if (refused.status !== 401) throw new Error(`nginx let a bad token through (${refused.status})`);
    }

    const rows: GatewayBenchRow[] = [];
    const pids = { gateway: gateway.pid, latchkey: server.pid, upstream: upstream.pid, bare: bare.pid };
    for (const c of cases) {
      const warm = { ...options, seconds: warmup };
      await measure(upstream.url, c, '', warm, pids);
      await measure(bare.url, c, '', warm, pids);
      await measure(gateway.url, c, client, warm, pids);
      if (nginx) await measure(nginx.url, c, client, warm, { ...pids, nginx: nginx.pid });

      const alone = await measure(upstream.url, c, '', options, pids);
      const floor = await measure(bare.url, c, '', options, pids);
      const through = await measure(gateway.url, c, client, options, pids);
      const peer = nginx ? await measure(nginx.url, c, client, options, { ...pids, nginx: nginx.pid }) : null;

      const upstreamUs = alone.cpuUs.upstream ?? null;
      const gatewayUs = through.cpuUs.gateway ?? null;
      // What the layer in front costs: its own process, and the Latchkey server it asks.
      const gatewayLayerUs = sum([through.cpuUs.gateway, through.cpuUs.latchkey]);
      const nginxLayerUs = peer ? sum([peer.cpuUs.nginx, peer.cpuUs.latchkey]) : null;
      rows.push({
        case: `gateway ${c.short}: upstream alone`,
        db: '—',
        value: alone.load.rps,
        unit: 'req/s',
        p99Ms: alone.load.p99Ms,
        cpuUs: upstreamUs,
        note: `${c.name}; CPU is the upstream's`,
      });
      rows.push({
        case: `gateway ${c.short}: bare Node proxy (no checks)`,
        db: '—',
        value: floor.load.rps,
        unit: 'req/s',
        p99Ms: floor.load.p99Ms,
        cpuUs: floor.cpuUs.bare ?? null,
        ratio: floor.load.rps / alone.load.rps,
        ratioOf: 'upstream alone',
        note: "node:http + an undici Pool, headers copied, no checks: the floor of a Node proxy; CPU is the proxy's",
      });
      rows.push({
        case: `gateway ${c.short}: through the gateway`,
        db: 'sqlite',
        value: through.load.rps,
        unit: 'req/s',
        p99Ms: through.load.p99Ms,
        cpuUs: gatewayUs,
        cpuRatio: nginxLayerUs !== null && gatewayLayerUs !== null ? nginxLayerUs / gatewayLayerUs : null,
        ratio: through.load.rps / alone.load.rps,
        ratioOf: 'upstream alone',
        target: `gateway CPU ≤ ${TARGET_CPU_US} µs/request`,
        met: gatewayUs === null ? null : gatewayUs <= TARGET_CPU_US,
        note: `gateway ${fmtUs(gatewayUs)} + Latchkey ${fmtUs(through.cpuUs.latchkey)} µs/request (upstream ${fmtUs(through.cpuUs.upstream)}); the gateway's checks cost ${fmtUs(gatewayUs !== null && floor.cpuUs.bare != null ? gatewayUs - floor.cpuUs.bare : null)} µs beyond the bare proxy; cpuRatio = nginx layer ÷ gateway layer`,
      });
      if (peer) {
        rows.push({
          case: `gateway ${c.short}: nginx + auth_request`,
          db: 'sqlite',
          value: peer.load.rps,
          unit: 'req/s',
          p99Ms: peer.load.p99Ms,
          cpuUs: nginxLayerUs,
          ratio: through.load.rps / peer.load.rps,
          ratioOf: 'gateway ÷ nginx (req/s)',
          target: 'gateway faster than nginx + auth_request',
          met: through.load.rps > peer.load.rps && (gatewayLayerUs ?? Infinity) < (nginxLayerUs ?? 0),
          note: `nginx ${fmtUs(peer.cpuUs.nginx)} + Latchkey GET /v1/verify ${fmtUs(peer.cpuUs.latchkey)} µs/request (upstream ${fmtUs(peer.cpuUs.upstream)})`,
        });
      }
    }
    return rows;
  } finally {
    for (const child of children.reverse()) await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function fmtUs(value: number | null | undefined): string {
  return value == null ? '—' : value.toFixed(1);
}

function fmt(value: number | null | undefined, digits = 0): string {
  return value == null ? '—' : value.toFixed(digits);
}

async function main() {
  const argv = process.argv.slice(2);
  const option = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  pinSelfToLoadCore();
  const seconds = Number(option('seconds') ?? (quick ? 2 : 10));
  const connections = Number(option('connections') ?? 32);
  const profileDir = option('profile');
  const rows = await gatewayRows({
    seconds,
    connections,
    warmupSeconds: quick ? 1 : 3,
    nginx: !argv.includes('--no-nginx'),
    ...(profileDir ? { profileDir } : {}),
  });
  const lines = [
    '| case | req/s | ratio | p99 (ms) | CPU µs/request | target | met | notes |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.case} | ${fmt(r.value)} | ${r.ratio == null ? '' : `${r.ratio.toFixed(2)}× ${r.ratioOf}`} | ${fmt(r.p99Ms, 2)} | ${fmtUs(r.cpuUs)}${r.cpuRatio == null ? '' : ` (nginx layer ${r.cpuRatio.toFixed(1)}×)`} | ${r.target ?? ''} | ${r.met == null ? '' : r.met ? 'yes' : 'no'} | ${r.note ?? ''} |`,
    ),
  ];
  const notes = [
    `wrk, ${connections} connections, ${seconds} s per case, Node ${process.version}, nginx ${spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr.trim().replace('nginx version: ', '')}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})${cores ? `; servers pinned to core ${cores.server}, load to core ${cores.load}` : ''}.`,
  ];
  const text = [...lines, '', ...notes].join('\n');
  process.stdout.write(`${text}\n`);
  const markdown = option('markdown');
  if (markdown) writeFileSync(markdown, `${text}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
