// The fallback load generator where wrk is not installed: the same modes as bench/wrk/request.lua,
// configured by the same BENCH_* variables, printing the same BENCHJSON line.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
// @ts-expect-error autocannon ships no types
import autocannon from 'autocannon';
import { generateTokenValue } from '../../server/tokens/token-value.ts';

const { url, connections, seconds } = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  connections: number;
  seconds: number;
};
const env = process.env;
const mode = env.BENCH_MODE || 'static';
const ip = env.BENCH_IP || '10.0.0.1';
const method = env.BENCH_METHOD || 'POST';
const headers: Record<string, string> = {};
if (method === 'POST') headers['content-type'] = 'application/json';
if (env.BENCH_AUTH) headers.authorization = `Bearer ${env.BENCH_AUTH}`;

let next: (() => string) | undefined;
if (mode === 'tokens') {
  const resources = (env.BENCH_RESOURCES ?? '').split(',');
  const lines = readFileSync(env.BENCH_TOKENS ?? '', 'utf8')
    .split('\n')
    .filter(Boolean);
  next = () => {
    const [token, index] = (lines[randomInt(lines.length)] ?? '').split(' ');
    const resource = resources[Number(index) - 1];
    return JSON.stringify({ token, permission: 'blocks:read', resource, ip });
  };
} else if (mode === 'fresh') {
  next = () => JSON.stringify({ token: generateTokenValue('lk'), permission: 'blocks:read', ip });
} else if (mode === 'create') {
  let counter = 0;
  const tag = randomInt(1e9);
  next = () =>
    JSON.stringify({
      name: `bench-${tag}-${++counter}`,
      access: 'granular',
      permissions: ['blocks:read'],
      expiresIn: '7d',
    });
}

const started = process.hrtime.bigint();
const result = await autocannon({
  url,
  connections,
  duration: seconds,
  method,
  headers,
  ...(mode === 'static' && method === 'POST' && { body: env.BENCH_BODY }),
  ...(next && {
    requests: [
      {
        setupRequest: (request: Record<string, unknown>) => ({ ...request, body: next?.() }),
      },
    ],
  }),
});
const durationUs = Number((process.hrtime.bigint() - started) / 1000n);
const r = result as {
  requests: { total: number };
  duration: number;
  latency: { p50: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
};
const line = {
  requests: r.requests.total,
  durationUs: Math.round((r.duration ?? durationUs / 1e6) * 1e6),
  connectErrors: 0,
  readErrors: r.errors,
  writeErrors: 0,
  statusErrors: r.non2xx,
  timeouts: r.timeouts,
  p50Us: Math.round(r.latency.p50 * 1000),
  p99Us: Math.round(r.latency.p99 * 1000),
  maxUs: Math.round(r.latency.max * 1000),
};
console.log(`BENCHJSON ${JSON.stringify(line)}`);
