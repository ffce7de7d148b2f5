// The gateway in front of real upstreams, verifying against a real Latchkey server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningGateway, startGateway } from '../../cli/commands/gateway.ts';
import { RulesError } from '../../gateway/index.ts';
import { type AdminSession, createResource, createToken, setupAdmin } from '../helpers/factories.ts';
import { freePort } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import {
  type AppUpstream,
  deadUrl,
  type RestUpstream,
  startExpressApp,
  startFastifyApp,
  startNearNode,
  startRestServer,
  type Upstream,
} from './upstreams.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'latchkey-gateway-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function rpc(url: string, body: unknown, token?: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) };
}

async function get(url: string, token?: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body };
}

const call = (method: string, params: unknown, id: unknown = 1) => ({ jsonrpc: '2.0', id, method, params });

/**
 * A request with its target sent byte for byte: fetch() would resolve "/./" and "%2e" itself (WHATWG
 * URL), node:http sends the path as given.
 */
function send(
  base: string,
  target: string,
  token?: string,
  options: { method?: string; body?: string } = {},
): Promise<{ status: number; body: any }> {
  const url = new URL(base);
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: target,
        method: options.method ?? 'GET',
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => {
          let body: any = text;
          try {
            body = JSON.parse(text);
          } catch {}
          resolvePromise({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

let server: TestServer;
let admin: AdminSession;
let gatewayToken: string;
let node: Upstream;
let rest: RestUpstream;
const gateways: RunningGateway[] = [];

before(async () => {
  server = await startServer();
  admin = await setupAdmin(server.url);
  // The gateway's own credential: it only feeds the cache's event stream.
  gatewayToken = (await createToken(admin, { access: 'full', permissions: undefined, name: 'gateway' }))
    .token;
  node = await startNearNode();
  rest = await startRestServer();
});

after(async () => {
  for (const gateway of gateways) await gateway.close();
  await node?.close();
  await rest?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function gatewayFor(options: Partial<Parameters<typeof startGateway>[0]> & { upstream: string }) {
  const running = await startGateway({
    port: 0,
    latchkeyUrl: server.url,
    token: gatewayToken,
    cacheReadyTimeoutMs: 5_000,
    ...options,
  });
  gateways.push(running);
  return running;
}

describe('NEAR-style node behind the near-rpc preset', () => {
  let gateway: RunningGateway;
  let blocksOnly: string;

  before(async () => {
    gateway = await gatewayFor({ upstream: node.url, preset: 'near-rpc' });
    blocksOnly = (await createToken(admin, { permissions: ['blocks:read'] })).token;
  });

  test('the gateway verifies from the SDK cache kept fresh by events', () => {
    assert.equal(gateway.cached, true);
  });

  test('a blocks:read token may call block; the node sees its identity and not the token', async () => {
    const answer = await rpc(gateway.url, call('block', { finality: 'final' }, 'b1'), blocksOnly);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.id, 'b1');
    assert.equal(answer.body.result.method, 'block');
    assert.match(answer.body.result.tokenId, /^tok_/);
    assert.equal(answer.body.result.orgId, admin.orgId);
    assert.equal(answer.body.result.authorization, null);
  });

  test('a blocks:read token is refused broadcast_tx_commit, with a JSON-RPC error carrying the id', async () => {
    const before = node.requests.length;
    const answer = await rpc(gateway.url, call('broadcast_tx_commit', ['base64tx'], 77), blocksOnly);
    assert.equal(answer.status, 403);
    assert.equal(answer.body.jsonrpc, '2.0');
    assert.equal(answer.body.id, 77);
    assert.equal(answer.body.error.code, -32003);
    assert.equal(answer.body.error.data.code, 'FORBIDDEN');
    assert.equal(node.requests.length, before, 'the node never saw it');
  });

  test('a blocks:read token is refused query/view_account, in both params forms', async () => {
    const named = await rpc(
      gateway.url,
      call('query', { request_type: 'view_account', finality: 'final', account_id: 'alice.near' }, 3),
      blocksOnly,
    );
    assert.equal(named.status, 403);
    assert.equal(named.body.id, 3);
    const positional = await rpc(gateway.url, call('query', ['account/alice.near', ''], 4), blocksOnly);
    assert.equal(positional.status, 403);
    assert.equal(positional.body.id, 4);
  });

  test('each shard permission opens exactly its methods', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['send_tx', { signed_tx_base64: 'x' }, 'transactions:write'],
      ['query', { request_type: 'view_account', account_id: 'a' }, 'accounts:read'],
      ['query', { request_type: 'view_code', account_id: 'a' }, 'contract-code:read'],
      ['query', { request_type: 'view_access_key_list', account_id: 'a' }, 'keys:read'],
      ['query', { request_type: 'call_function', account_id: 'a' }, 'contract-state:read'],
      ['EXPERIMENTAL_tx_status', ['hash', 'a'], 'transactions:read'],
      ['EXPERIMENTAL_changes_in_block', { finality: 'final' }, 'blocks:read'],
      ['chunk', { chunk_id: 'x' }, 'chunks:read'],
    ];
    for (const [method, params, permission] of cases) {
      const token = (await createToken(admin, { permissions: [permission] })).token;
      const allowed = await rpc(gateway.url, call(method, params), token);
      assert.equal(allowed.status, 200, `${method} with ${permission}: ${JSON.stringify(allowed.body)}`);
      const other = permission === 'blocks:read' ? 'chunks:read' : 'blocks:read';
      const refused = await rpc(
        gateway.url,
        call(method, params),
        (await createToken(admin, { permissions: [other] })).token,
      );
      assert.equal(refused.status, 403, `${method} with ${other}`);
    }
  });

  test('a batch passes whole or not at all', async () => {
    const ok = await rpc(
      gateway.url,
      [call('block', { block_id: 1 }, 1), call('block', { block_id: 2 }, 2)],
      blocksOnly,
    );
    assert.equal(ok.status, 200);
    assert.deepEqual(
      ok.body.map((r: any) => r.id),
      [1, 2],
    );
    const before = node.requests.length;
    const refused = await rpc(
      gateway.url,
      [call('block', { finality: 'final' }, 'a'), call('chunk', { chunk_id: 'c' }, 'b')],
      blocksOnly,
    );
    assert.equal(refused.status, 403);
    assert.ok(Array.isArray(refused.body));
    assert.deepEqual(
      refused.body.map((r: any) => [r.id, r.error.data.code]),
      [
        ['a', 'FORBIDDEN'],
        ['b', 'FORBIDDEN'],
      ],
    );
    assert.equal(node.requests.length, before, 'no call of the batch reached the node');
  });

  test('a method no rule names is refused, even for a full-access token', async () => {
    const answer = await rpc(gateway.url, call('adv_disable_doomslug', []), gatewayToken);
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error.data.details.reason, 'NO_RULE');
  });

  test('no token, or a bad one: 401 with WWW-Authenticate, as a JSON-RPC error', async () => {
    const none = await rpc(gateway.url, call('block', {}, 9));
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.equal(none.body.id, 9);
    assert.equal(none.body.error.code, -32001);
    const bad = await rpc(gateway.url, call('block', {}, 10), `${blocksOnly.slice(0, -1)}x`);
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate') ?? '', /invalid_token/);
  });

  test('a body that is not JSON-RPC is refused before any rule; a body over the cap is refused', async () => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${blocksOnly}` },
      body: '{"jsonrpc":',
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as any).error.code, -32700);
    const big = await rpc(gateway.url, call('block', { pad: 'x'.repeat(1100 * 1024) }), blocksOnly);
    assert.equal(big.status, 413);
  });

  test('a JSON-RPC body naming a member twice is refused whole; the node never sees it', async () => {
    // The gateway would read one "method" (JSON.parse keeps the last), an upstream another (many keep
    // the first; Go's encoding/json also takes "METHOD" for "method").
    const bodies = [
      '{"jsonrpc":"2.0","id":5,"method":"query","params":{"request_type":"view_account","account_id":"a"},"method":"block"}',
      '{"jsonrpc":"2.0","id":5,"method":"query","\\u006dethod":"block"}',
      '{"jsonrpc":"2.0","id":5,"method":"block","METHOD":"query","params":{"request_type":"view_account"}}',
      '[{"jsonrpc":"2.0","id":5,"method":"block","params":{"finality":"final","finality":"optimistic"}}]',
    ];
    const before = node.requests.length;
    for (const body of bodies) {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${blocksOnly}` },
        body,
      });
      const answer = (await response.json()) as any;
      assert.equal(response.status, 400, body);
      const error = Array.isArray(answer) ? answer[0].error : answer.error;
      assert.equal(error.code, -32600, body);
      assert.equal(error.data.code, 'VALIDATION_FAILED');
      assert.match(error.message, /appears twice/);
    }
    assert.equal(node.requests.length, before, 'no such body reached the node');
  });

  test('a revocation takes effect on the next request (events clear the cache)', async () => {
    const { token, id } = await createToken(admin, { permissions: ['blocks:read'] });
    const first = await rpc(gateway.url, call('block', {}), token);
    assert.equal(first.status, 200);
    const cachedAgain = await rpc(gateway.url, call('block', {}), token);
    assert.equal(cachedAgain.status, 200);
    const revoked = await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${id}`);
    assert.ok(revoked.status === 200 || revoked.status === 204, JSON.stringify(revoked.body));
    // The SDK cache learns of it through the event stream; the spec allows it one second.
    const started = Date.now();
    let status = 200;
    while (Date.now() - started < 1_000) {
      status = (await rpc(gateway.url, call('block', {}), token)).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(status, 401, 'refused within a second of the revocation');
  });
});

describe('a REST upstream', () => {
  let gateway: RunningGateway;
  let shard: { id: string; name: string };
  let reader: string;

  before(async () => {
    shard = await createResource(admin, 'shard', 'testnet-1');
    const rules = file(
      'rest.yaml',
      [
        'identityHeaders: { tokenId: x-latchkey-token-id, orgId: x-latchkey-org-id }',
        'rules:',
        '  - match: { method: GET, path: /things/:id }',
        '    permission: blocks:read',
        '  - match: { method: GET, path: "/shards/:shard/**" }',
        '    permission: blocks:read',
        '    resource: { param: shard, map: { testnet-1: RES } }'.replace('RES', shard.id),
        '  - match: { method: POST, path: /upload }',
        '    permission: transactions:write',
        '  - match: { method: GET, path: /download }',
        '    permission: blocks:read',
        '  - match: { method: GET, path: /fail }',
        '    authenticated: true',
        '  - match: { method: GET, path: /open }',
        '    public: true',
      ].join('\n'),
    );
    gateway = await gatewayFor({ upstream: rest.url, rulesFile: rules });
    reader = (await createToken(admin, { permissions: ['blocks:read', 'transactions:write'] })).token;
  });

  test('Authorization is stripped, identity headers forwarded, spoofed ones replaced', async () => {
    const answer = await get(`${gateway.url}/things/7?x=1`, reader, {
      'x-latchkey-token-id': 'tok_spoofed',
      'x-latchkey-org-id': 'org_spoofed',
      'x-latchkey-admin': 'yes',
    });
    assert.equal(answer.status, 200);
    const headers = answer.body.headers;
    assert.equal(answer.body.url, '/things/7?x=1');
    assert.equal(headers.authorization, undefined);
    assert.match(headers['x-latchkey-token-id'], /^tok_/);
    assert.notEqual(headers['x-latchkey-token-id'], 'tok_spoofed');
    assert.equal(headers['x-latchkey-org-id'], admin.orgId);
    assert.equal(headers['x-latchkey-admin'], undefined);
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
  });

  test('a public route passes without a token, and never gets identity headers', async () => {
    const answer = await get(`${gateway.url}/open`, undefined, { 'x-latchkey-token-id': 'tok_spoofed' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.headers['x-latchkey-token-id'], undefined);
  });

  test('401 and 403 in the error envelope; unmatched routes are refused', async () => {
    const none = await get(`${gateway.url}/things/1`);
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'UNAUTHENTICATED');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm="latchkey"/);
    const chunksOnly = (await createToken(admin, { permissions: ['chunks:read'] })).token;
    const lacking = await get(`${gateway.url}/things/1`, chunksOnly);
    assert.equal(lacking.status, 403);
    assert.equal(lacking.body.error.code, 'FORBIDDEN');
    const unmatched = await get(`${gateway.url}/admin`, reader);
    assert.equal(unmatched.status, 403);
    assert.equal(unmatched.body.error.details.reason, 'NO_RULE');
  });

  test('a resource from a path segment, through the map', async () => {
    const limited = (await createToken(admin, { permissions: ['blocks:read'], resourceIds: [shard.id] }))
      .token;
    assert.equal((await get(`${gateway.url}/shards/testnet-1/blocks/1`, limited)).status, 200);
    const other = await createResource(admin, 'shard', 'mainnet-9');
    const elsewhere = (await createToken(admin, { permissions: ['blocks:read'], resourceIds: [other.id] }))
      .token;
    const refused = await get(`${gateway.url}/shards/testnet-1/blocks/1`, elsewhere);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.details.reason, 'RESOURCE_FORBIDDEN');
    assert.equal((await get(`${gateway.url}/shards/unknown/blocks/1`, limited)).status, 403);
  });

  test('upstream errors pass through untouched', async () => {
    const answer = await get(`${gateway.url}/fail`, reader);
    assert.equal(answer.status, 500);
    assert.deepEqual(answer.body, { upstream: 'broke' });
    assert.equal(answer.headers.get('x-upstream'), 'yes');
  });

  test('a 10 MB body streams through: the upstream receives it while the client is still sending', async () => {
    const total = 10 * 1024 * 1024;
    const size = 256 * 1024;
    const hash = createHash('sha256');
    const url = new URL(`${gateway.url}/upload`);
    const result = await new Promise<{ status: number; body: any; sawEarly: number }>(
      (resolvePromise, reject) => {
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/octet-stream' },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => {
              text += c.toString();
            });
            res.on('end', () =>
              resolvePromise({ status: res.statusCode ?? 0, body: JSON.parse(text), sawEarly }),
            );
          },
        );
        req.on('error', reject);
        let sent = 0;
        let sawEarly = 0;
        const send = async () => {
          // The first megabyte, then wait until the upstream has some of it: a gateway that buffered the
          // whole body would never let it through before the end.
          while (sent < 1024 * 1024) {
            const piece = Buffer.alloc(size, sent % 251);
            hash.update(piece);
            req.write(piece);
            sent += size;
          }
          const deadline = Date.now() + 5_000;
          while (rest.uploadBytes() === 0 && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 5));
          sawEarly = rest.uploadBytes();
          while (sent < total) {
            const piece = Buffer.alloc(size, sent % 251);
            hash.update(piece);
            sent += size;
            if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
          }
          req.end();
        };
        send().catch(reject);
      },
    );
    assert.equal(result.status, 200);
    assert.ok(result.sawEarly > 0, 'the upstream received bytes before the client finished sending');
    assert.ok(result.sawEarly < total);
    assert.equal(result.body.bytes, total);
    assert.equal(result.body.sha256, hash.digest('hex'));
  });

  test('a 10 MB answer streams back', async () => {
    const response = await fetch(`${gateway.url}/download`, {
      headers: { authorization: `Bearer ${reader}` },
    });
    assert.equal(response.status, 200);
    const body = Buffer.from(await response.arrayBuffer());
    assert.equal(body.length, 10 * 1024 * 1024);
  });
});

describe('paths: the gateway matches the path it forwards (issue 12, rule 4)', () => {
  const apps: AppUpstream[] = [];
  const gatewayOf = new Map<AppUpstream, RunningGateway>();
  let blocksReader: string;
  let accountsReader: string;

  before(async () => {
    apps.push(await startFastifyApp(), await startExpressApp());
    const rules = file(
      'apps.yaml',
      [
        'rules:',
        '  - match: { path: /admin/** }',
        '    deny: true',
        '  - match: { method: GET, path: /shards/:shard/accounts/** }',
        '    permission: accounts:read',
        '  - match: { method: GET, path: "/**" }',
        '    permission: blocks:read',
      ].join('\n'),
    );
    for (const app of apps) gatewayOf.set(app, await gatewayFor({ upstream: app.url, rulesFile: rules }));
    blocksReader = (await createToken(admin, { permissions: ['blocks:read'] })).token;
    accountsReader = (await createToken(admin, { permissions: ['accounts:read'] })).token;
  });

  after(async () => {
    for (const app of apps) await app.close();
  });

  const gatewayUrl = (app: AppUpstream) => gatewayOf.get(app)?.url ?? assert.fail('no gateway');

  test('each framework serves /admin/secret by other spellings, so the deny rule must see them', async () => {
    const [fastify, express] = apps as [AppUpstream, AppUpstream];
    assert.equal((await send(fastify.url, '/%61dmin/secret')).status, 200, 'Fastify decodes %61');
    assert.equal((await send(express.url, '/ADMIN/secret')).status, 200, 'Express ignores letter case');
  });

  test('a deny rule holds against dot segments, duplicate slashes, encoded letters and letter case', async () => {
    const targets = [
      '/./admin/secret',
      '/x/../admin/secret',
      '/../admin/secret',
      '//admin//secret',
      '/admin/./secret/',
      '/%61dmin/secret',
      '/%41DMIN/secret',
      '/ADMIN/secret',
      '/Admin/Secret',
    ];
    for (const app of apps) {
      const before = app.requests.length;
      for (const target of targets) {
        const answer = await send(gatewayUrl(app), target, blocksReader);
        assert.equal(answer.status, 403, `${app.framework} ${target}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.details.reason, 'DENIED', `${app.framework} ${target}`);
      }
      assert.equal(app.requests.length, before, `${app.framework} never saw any of them`);
    }
  });

  test('ambiguous encodings are refused with 400 before any rule, and never reach the upstream', async () => {
    const cases: Array<[string, string]> = [
      ['/%2e/admin/secret', 'ENCODED_DOT_SEGMENT'],
      ['/%2e%2e/admin/secret', 'ENCODED_DOT_SEGMENT'],
      ['/shards/x/%2E%2E/%2e%2e/admin/secret', 'ENCODED_DOT_SEGMENT'],
      ['/admin%2fsecret', 'ENCODED_SLASH'],
      ['/x/..%2Fadmin/secret', 'ENCODED_SLASH'],
      ['/admin%5csecret', 'ENCODED_BACKSLASH'],
      ['/admin\\secret', 'BACKSLASH'],
      ['/x/..;/admin/secret', 'DOT_SEGMENT_LOOKALIKE'],
      ['/admin/%00secret', 'CONTROL_CHARACTER'],
      ['/admin/secret%', 'INVALID_PERCENT_ENCODING'],
      ['/admin/%zz', 'INVALID_PERCENT_ENCODING'],
      ['/admin/%C0%AE', 'INVALID_UTF8'],
      ['http://evil.test/admin/secret', 'NOT_ORIGIN_FORM'],
    ];
    for (const app of apps) {
      const before = app.requests.length;
      for (const [target, reason] of cases) {
        const answer = await send(gatewayUrl(app), target, blocksReader);
        assert.equal(answer.status, 400, `${app.framework} ${target}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.code, 'VALIDATION_FAILED', target);
        assert.deepEqual(answer.body.error.details, { field: 'path', reason }, target);
        assert.equal(typeof answer.body.error.requestId, 'string');
      }
      assert.equal(app.requests.length, before, `${app.framework} never saw any of them`);
    }
  });

  test('a blocks:read token does not reach accounts by another spelling of the path', async () => {
    const targets = [
      '/./shards/testnet-1/accounts/alice',
      '/shards/testnet-1/./accounts/alice',
      '/shards//testnet-1/accounts/alice',
      '/shards/testnet-1/blocks/../accounts/alice',
      '/shards/testnet-1/%61ccounts/alice',
      '/shards/testnet-1/ACCOUNTS/alice',
      '/SHARDS/testnet-1/Accounts/alice',
    ];
    for (const app of apps) {
      const before = app.requests.length;
      for (const target of targets) {
        const answer = await send(gatewayUrl(app), target, blocksReader);
        assert.equal(answer.status, 403, `${app.framework} ${target}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.details.reason, 'FORBIDDEN', `${app.framework} ${target}`);
      }
      assert.equal(app.requests.length, before, `${app.framework} never saw any of them`);
      // The token that holds accounts:read reaches the account by any spelling; the upstream gets one.
      const allowed = await send(gatewayUrl(app), '/./shards//testnet-1/%61ccounts/alice', accountsReader);
      assert.equal(allowed.status, 200, `${app.framework}: ${JSON.stringify(allowed.body)}`);
      assert.deepEqual(allowed.body, { account: 'alice', shard: 'testnet-1' });
      assert.equal(app.requests.at(-1)?.url, '/shards/testnet-1/accounts/alice');
      // And blocks:read still reads blocks.
      const blocks = await send(gatewayUrl(app), '/shards/testnet-1/blocks/7', blocksReader);
      assert.deepEqual(blocks.body, { block: '7', shard: 'testnet-1' });
    }
  });

  test('the upstream receives exactly the normalized path (under its prefix) and the query as sent', async () => {
    const rules = file('echo.yaml', 'rules:\n  - match: { path: "/**" }\n    authenticated: true\n');
    const gateway = await gatewayFor({ upstream: `${rest.url}/api`, rulesFile: rules });
    const cases: Array<[string, string]> = [
      ['/things/./7//detail/%7e%61?x=%2e&y=/../z', '/api/things/7/detail/~a?x=%2e&y=/../z'],
      [`/things/7?q='"&r=%zz`, `/api/things/7?q='"&r=%zz`],
      ['/Things/caf%c3%a9/%7Bx%7d{y}', '/api/Things/caf%C3%A9/%7Bx%7D%7By%7D'],
      ['/things/7/', '/api/things/7/'],
      ['/a/b/..', '/api/a/'],
      ['//', '/api/'],
    ];
    for (const [target, expected] of cases) {
      const answer = await send(gateway.url, target, blocksReader);
      assert.equal(answer.status, 200, `${target}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.url, expected, target);
    }
  });

  test('caseInsensitivePaths: false matches letter case exactly (for upstreams that do too)', async () => {
    const [fastify] = apps as [AppUpstream];
    const rules = file(
      'exact.yaml',
      'caseInsensitivePaths: false\nrules:\n  - match: { path: /admin/** }\n    deny: true\n  - match: { path: "/**" }\n    permission: blocks:read\n',
    );
    const gateway = await gatewayFor({ upstream: fastify.url, rulesFile: rules });
    assert.equal((await send(gateway.url, '/admin/secret', blocksReader)).status, 403);
    assert.equal((await send(gateway.url, '/%61dmin/secret', blocksReader)).status, 403);
    // Not /admin/** as written: passed on, and Fastify, which compares case too, has no such route.
    const other = await send(gateway.url, '/ADMIN/secret', blocksReader);
    assert.equal(other.status, 404);
    assert.equal(fastify.requests.at(-1)?.url, '/ADMIN/secret');
  });

  test('caseInsensitivePaths must be true or false, named by its line', async () => {
    const path = file(
      'case.yaml',
      'rules:\n  - match: { path: /x }\n    public: true\ncaseInsensitivePaths: "yes"\n',
    );
    await assert.rejects(
      startGateway({ upstream: rest.url, rulesFile: path, latchkeyUrl: server.url, port: 0 }),
      (error: unknown) => {
        assert.match(String(error), /case\.yaml line 4: caseInsensitivePaths: must be true .* or false/);
        return true;
      },
    );
  });
});

describe('the upstream down', () => {
  test('502, in the envelope or as a JSON-RPC error', async () => {
    const gateway = await gatewayFor({ upstream: await deadUrl(), preset: 'near-rpc' });
    const token = (await createToken(admin, { permissions: ['blocks:read'] })).token;
    const answer = await rpc(gateway.url, call('block', {}, 5), token);
    assert.equal(answer.status, 502);
    assert.equal(answer.body.id, 5);
    assert.equal(answer.body.error.data.code, 'BAD_GATEWAY');
    const plain = await get(`${gateway.url}/status`, token);
    assert.equal(plain.status, 502);
    assert.equal(plain.body.error.code, 'BAD_GATEWAY');
  });
});

describe('in the same process as the server (--serve)', () => {
  test("verifies with the server's own Verifier: a revocation is refused on the very next request", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-gateway-serve-'));
    const gateway = await gatewayFor({
      upstream: node.url,
      preset: 'near-rpc',
      latchkeyUrl: undefined,
      serve: { port: 0, host: '127.0.0.1', dataDir },
      env: { LOG_LEVEL: 'warn' },
    });
    try {
      assert.ok(gateway.server);
      const own = await setupAdmin(gateway.server.url);
      const { token, id } = await createToken(own, { permissions: ['blocks:read'] });
      const ok = await rpc(gateway.url, call('block', {}), token);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.result.orgId, own.orgId);
      assert.equal((await rpc(gateway.url, call('chunk', {}), token)).status, 403);
      const revoked = await own.client.delete(`/v1/orgs/${own.orgId}/tokens/${id}`);
      assert.ok(revoked.status < 300);
      assert.equal((await rpc(gateway.url, call('block', {}), token)).status, 401);
    } finally {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a bad rules file stops start-up, naming the line', () => {
  test('YAML: every problem with its line', async () => {
    const path = file(
      'bad.yaml',
      [
        'rules:',
        '  - match: { method: GET, path: /ok }',
        '    permission: blocks:read',
        '  - match: { path: /x }',
        '    permision: blocks:read',
      ].join('\n'),
    );
    await assert.rejects(
      startGateway({ upstream: rest.url, rulesFile: path, latchkeyUrl: server.url, port: 0 }),
      (error: unknown) => {
        assert.ok(error instanceof RulesError);
        assert.match(error.message, /bad\.yaml line 5: rules\[1\]\.permision: unknown key "permision"/);
        assert.match(error.message, /bad\.yaml line 4: rules\[1\]: says nothing about access/);
        return true;
      },
    );
  });

  test('JSON: the line of the offending value, and of a syntax error', async () => {
    const wrong = file(
      'wrong.json',
      '{\n  "rules": [\n    {\n      "match": { "path": "/x" },\n      "permission": "blocks read"\n    }\n  ]\n}\n',
    );
    await assert.rejects(
      startGateway({ upstream: rest.url, rulesFile: wrong, latchkeyUrl: server.url, port: 0 }),
      (error: unknown) => {
        assert.match(
          String(error),
          /wrong\.json line 5: rules\[0\]\.permission: "blocks read" is not a permission key/,
        );
        return true;
      },
    );
    const broken = file('broken.json', '{\n  "rules": [\n    { "match": { "path": "/" }, },\n  ]\n}\n');
    await assert.rejects(
      startGateway({ upstream: rest.url, rulesFile: broken, latchkeyUrl: server.url, port: 0 }),
      (error: unknown) => {
        assert.match(String(error), /broken\.json line 3: not valid JSON/);
        return true;
      },
    );
  });

  test('a permission the catalog does not hold', async () => {
    const path = file('unknown.yaml', 'rules:\n  - match: { path: /x }\n    permission: blocks:reed\n');
    await assert.rejects(
      startGateway({ upstream: rest.url, rulesFile: path, latchkeyUrl: server.url, port: 0 }),
      (error: unknown) => {
        assert.match(String(error), /unknown\.yaml line 2: unknown permission "blocks:reed"/);
        return true;
      },
    );
  });

  test('the command exits 2 with the message', async () => {
    const path = file('cli-bad.yaml', 'rules:\n  - match: { path: nope }\n    permission: blocks:read\n');
    const { code, output } = await runCli([
      'gateway',
      '--upstream',
      rest.url,
      '--rules',
      path,
      '--latchkey',
      server.url,
      '--port',
      '0',
    ]);
    assert.equal(code, 2, output);
    assert.match(output, /cli-bad\.yaml line 2: rules\[0\]\.match\.path: "nope": must start with "\/"/);
  });
});

describe('latchkey gateway as a process', () => {
  test('starts with --preset, --latchkey and --token, and proxies', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        'bin/latchkey.js',
        'gateway',
        '--upstream',
        node.url,
        '--preset',
        'near-rpc',
        '--latchkey',
        server.url,
        '--port',
        String(port),
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, LATCHKEY_TOKEN: gatewayToken },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('Latchkey gateway is serving') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(output, /Latchkey gateway is serving on http:\/\/127\.0\.0\.1:\d+/);
      assert.doesNotMatch(output, /without a cache/);
      const token = (await createToken(admin, { permissions: ['blocks:read'] })).token;
      const answer = await rpc(`http://127.0.0.1:${port}`, call('block', {}, 'p'), token);
      assert.equal(answer.status, 200);
      assert.equal(answer.body.id, 'p');
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, output);
    }
  });
});

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['bin/latchkey.js', ...args], {
      cwd: repoRoot,
      env: { ...process.env, LATCHKEY_TOKEN: gatewayToken },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.once('exit', (code) => resolvePromise({ code, output }));
  });
}
