// A real NEAR client (near-api-js's JsonRpcProvider) calling through the gateway's near-rpc preset: a
// refusal reaches the caller as a readable reason in nearcore's error shape, and a 401 or 403 is asked
// once, not retried (issue 14).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JsonRpcProvider } from 'near-api-js';
import { RpcRequestParseError } from 'near-api-js/rpc-errors';
import { type RunningGateway, startGateway } from '../../cli/commands/gateway.ts';
import { type AdminSession, createToken, setupAdmin } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { startNearNode, type Upstream } from './upstreams.ts';

let server: TestServer;
let admin: AdminSession;
let node: Upstream;
let gatewayToken: string;
const gateways: RunningGateway[] = [];
const dir = mkdtempSync(join(tmpdir(), 'latchkey-near-client-'));

before(async () => {
  server = await startServer();
  admin = await setupAdmin(server.url);
  gatewayToken = (await createToken(admin, { access: 'full', permissions: undefined, name: 'gateway' }))
    .token;
  node = await startNearNode();
});

after(async () => {
  for (const gateway of gateways) await gateway.close();
  await node?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A gateway in front of the NEAR-shaped node, and a count of the requests it received. */
async function gatewayWith(options: { preset?: string; rulesFile?: string }) {
  const running = await startGateway({
    upstream: node.url,
    port: 0,
    latchkeyUrl: server.url,
    token: gatewayToken,
    cacheReadyTimeoutMs: 5_000,
    ...options,
  });
  gateways.push(running);
  const hits = { count: 0 };
  running.gateway.server.on('request', () => {
    hits.count++;
  });
  return { url: running.url, hits };
}

/** The client as an application configures it: the token in a header, the library's default retries. */
const providerFor = (url: string, token?: string) =>
  new JsonRpcProvider({ url, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });

describe('near-api-js through the near-rpc preset', () => {
  let url: string;
  let hits: { count: number };
  let blocksOnly: string;

  before(async () => {
    ({ url, hits } = await gatewayWith({ preset: 'near-rpc' }));
    blocksOnly = (await createToken(admin, { permissions: ['blocks:read'] })).token;
  });

  test('an allowed call returns the node answer', async () => {
    const block = (await providerFor(url, blocksOnly).viewBlock({ finality: 'final' })) as unknown as {
      method: string;
    };
    assert.equal(block.method, 'block');
  });

  test('a call the token may not make: the reason is readable, and it is asked once (403, no retry)', async () => {
    const before = hits.count;
    const error = await providerFor(url, blocksOnly)
      .query({ request_type: 'view_account', finality: 'final', account_id: 'alice.near' })
      .then(
        () => assert.fail('the call was allowed'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof RpcRequestParseError, String(error));
    assert.match(
      (error as Error).message,
      /^Latchkey gateway: The token lacks the permission this request needs \(needs accounts:read\)$/,
    );
    assert.doesNotMatch((error as Error).message, /Unknown/);
    assert.equal(hits.count - before, 1, 'one request, no retry');
  });

  test('no token, or a bad one: the reason is readable, and it is asked once (401, no retry)', async () => {
    const before = hits.count;
    const none = await providerFor(url)
      .viewBlock({ finality: 'final' })
      .then(
        () => assert.fail('the call was allowed'),
        (e: unknown) => e as Error,
      );
    assert.match(none.message, /^Latchkey gateway: A bearer token is required$/);
    const bad = await providerFor(url, `${blocksOnly.slice(0, -1)}x`)
      .viewBlock({ finality: 'final' })
      .then(
        () => assert.fail('the call was allowed'),
        (e: unknown) => e as Error,
      );
    assert.match(bad.message, /^Latchkey gateway: The bearer token is not valid$/);
    assert.equal(hits.count - before, 2, 'one request each, no retry');
  });

  test('a method no rule names: readable too', async () => {
    // A debugging method near-api-js has no wrapper for (its types list the methods it knows).
    const provider = providerFor(url, gatewayToken) as unknown as {
      sendJsonRpc(method: string, params: unknown): Promise<unknown>;
    };
    const error = await provider.sendJsonRpc('adv_disable_doomslug', []).then(
      () => assert.fail('the call was allowed'),
      (e: unknown) => e as Error,
    );
    assert.match(error.message, /No rule of this gateway allows the call "adv_disable_doomslug"/);
  });
});

describe('the same refusal without nearcore errors', () => {
  test('near-api-js cannot read a plain JSON-RPC error: why the preset asks for nearcore errors', async () => {
    const rules = join(dir, 'standard.yaml');
    writeFileSync(
      rules,
      'jsonrpc: { errors: standard }\nrules:\n  - match: { method: POST, path: /, jsonrpc: { method: block } }\n    permission: blocks:read\n',
    );
    const { url } = await gatewayWith({ rulesFile: rules, preset: 'near-rpc' });
    const chunksOnly = (await createToken(admin, { permissions: ['chunks:read'] })).token;
    const error = await providerFor(url, chunksOnly)
      .viewBlock({ finality: 'final' })
      .then(
        () => assert.fail('the call was allowed'),
        (e: unknown) => e as Error,
      );
    assert.equal(error.message, 'Unknown RPC error');
  });
});
