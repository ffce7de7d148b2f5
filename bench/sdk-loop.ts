// SDK verify, run as its own process on the load core. Prints one line "BENCHJSON {...}".
//   cached:   one Latchkey client with its in-process cache, a tight loop of `await verify()` on one core.
//   http:     32 concurrent loops of `verify()` without a cache, and the same with a bare fetch POST,
//             so the SDK's own cost over raw HTTP shows as a ratio from one client process.
import { Latchkey } from '@latchkey/sdk';

const [baseUrl = '', adminToken = '', token = '', resource = '', secondsArg = '3'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const options = { permission: 'blocks:read', resource, ip: '10.0.9.1' };

async function cached(): Promise<{ opsPerSecond: number; answer: unknown }> {
  const client = new Latchkey({ baseUrl, token: adminToken, cache: { max: 10_000, ttlMs: 60_000 } });
  await client.cacheReady();
  const first = await client.verify(token, options);
  if (!first.valid) throw new Error(`the SDK refused the token: ${JSON.stringify(first)}`);
  let ops = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  let last: unknown;
  while (performance.now() < end) {
    for (let i = 0; i < 10_000; i++) last = await client.verify(token, options);
    ops += 10_000;
  }
  const opsPerSecond = ops / ((performance.now() - started) / 1000);
  client.close();
  return { opsPerSecond, answer: last };
}

async function concurrent(call: () => Promise<unknown>): Promise<number> {
  let ops = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (performance.now() < end) {
        await call();
        ops++;
      }
    }),
  );
  return ops / ((performance.now() - started) / 1000);
}

const cachedResult = await cached();
const uncachedClient = new Latchkey({ baseUrl });
const body = JSON.stringify({ token, ...options });
const rawHttp = await concurrent(async () => {
  const response = await fetch(`${baseUrl}/v1/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const answer = (await response.json()) as { valid: boolean };
  if (!answer.valid) throw new Error('raw verify refused the token');
});
const sdkHttp = await concurrent(async () => {
  const answer = await uncachedClient.verify(token, options);
  if (!answer.valid) throw new Error('SDK verify refused the token');
});
console.log(
  `BENCHJSON ${JSON.stringify({ cachedOpsPerSecond: cachedResult.opsPerSecond, rawHttp, sdkHttp })}`,
);
process.exit(0);
