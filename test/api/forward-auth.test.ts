// GET /v1/verify: verification for reverse proxies (nginx auth_request, Traefik ForwardAuth, Caddy
// forward_auth), which judge by status alone. The same verifier as POST /v1/verify answers it: the same
// codes, failure limits, usage and revocation, with the end client named only by a trusted proxy.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateTokenValue } from '../../server/tokens/token-value.ts';
import { testDialects } from '../helpers/dialects.ts';
import { type AdminSession, createResource, createToken, setupAdmin } from '../helpers/factories.ts';
import { NGINX, nginxConfigIn } from '../helpers/nginx.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { type Answer, requestFrom as request } from '../helpers/verify-from.ts';

/** GET /v1/verify as a proxy asks it: the end client's bearer token, the question in the query. */
function ask(
  server: TestServer,
  token: string | undefined,
  query = '',
  options: { from?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return request(`${server.url}/v1/verify${query}`, {
    ...(options.from !== undefined && { from: options.from }),
    headers: {
      ...options.headers,
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
  });
}

const reasonOf = (answer: Answer) => answer.body?.error?.details?.reason;

async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The proxy the tests trust (VERIFY_TRUSTED_PROXIES); every other 127.x address is an untrusted caller. */
const PROXY = '127.0.0.2';
const LIMIT = 5;

for (const dialect of await testDialects()) {
  describe(`GET /v1/verify for reverse proxies (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;

    before(async () => {
      server = await startServer({
        dialect: dialect.name,
        env: { VERIFY_TRUSTED_PROXIES: PROXY, VERIFY_FAILURE_LIMIT: String(LIMIT) },
      });
      admin = await setupAdmin(server.url);
    });
    after(() => server.close());

    test('a valid token answering the question is 204, no body, with its identity in headers', async () => {
      const shard = await createResource(admin);
      const { token, id } = await createToken(admin, {
        permissions: ['blocks:read'],
        resourceIds: [shard.id],
      });
      const answer = await ask(server, token, `?permission=blocks:read&resource=${shard.id}`);
      assert.equal(answer.status, 204);
      assert.equal(answer.body, undefined);
      assert.equal(answer.headers['x-latchkey-token-id'], id);
      assert.equal(answer.headers['x-latchkey-org-id'], admin.orgId);
      assert.equal(answer.headers['x-latchkey-token-kind'], 'personal');
      assert.equal(answer.headers['x-latchkey-owner-id'], admin.userId);
      assert.ok(answer.headers['x-request-id']);
      const head = await request(`${server.url}/v1/verify?permission=blocks:read`, {
        method: 'HEAD',
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(head.status, 204, 'HEAD answers as GET');
      assert.equal(head.headers['x-latchkey-token-id'], id);
      const application = await createToken(admin, { kind: 'application' });
      const app = await ask(server, application.token);
      assert.equal(app.status, 204);
      assert.equal(app.headers['x-latchkey-token-kind'], 'application');
      assert.equal(app.headers['x-latchkey-owner-id'], undefined);
    });

    test('a token that does not work is 401 invalid_token with the verify code as details.reason', async () => {
      const from = '127.0.0.11';
      const malformed = await ask(server, 'lk_not-a-token', '', { from });
      const unknown = await ask(server, generateTokenValue('lk'), '', { from });
      const revoked = await createToken(admin);
      await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${revoked.id}`);
      const expired = await createToken(admin);
      await server.deps.db
        .updateTable('tokens')
        .set({ expiresAt: Date.now() - 1 })
        .where('id', '=', expired.id)
        .execute();
      server.deps.events.tokenChanged(admin.orgId, expired.id);
      const elsewhere = await createToken(admin, { allowedIps: ['203.0.113.0/24'] });
      const answers = {
        MALFORMED: malformed,
        NOT_FOUND: unknown,
        REVOKED: await ask(server, revoked.token, '', { from }),
        EXPIRED: await ask(server, expired.token, '', { from }),
        IP_NOT_ALLOWED: await ask(server, elsewhere.token, '', { from }),
      };
      for (const [code, answer] of Object.entries(answers)) {
        assert.equal(answer.status, 401, code);
        assert.equal(
          answer.headers['www-authenticate'],
          'Bearer realm="latchkey", error="invalid_token"',
          code,
        );
        assert.equal(answer.body.error.code, 'UNAUTHENTICATED', code);
        assert.equal(reasonOf(answer), code);
        assert.equal(answer.headers['x-latchkey-token-id'], undefined, code);
      }
    });

    test('no bearer token is 401 with the plain challenge; a token in the URL is never read', async () => {
      const { token } = await createToken(admin);
      const basic = `Basic ${Buffer.from(`x:${token}`).toString('base64')}`;
      for (const headers of [{}, { authorization: basic }] as Record<string, string>[]) {
        const answer = await ask(server, undefined, `?token=${token}`, { headers, from: '127.0.0.12' });
        assert.equal(answer.status, 401);
        assert.equal(answer.headers['www-authenticate'], 'Bearer realm="latchkey"');
        assert.equal(answer.body.error.details.field, 'authorization');
      }
    });

    test('a token lacking the permission or the resource is 403 insufficient_scope', async () => {
      const shard = await createResource(admin);
      const other = await createResource(admin);
      const { token } = await createToken(admin, { permissions: ['blocks:read'], resourceIds: [shard.id] });
      const forbidden = await ask(server, token, '?permission=chunks:read');
      assert.equal(forbidden.status, 403);
      assert.equal(
        forbidden.headers['www-authenticate'],
        'Bearer realm="latchkey", error="insufficient_scope"',
      );
      assert.equal(forbidden.body.error.code, 'FORBIDDEN');
      assert.equal(reasonOf(forbidden), 'FORBIDDEN');
      const resource = await ask(server, token, `?permission=blocks:read&resource=${other.id}`);
      assert.equal(resource.status, 403);
      assert.equal(reasonOf(resource), 'RESOURCE_FORBIDDEN');
    });

    test('permissionAll needs every key, permissionAny one of them; one question at a time', async () => {
      const { token } = await createToken(admin, { permissions: ['blocks:read', 'chunks:read'] });
      assert.equal((await ask(server, token, '?permissionAll=blocks:read,chunks:read')).status, 204);
      assert.equal((await ask(server, token, '?permissionAll=blocks:read,keys:read')).status, 403);
      assert.equal((await ask(server, token, '?permissionAny=keys:read,chunks:read')).status, 204);
      assert.equal((await ask(server, token, '?permissionAny=keys:read,accounts:read')).status, 403);
      const two = await ask(server, token, '?permission=blocks:read&permissionAny=keys:read');
      assert.equal(two.status, 400);
      assert.equal(two.body.error.code, 'VALIDATION_FAILED');
      assert.equal(two.body.error.details.fields[0].field, 'permissionAny');
      const empty = await ask(server, token, '?permissionAll=blocks:read,,keys:read');
      assert.equal(empty.status, 400);
      assert.equal(empty.body.error.details.fields[0].field, 'permissionAll');
    });

    test('a revoked token is refused on the very next request after the revoke returned', async () => {
      const { token, id } = await createToken(admin);
      assert.equal((await ask(server, token)).status, 204);
      assert.equal((await ask(server, token)).status, 204); // answered from memory now
      const revoke = await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${id}`);
      assert.equal(revoke.status, 200);
      const next = await ask(server, token, '', { from: '127.0.0.13' });
      assert.equal(next.status, 401);
      assert.equal(reasonOf(next), 'REVOKED');
    });

    test('each 204 is a use (useCount, lastUsedIp); a refusal is not', async () => {
      const { token, id } = await createToken(admin);
      for (let i = 0; i < 3; i++)
        assert.equal((await ask(server, token, '', { from: '127.0.0.14' })).status, 204);
      assert.equal((await ask(server, token, '?permission=keys:read', { from: '127.0.0.14' })).status, 403);
      await eventually(async () => {
        const info = (await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${id}`)).body;
        return info.useCount === 3;
      });
      const info = (await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${id}`)).body;
      assert.equal(info.lastUsedIp, '127.0.0.14');
    });

    test("a token's own rate limit is 429 with details.reason RATE_LIMITED", async () => {
      const { token } = await createToken(admin, { rateLimit: { limit: 2, windowSeconds: 60 } });
      assert.equal((await ask(server, token)).status, 204);
      assert.equal((await ask(server, token)).status, 204);
      const limited = await ask(server, token);
      assert.equal(limited.status, 429);
      assert.equal(reasonOf(limited), 'RATE_LIMITED');
    });

    test('guessing is throttled per address: 429 with Retry-After past VERIFY_FAILURE_LIMIT, even for a good token', async () => {
      const from = '127.0.0.15';
      const { token } = await createToken(admin);
      for (let i = 0; i < LIMIT; i++)
        assert.equal((await ask(server, generateTokenValue('lk'), '', { from })).status, 401);
      const throttled = await ask(server, token, '', { from });
      assert.equal(throttled.status, 429);
      assert.equal(throttled.body.error.code, 'RATE_LIMITED');
      assert.ok(Number(throttled.headers['retry-after']) >= 1);
      assert.equal(
        (await ask(server, token, '', { from: '127.0.0.16' })).status,
        204,
        'another address is not',
      );
    });

    test('a trusted proxy names the end client in X-Forwarded-For (right to left) or X-Real-IP; allowedIps judges it', async () => {
      const { token } = await createToken(admin, { allowedIps: ['203.0.113.0/24'] });
      const named = (headers: Record<string, string>, from = PROXY) =>
        ask(server, token, '', { from, headers });
      assert.equal((await named({ 'x-forwarded-for': '203.0.113.7' })).status, 204);
      assert.equal((await named({ 'x-real-ip': '203.0.113.7' })).status, 204);
      // The proxy appended the client it saw; what the client wrote on the left is not believed.
      const spoofed = await named({ 'x-forwarded-for': '203.0.113.7, 198.51.100.9' });
      assert.equal(spoofed.status, 401);
      assert.equal(reasonOf(spoofed), 'IP_NOT_ALLOWED');
      // A trusted proxy in the chain is walked past.
      assert.equal((await named({ 'x-forwarded-for': `203.0.113.7, ${PROXY}` })).status, 204);
      // X-Real-IP counts only without X-Forwarded-For.
      assert.equal(
        (await named({ 'x-forwarded-for': '198.51.100.9', 'x-real-ip': '203.0.113.7' })).status,
        401,
      );
      const bad = await named({ 'x-forwarded-for': 'not-an-address' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.details.fields[0].field, 'x-forwarded-for');
    });

    test('from a caller not in VERIFY_TRUSTED_PROXIES the forwarding headers are ignored: the caller is the client', async () => {
      const { token } = await createToken(admin, { allowedIps: ['203.0.113.0/24'] });
      const local = await createToken(admin, { allowedIps: ['127.0.0.0/8'] });
      const headers = { 'x-forwarded-for': '203.0.113.7', 'x-real-ip': '203.0.113.7' };
      const untrusted = await ask(server, token, '', { from: '127.0.0.17', headers });
      assert.equal(untrusted.status, 401);
      assert.equal(reasonOf(untrusted), 'IP_NOT_ALLOWED');
      assert.equal((await ask(server, local.token, '', { from: '127.0.0.17', headers })).status, 204);
    });

    test("one end client's guesses through a trusted proxy throttle that client, not the proxy's other clients", async () => {
      const { token } = await createToken(admin);
      const as = (client: string, value: string) =>
        ask(server, value, '', { from: PROXY, headers: { 'x-forwarded-for': client } });
      for (let i = 0; i < LIMIT; i++)
        assert.equal((await as('198.51.100.66', generateTokenValue('lk'))).status, 401);
      const throttled = await as('198.51.100.66', token);
      assert.equal(throttled.status, 429);
      assert.ok(throttled.headers['retry-after']);
      assert.equal((await as('198.51.100.67', token)).status, 204);
    });
  });
}

// ---- A real nginx in front of a node:http upstream, asking GET /v1/verify with auth_request. ----

const nginxMissing = existsSync(NGINX) ? undefined : `nginx is not installed at ${NGINX}`;
if (nginxMissing !== undefined && process.env.CI === 'true') {
  throw new Error(`CI=true needs nginx for the forward-auth test: ${nginxMissing}`);
}

/** The configuration docs/gateway.md shows, with the ports of this test. */
function nginxConfig(dir: string, port: number, upstreamPort: number, latchkeyPort: number): string {
  return nginxConfigIn(
    dir,
    256,
    `
  upstream app { server 127.0.0.1:${upstreamPort}; }
  upstream latchkey { server 127.0.0.1:${latchkeyPort}; keepalive 8; }
  server {
    listen 127.0.0.1:${port};
    location = /_latchkey_verify {
      internal;
      proxy_pass http://latchkey/v1/verify?permission=blocks:read;
      proxy_method GET;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    location / {
      auth_request /_latchkey_verify;
      auth_request_set $latchkey_token_id $upstream_http_x_latchkey_token_id;
      auth_request_set $latchkey_org_id $upstream_http_x_latchkey_org_id;
      proxy_set_header X-Latchkey-Token-Id $latchkey_token_id;
      proxy_set_header X-Latchkey-Org-Id $latchkey_org_id;
      proxy_pass http://app;
    }
  }`,
  );
}

describe('nginx auth_request in front of an upstream, asking GET /v1/verify', { skip: nginxMissing }, () => {
  let server: TestServer;
  let admin: AdminSession;
  let upstream: http.Server;
  let nginx: ChildProcess;
  let nginxOutput = '';
  let dir: string;
  let url: string;
  /** What the upstream received, newest last. */
  const received: { method: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  before(async () => {
    // nginx's requests come from 127.0.0.1, which the server trusts to name the end client.
    server = await startServer({ env: { VERIFY_TRUSTED_PROXIES: '127.0.0.1' } });
    admin = await setupAdmin(server.url);
    upstream = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({ method: req.method ?? '', headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('upstream says hello');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    dir = mkdtempSync(join(tmpdir(), 'latchkey-nginx-'));
    mkdirSync(join(dir, 'logs'));
    writeFileSync(
      join(dir, 'nginx.conf'),
      nginxConfig(dir, port, (upstream.address() as AddressInfo).port, Number(new URL(server.url).port)),
    );
    const check = spawnSync(
      NGINX,
      ['-t', '-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(check.status, 0, check.stderr);
    nginx = spawn(NGINX, ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    nginx.stderr?.on('data', (chunk: Buffer) => {
      nginxOutput += chunk.toString();
    });
    url = `http://127.0.0.1:${port}`;
    await eventually(async () => {
      if (nginx.exitCode !== null) throw new Error(`nginx exited: ${nginxOutput}`);
      return fetch(`${url}/`).then(
        () => true,
        () => false,
      );
    });
  });
  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const through = (
    token: string | undefined,
    init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  ) =>
    request(`${url}/things?page=2`, {
      ...(init.method !== undefined && { method: init.method }),
      ...(init.body !== undefined && { body: init.body }),
      headers: { ...init.headers, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    }).then((answer) => answer.status);

  test('a bad, unknown, revoked or missing token is refused and never reaches the upstream', async () => {
    const revoked = await createToken(admin);
    await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${revoked.id}`);
    const before = received.length;
    assert.equal(await through(undefined), 401);
    assert.equal(await through('lk_not-a-token'), 401);
    assert.equal(await through(generateTokenValue('lk')), 401);
    assert.equal(await through(revoked.token), 401);
    const lacking = await createToken(admin, { permissions: ['chunks:read'] });
    assert.equal(await through(lacking.token), 403);
    assert.equal(received.length, before, 'the upstream saw none of them');
  });

  test('a good token passes, its body too, and the upstream gets its identity (a forged one is replaced)', async () => {
    const { token, id } = await createToken(admin);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'block' });
    const status = await through(token, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-latchkey-token-id': 'tok_forged',
        'x-latchkey-org-id': 'org_forged',
      },
    });
    assert.equal(status, 200, nginxOutput);
    const seen = received.at(-1);
    assert.equal(seen?.method, 'POST');
    assert.equal(seen?.body, body);
    assert.equal(seen?.headers['x-latchkey-token-id'], id);
    assert.equal(seen?.headers['x-latchkey-org-id'], admin.orgId);
  });

  test('a token revoked while in use is refused on the next request through nginx', async () => {
    const { token, id } = await createToken(admin);
    assert.equal(await through(token), 200);
    await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${id}`);
    assert.equal(await through(token), 401);
  });
});
