import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, pinned } from './proc.ts';

export type LoadMode = 'static' | 'tokens' | 'fresh' | 'create';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  mode?: LoadMode;
  /** The body in static mode. */
  body?: string;
  /** Bearer token sent with every request. */
  auth?: string;
  /** tokens mode: a file of "<value> <resource index from 1>" lines, one drawn at random per request. */
  tokensFile?: string;
  resources?: string[];
  /** The "ip" field of generated verify bodies. */
  ip?: string;
  connections: number;
  seconds: number;
  /** The server's pid: its CPU time per request is measured too. */
  pid?: number;
}

export interface LoadResult {
  tool: 'wrk' | 'autocannon';
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers outside 2xx/3xx. */
  non2xx: number;
  socketErrors: number;
  /** Server CPU time (user + system) per request, when `pid` was given. */
  cpuUsPerRequest: number | null;
}

const luaScript = fileURLToPath(new URL('../wrk/request.lua', import.meta.url));
const autocannonRunner = fileURLToPath(new URL('./autocannon-runner.ts', import.meta.url));

let wrkPresent: boolean | undefined;
/**
 * Is Debian's wrk installed? Checked once; without it the benchmark uses autocannon from npm.
 * BENCH_LOAD=autocannon forces the fallback (to test it where wrk is installed).
 */
export function hasWrk(): boolean {
  if (process.env.BENCH_LOAD === 'autocannon') return false;
  wrkPresent ??= spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
  return wrkPresent;
}

interface RawResult {
  requests: number;
  durationUs: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  p50Us: number;
  p99Us: number;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCHJSON '));
      if (line === undefined) {
        reject(new Error(`${command} exited with ${code} and no result:\n${out}`));
        return;
      }
      resolve(JSON.parse(line.slice('BENCHJSON '.length)) as RawResult);
    });
  });
}

/** Runs the load generator on the load core: wrk when installed, autocannon otherwise. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_MODE: options.mode ?? 'static',
    BENCH_METHOD: options.method ?? 'POST',
    BENCH_BODY: options.body ?? '',
    BENCH_AUTH: options.auth ?? '',
    BENCH_TOKENS: options.tokensFile ?? '',
    BENCH_RESOURCES: (options.resources ?? []).join(','),
    BENCH_IP: options.ip ?? '10.0.0.1',
  };
  const tool = hasWrk() ? 'wrk' : 'autocannon';
  const [command, args] =
    tool === 'wrk'
      ? pinned('load', 'wrk', [
          '-t1',
          `-c${options.connections}`,
          `-d${options.seconds}s`,
          '--timeout',
          '5s',
          '-s',
          luaScript,
          options.url,
        ])
      : pinned('load', process.execPath, [
          '--import',
          'tsx',
          autocannonRunner,
          JSON.stringify({ url: options.url, connections: options.connections, seconds: options.seconds }),
        ]);
  const cpuBefore = options.pid ? cpuSeconds(options.pid) : null;
  const raw = await run(command, args, env);
  const cpuAfter = options.pid ? cpuSeconds(options.pid) : null;
  const cpuUsPerRequest =
    cpuBefore !== null && cpuAfter !== null && raw.requests > 0
      ? ((cpuAfter - cpuBefore) * 1e6) / raw.requests
      : null;
  return {
    cpuUsPerRequest,
    tool,
    requests: raw.requests,
    rps: raw.requests / (raw.durationUs / 1e6),
    p50Ms: raw.p50Us / 1000,
    p99Ms: raw.p99Us / 1000,
    non2xx: raw.statusErrors,
    socketErrors: raw.connectErrors + raw.readErrors + raw.writeErrors + raw.timeouts,
  };
}
