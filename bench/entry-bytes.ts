// Bytes per verify cache entry (issue 13: ≤ 200 B) and the memory a full cache takes, measured in-process with
// forced garbage collection, so the machine's load does not matter: N tokens seeded straight into SQLite,
// each verified twice through the server's Verifier (no HTTP; the second takes it into the front map). Two
// parts, measured apart: the compact store's typed arrays (sized for VERIFY_CACHE_SIZE = N, so a fixed cost
// per token), and the front map of hot entries as objects (at most FRONT_ENTRIES whatever N: the heap that
// emptying the cache gives back). Bytes per entry with the default VERIFY_CACHE_SIZE cached = store bytes
// per token + front map bytes / that size.
//   node --expose-gc --import tsx bench/entry-bytes.ts [N=200000]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { FRONT_ENTRIES } from '../server/verify/verifier.ts';
import { setupFixture } from './lib/api.ts';
import { freePort, spawnServer, waitReady } from './lib/proc.ts';
import { seedTokens } from './lib/seed.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const total = Number(process.argv[2] ?? 200_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-entries-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  LATCHKEY_DATA_DIR: dataDir,
  VERIFY_CACHE_SIZE: String(total + 10),
  LOG_LEVEL: 'warn',
};
delete env.DATABASE_URL;
try {
  const port = await freePort();
  const server = spawnServer([join(root, 'bin/latchkey.js'), 'serve'], {
    cwd: root,
    env: { ...env, HOST: '127.0.0.1', PORT: String(port) },
    port,
  });
  await waitReady(server);
  const fixture = await setupFixture(server.url);
  await server.stop();
  const tokensFile = join(dataDir, 'tokens.txt');
  await seedTokens({ dataDir, databaseUrl: undefined, fixture, total, listTokens: 0, tokensFile });
  const values = readFileSync(tokensFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[0] as string);

  const { app, deps } = await buildApp(loadConfig(env), { logger: false });
  // Listening starts the scan (an onListen hook, so it never delays start-up).
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { verifier } = deps;
  // The membership filter is built, and the compact store filled, by a scan in the background at start-up.
  const scanStarted = performance.now();
  for (let i = 0; i < 2400 && !verifier.filterReady; i++) await new Promise((r) => setTimeout(r, 25));
  const scanMs = performance.now() - scanStarted;
  const scanned = verifier.size;
  // Emptied, so that each token below is read and kept by a verification (the store keeps its arrays).
  verifier.clear();
  // One token first: the grant, the org's strings and the code paths exist before the baseline.
  await verifier.verify({ token: values[0] as string, permission: 'blocks:read' }, '10.0.0.1');
  await verifier.verify({ token: values[0] as string, permission: 'blocks:read' }, '10.0.0.1');
  for (let i = 0; i < 3; i++) gc();
  const before = process.memoryUsage();
  const size0 = verifier.size;
  const inFlight = 32;
  for (let i = 1; i < values.length; i += inFlight) {
    await Promise.all(
      values.slice(i, i + inFlight).map(async (token) => {
        // Twice: a token enters the front map on its second verification (server/verify/doorkeeper.ts).
        for (let n = 0; n < 2; n++) {
          const outcome = await verifier.verify({ token, permission: 'blocks:read' }, '10.0.0.1');
          if (!('valid' in outcome) || !outcome.valid)
            throw new Error(`not valid: ${JSON.stringify(outcome)}`);
        }
      }),
    );
  }
  // Usage bookkeeping waiting for the flush is not the cache: written first.
  await deps.usage.flush();
  for (let i = 0; i < 3; i++) gc();
  const after = process.memoryUsage();
  const entries = verifier.size - size0;
  // The compact store's typed arrays (outside the heap, allocated for VERIFY_CACHE_SIZE on first use) and
  // what emptying the cache gives back of the heap (the front map's objects, interned parts).
  const storeBytes = verifier.storeBytes;
  const front = verifier.frontSize;
  verifier.clear();
  for (let i = 0; i < 3; i++) gc();
  const cleared = process.memoryUsage();
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  const heapGiven = after.heapUsed - cleared.heapUsed;
  const storePerToken = storeBytes / (total + 10);
  const defaultCache = loadConfig({}).verifyCacheSize;
  console.log(
    `verify cache: ${entries.toLocaleString('en-US')} entries; ` +
      `compact store ${storePerToken.toFixed(0)} B per token (${mb(storeBytes)} for ${(total + 10).toLocaleString('en-US')} slots' capacity); ` +
      `front map ${front.toLocaleString('en-US')} hot entries as objects, ${mb(heapGiven)} (${(heapGiven / Math.max(1, front)).toFixed(0)} B each, bounded at ${FRONT_ENTRIES.toLocaleString('en-US')}); ` +
      `${(storePerToken + heapGiven / defaultCache).toFixed(0)} bytes per entry with ${defaultCache.toLocaleString('en-US')} cached (the default); ` +
      `${((storeBytes + heapGiven) / entries).toFixed(0)} bytes per entry at ${entries.toLocaleString('en-US')}; ` +
      `${((storeBytes + after.heapUsed - before.heapUsed) / entries).toFixed(0)} bytes per token used, everything kept included ` +
      `(heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)}, RSS ${mb(before.rss)} -> ${mb(after.rss)}); ` +
      `membership filter ${(verifier.filterBytes / 2 ** 20).toFixed(2)} MB; ` +
      `start-up scan: ${scanned.toLocaleString('en-US')} tokens kept in ${scanMs.toFixed(0)} ms`,
  );
  await app.close();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
