// The gateway's overhead: a NEAR-shaped upstream alone, against the same upstream behind
// `latchkey gateway --preset near-rpc` verifying through the SDK cache.
//   node --import tsx bench/gateway.ts                 10 s per case
//   node --import tsx bench/gateway.ts --quick         2 s per case: proves the script works
// Options: --seconds N, --connections N, --markdown FILE (also write the table as Markdown),
// --profile DIR (run the gateway under --cpu-prof; summarize with bench/profile-summary.ts).
// The upstream, the gateway and the Latchkey server run on the server core, the load (wrk, or
// autocannon without it) on the other, as in bench/run.ts.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createToken, setupAdmin } from '../test/helpers/factories.ts';
import { type LoadResult, runLoad } from './lib/load.ts';
import {
  type Child,
  cores,
  freePort,
  pinSelfToLoadCore,
  sampleRss,
  spawnServer,
  waitReady,
} from './lib/proc.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const seconds = Number(option('seconds') ?? (quick ? 2 : 10));
const connections = Number(option('connections') ?? 32);
const warmup = quick ? 1 : 3;

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

const blockCall = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'block', params: { finality: 'final' } });

interface Row {
  case: string;
  direct: LoadResult;
  gateway: LoadResult;
}

async function main() {
  pinSelfToLoadCore();
  const children: Child[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-gateway-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    const serverPort = await freePort();
    const server = spawnServer(['bin/latchkey.js', 'serve'], {
      cwd: root,
      port: serverPort,
      env: { ...env, PORT: String(serverPort), HOST: '127.0.0.1', LATCHKEY_DATA_DIR: dataDir },
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

    const admin = await setupAdmin(server.url, 'bench@example.com');
    const gatewayToken = (
      await createToken(admin, { access: 'full', permissions: undefined, name: 'gateway' })
    ).token;
    const client = (await createToken(admin, { permissions: ['blocks:read'], name: 'client' })).token;

    const gatewayPort = await freePort();
    const profile = option('profile');
    const gateway = spawnServer(
      [
        ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []),
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
      { cwd: root, port: gatewayPort, env: { ...env, LATCHKEY_TOKEN: gatewayToken } },
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
      await new Promise((r) => setTimeout(r, 50));
    }

    const cases = [
      {
        name: 'JSON-RPC block (POST /, body read and matched)',
        method: 'POST' as const,
        path: '/',
        body: blockCall,
      },
      { name: 'GET /status (streamed, path rule only)', method: 'GET' as const, path: '/status', body: '' },
    ];
    const rows: Row[] = [];
    const rss = sampleRss(gateway.pid);
    for (const c of cases) {
      const load = (url: string, auth: string) =>
        runLoad({ url: `${url}${c.path}`, method: c.method, body: c.body, auth, connections, seconds });
      await runLoad({
        url: `${gateway.url}${c.path}`,
        method: c.method,
        body: c.body,
        auth: client,
        connections,
        seconds: warmup,
      });
      await runLoad({
        url: `${upstream.url}${c.path}`,
        method: c.method,
        body: c.body,
        connections,
        seconds: warmup,
      });
      const direct = await load(upstream.url, '');
      const through = await load(gateway.url, client);
      if (through.non2xx > 0 || through.socketErrors > 0) {
        throw new Error(
          `gateway answered ${through.non2xx} non-2xx, ${through.socketErrors} socket errors:\n${gateway.output()}`,
        );
      }
      rows.push({ case: c.name, direct, gateway: through });
    }
    const memory = rss();

    const lines = [
      `| case | upstream alone (req/s) | through the gateway (req/s) | ratio | p50 alone / gateway (ms) | p99 alone / gateway (ms) |`,
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.case} | ${Math.round(r.direct.rps)} | ${Math.round(r.gateway.rps)} | ${((100 * r.gateway.rps) / r.direct.rps).toFixed(0)}% | ${r.direct.p50Ms.toFixed(2)} / ${r.gateway.p50Ms.toFixed(2)} | ${r.direct.p99Ms.toFixed(2)} / ${r.gateway.p99Ms.toFixed(2)} |`,
      ),
    ];
    const notes = [
      `${rows[0]?.direct.tool ?? 'wrk'}, ${connections} connections, ${seconds} s per case, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})${cores ? `; servers pinned to core ${cores.server}, load to core ${cores.load}` : ''}.`,
      `Gateway resident memory: at most ${memory.maxMb.toFixed(0)} MB during the run.`,
    ];
    const text = [...lines, '', ...notes].join('\n');
    process.stdout.write(`${text}\n`);
    const markdown = option('markdown');
    if (markdown) writeFileSync(markdown, `${text}\n`);
  } finally {
    for (const child of children.reverse()) await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
