import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Latchkey } from '@latchkey/sdk';
import type { FastifyInstance } from 'fastify';
import {
  eventually,
  type LatchkeyFixture,
  startLatchkey,
} from '../../../packages/sdk/test/helpers/latchkey.ts';
import { buildShardApi } from '../src/app.ts';

describe('the shard API walk-through (README), against a real Latchkey', () => {
  let lk: LatchkeyFixture;
  let latchkey: Latchkey;
  let api: FastifyInstance;
  let base: string;
  const shards: Record<string, string> = {};

  const call = async (path: string, token?: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    lk = await startLatchkey();
    for (const name of ['testnet-1', 'testnet-2']) {
      shards[name] = (await lk.client.resources.create(lk.org, { type: 'shard', name })).id;
    }
    latchkey = new Latchkey({ baseUrl: lk.url, token: lk.adminToken, cache: { ttlMs: 60_000 } });
    await latchkey.cacheReady();
    api = buildShardApi({ latchkey, shards });
    base = await api.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await api.close();
    latchkey.close();
    await lk.close();
  });

  test('a "View blocks" token reads blocks, cannot submit a transaction, and stops working once revoked', async () => {
    const { token, clientId } = await lk.client.tokens.create(lk.org, {
      name: 'block explorer',
      access: 'granular',
      permissions: ['blocks:read'],
      expiresIn: '30d',
    });

    const blocks = await call('/shards/testnet-1/blocks/latest', token);
    assert.equal(blocks.status, 200);
    assert.equal(blocks.body.height, 5);

    const submit = await call('/shards/testnet-1/transactions', token, {
      signerId: 'alice.testnet',
      receiverId: 'counter.testnet',
      actions: [{ FunctionCall: { methodName: 'increment', args: {} } }],
    });
    assert.equal(submit.status, 403);
    assert.deepEqual(submit.body.error, {
      code: 'FORBIDDEN',
      message: 'The token lacks the permission this route needs',
      details: { reason: 'FORBIDDEN', permission: 'transactions:write' },
    });

    await lk.client.tokens.revoke(lk.org, clientId);
    await eventually(async () => (await call('/shards/testnet-1/blocks/latest', token)).status === 401, 1000);
  });

  test('every route needs its own shard permission, and only on the shards the token is limited to', async () => {
    const { token } = await lk.client.tokens.create(lk.org, {
      name: 'testnet-1 reader',
      access: 'granular',
      roleId: 'rol_readonly',
      resourceIds: [shards['testnet-1'] ?? ''],
    });
    const latest = await call('/shards/testnet-1/blocks/latest', token);
    const chunkHash = (latest.body.chunks as string[])[0];
    const reads = [
      '/shards/testnet-1/blocks/latest',
      '/shards/testnet-1/blocks/3',
      `/shards/testnet-1/chunks/${chunkHash}`,
      '/shards/testnet-1/accounts/alice.testnet',
      '/shards/testnet-1/accounts/alice.testnet/keys',
      '/shards/testnet-1/accounts/counter.testnet/contract/code',
      '/shards/testnet-1/accounts/counter.testnet/contract/state',
    ];
    for (const path of reads) assert.equal((await call(path, token)).status, 200, path);
    for (const path of reads) {
      const other = await call(path.replace('testnet-1', 'testnet-2'), token);
      assert.equal(other.status, 403, path);
      assert.equal(
        (other.body.error as { details: { reason: string } }).details.reason,
        'RESOURCE_FORBIDDEN',
      );
    }
    const submit = await call('/shards/testnet-1/transactions', token, { signerId: 'a', receiverId: 'b' });
    assert.equal(submit.status, 403);
  });

  test('a Read/Write token submits a transaction and reads its status', async () => {
    const { token, clientId } = await lk.client.tokens.create(lk.org, {
      name: 'wallet backend',
      access: 'granular',
      roleId: 'rol_readwrite',
    });
    const submitted = await call('/shards/testnet-2/transactions', token, {
      signerId: 'alice.testnet',
      receiverId: 'counter.testnet',
      actions: [],
    });
    assert.equal(submitted.status, 202);
    assert.equal(submitted.body.submittedBy, clientId);
    const status = await call(`/shards/testnet-2/transactions/${String(submitted.body.hash)}`, token);
    assert.equal(status.status, 200);
    assert.equal(status.body.status, 'pending');
  });

  test('no token is 401 with WWW-Authenticate; an unknown shard is 404', async () => {
    const response = await fetch(`${base}/shards/testnet-1/blocks/latest`);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await call('/shards/mainnet/blocks/latest')).status, 404);
  });
});
