// Soak test (opt-in, not in CI): mixed verify / create / revoke load against one `latchkey serve` process,
// printing the server's memory and the latency of each kind of request every interval.
//   node --import tsx bench/soak.ts                   10 minutes on SQLite
//   node --import tsx bench/soak.ts --minutes 3 --interval 30
//   DATABASE_URL=postgres://… node --import tsx bench/soak.ts
// Load: `--concurrency` (default 8) loops; each iteration is 90 % verifications of live, revoked and unknown
// tokens, 7 % creates and 3 % revokes, so the set of tokens and the audit log grow the whole time.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOKEN_ALPHABET, tokenChecksum } from '@latchkey/sdk/rules';
import { freePort, rssMb, sleep, spawnServer, waitReady } from './lib/proc.ts';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const minutes = option('minutes', 10);
const intervalSeconds = option('interval', 60);
const concurrency = option('concurrency', 8);
const root = fileURLToPath(new URL('..', import.meta.url));

function unknownToken(): string {
  const body = Array.from(randomBytes(30), (b) => TOKEN_ALPHABET[b % 62]).join('');
  return `lk_${body}${tokenChecksum(body)}`;
}

class Window {
  private samples: number[] = [];
  errors = 0;
  add(ms: number) {
    this.samples.push(ms);
  }
  take() {
    const sorted = this.samples.sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    const out = { count: sorted.length, p50: at(0.5), p99: at(0.99), errors: this.errors };
    this.samples = [];
    this.errors = 0;
    return out;
  }
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-soak-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LATCHKEY_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    VERIFY_FAILURE_LIMIT: '1000000',
    LOGIN_ATTEMPTS_PER_MINUTE: '10000',
  };
  const server = spawnServer(['bin/latchkey.js', 'serve'], { env, port, cwd: root });
  await waitReady(server);
  const url = server.url;
  const json = { 'content-type': 'application/json' };
  const setup = await fetch(`${url}/v1/setup`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      email: 'soak@example.com',
      password: 'soak test password',
      name: 'Soak',
      orgName: 'Soak',
    }),
  });
  const session = (await setup.json()) as { orgs: Array<{ id: string }> };
  const cookie = (setup.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
  const orgId = session.orgs[0]?.id as string;
  const bootstrap = await fetch(`${url}/v1/auth/session`, { headers: { cookie } });
  const csrf = ((await bootstrap.json()) as { csrfToken: string }).csrfToken;
  const adminHeaders = { ...json, cookie, 'x-csrf-token': csrf };
  const admin = await fetch(`${url}/v1/orgs/${orgId}/tokens`, {
    method: 'POST',
    headers: adminHeaders,
    body: JSON.stringify({ name: 'soak-admin', access: 'full', expiresIn: '30d' }),
  });
  const bearer = { ...json, authorization: `Bearer ${((await admin.json()) as { token: string }).token}` };

  const live: Array<{ id: string; token: string }> = [];
  const revoked: string[] = [];
  const windows = { verify: new Window(), create: new Window(), revoke: new Window() };
  let serial = 0;

  const timed = async (window: Window, run: () => Promise<Response>) => {
    const start = performance.now();
    try {
      const response = await run();
      await response.arrayBuffer();
      window.add(performance.now() - start);
      if (response.status >= 400) window.errors++;
      return response;
    } catch {
      window.errors++;
      return undefined;
    }
  };

  const create = async () => {
    return timed(windows.create, () =>
      fetch(`${url}/v1/orgs/${orgId}/tokens`, {
        method: 'POST',
        headers: bearer,
        body: JSON.stringify({
          name: `soak-${serial++}`,
          access: 'granular',
          permissions: ['blocks:read'],
          expiresIn: '1d',
        }),
      }),
    );
  };

  // Seed tokens to verify (values are read back from the create answers).
  for (let i = 0; i < 200; i++) {
    const response = await fetch(`${url}/v1/orgs/${orgId}/tokens`, {
      method: 'POST',
      headers: bearer,
      body: JSON.stringify({
        name: `seed-${i}`,
        access: 'granular',
        permissions: ['blocks:read'],
        expiresIn: '1d',
      }),
    });
    const body = (await response.json()) as { token: string; clientId: string };
    live.push({ id: body.clientId, token: body.token });
  }

  const deadline = Date.now() + minutes * 60_000;
  const loop = async () => {
    while (Date.now() < deadline) {
      const roll = Math.random();
      if (roll < 0.07) {
        await create();
      } else if (roll < 0.1 && live.length > 50) {
        const victim = live.splice(Math.floor(Math.random() * live.length), 1)[0] as {
          id: string;
          token: string;
        };
        await timed(windows.revoke, () =>
          fetch(`${url}/v1/orgs/${orgId}/tokens/${victim.id}`, {
            method: 'DELETE',
            headers: { authorization: bearer.authorization },
          }),
        );
        revoked.push(victim.token);
        const fresh = await fetch(`${url}/v1/orgs/${orgId}/tokens`, {
          method: 'POST',
          headers: bearer,
          body: JSON.stringify({
            name: `soak-r-${serial++}`,
            access: 'granular',
            permissions: ['blocks:read'],
            expiresIn: '1d',
          }),
        });
        const body = (await fresh.json()) as { token: string; clientId: string };
        if (fresh.status === 201) live.push({ id: body.clientId, token: body.token });
      } else {
        const kind = Math.random();
        const token =
          kind < 0.8
            ? (live[Math.floor(Math.random() * live.length)]?.token ?? unknownToken())
            : kind < 0.9 && revoked.length > 0
              ? (revoked[Math.floor(Math.random() * revoked.length)] as string)
              : unknownToken();
        await timed(windows.verify, () =>
          fetch(`${url}/v1/verify`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ token, permission: 'blocks:read' }),
          }),
        );
      }
    }
  };

  const rows: string[] = [];
  const header =
    '| minute | RSS MB | verify/s | verify p50 / p99 ms | creates | create p50 / p99 ms | revokes | revoke p50 / p99 ms | non-2xx or errors |';
  console.log(header);
  console.log('| ---: | ---: | ---: | --- | ---: | --- | ---: | --- | ---: |');
  const started = Date.now();
  const reporter = (async () => {
    while (Date.now() < deadline) {
      await sleep(Math.min(intervalSeconds * 1000, Math.max(0, deadline - Date.now())));
      const v = windows.verify.take();
      const c = windows.create.take();
      const r = windows.revoke.take();
      const row = `| ${((Date.now() - started) / 60_000).toFixed(1)} | ${rssMb(server.pid)?.toFixed(0) ?? '?'} | ${(v.count / intervalSeconds).toFixed(0)} | ${v.p50.toFixed(1)} / ${v.p99.toFixed(1)} | ${c.count} | ${c.p50.toFixed(1)} / ${c.p99.toFixed(1)} | ${r.count} | ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} | ${v.errors + c.errors + r.errors} |`;
      rows.push(row);
      console.log(row);
    }
  })();
  await Promise.all([...Array.from({ length: concurrency }, loop), reporter]);
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  console.log(
    `\n${minutes} min, concurrency ${concurrency}, ${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`,
  );
}

await main();
