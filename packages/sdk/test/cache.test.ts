import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Latchkey } from '../src/client.ts';
import type { VerifiedToken } from '../src/types.ts';
import { type StubServer, startStubServer } from './helpers/stub-server.ts';
import { fakeToken } from './helpers/tokens.ts';

function record(overrides: Partial<VerifiedToken> = {}): VerifiedToken {
  return {
    id: `tok_${Math.random().toString(36).slice(2)}`,
    orgId: 'org_1',
    kind: 'application',
    ownerId: null,
    permissions: ['blocks:read', 'chunks:read'],
    resourceIds: null,
    expiresAt: null,
    ...overrides,
  };
}

describe('the verify cache (against a stub whose stream can be dropped)', () => {
  let stub: StubServer;
  let latchkey: Latchkey;

  before(async () => {
    stub = await startStubServer();
  });
  after(async () => {
    latchkey?.close();
    await stub.close();
  });
  beforeEach(async () => {
    latchkey?.close();
    latchkey = new Latchkey({ baseUrl: stub.url, token: fakeToken(), cache: { ttlMs: 60_000 } });
    await latchkey.cacheReady();
    stub.verifyCalls = 0;
  });

  test('one cached record answers every permission question without a round-trip', async () => {
    const value = fakeToken();
    stub.tokens.set(value, record());
    assert.equal((await latchkey.verify(value, { permission: 'blocks:read' })).valid, true);
    assert.deepEqual(await latchkey.verify(value, { permission: 'transactions:write' }), {
      valid: false,
      code: 'FORBIDDEN',
    });
    assert.equal(
      (await latchkey.verify(value, { permission: { all: ['blocks:read', 'chunks:read'] } })).valid,
      true,
    );
    assert.equal(
      (await latchkey.verify(value, { permission: { any: ['keys:read', 'chunks:read'] } })).valid,
      true,
    );
    assert.equal(stub.verifyCalls, 1);
  });

  test('a resource outside the token list is refused locally; a new one is confirmed once by the server', async () => {
    const limited = fakeToken();
    stub.tokens.set(limited, record({ resourceIds: ['res_a'] }));
    assert.equal((await latchkey.verify(limited, { resource: 'res_a' })).valid, true);
    assert.equal((await latchkey.verify(limited, { resource: 'res_a' })).valid, true);
    assert.deepEqual(await latchkey.verify(limited, { resource: 'res_b' }), {
      valid: false,
      code: 'RESOURCE_FORBIDDEN',
    });
    assert.equal(stub.verifyCalls, 1);
  });

  test('a token.revoked event clears the entry of that token id', async () => {
    const value = fakeToken();
    const token = record();
    stub.tokens.set(value, token);
    await latchkey.verify(value);
    stub.tokens.set(value, 'REVOKED');
    stub.send('token.revoked', { tokenId: token.id, orgId: token.orgId });
    const deadline = Date.now() + 1000;
    let result = await latchkey.verify(value);
    while (result.valid && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
      result = await latchkey.verify(value);
    }
    assert.deepEqual(result, { valid: false, code: 'REVOKED' });
  });

  test('an org.changed event clears every entry of that org and only of that org', async () => {
    const mine = fakeToken();
    const other = fakeToken();
    stub.tokens.set(mine, record());
    stub.tokens.set(other, record({ orgId: 'org_2' }));
    await latchkey.verify(mine);
    await latchkey.verify(other);
    assert.equal(latchkey.cache?.size, 1, 'a token of an org the stream does not cover is not cached');
    stub.send('org.changed', { orgId: 'org_1' });
    await waitFor(() => latchkey.cache?.size === 0);
  });

  test('a dropped stream clears the whole cache, and the client reconnects', async () => {
    const value = fakeToken();
    stub.tokens.set(value, record());
    await latchkey.verify(value);
    assert.equal(latchkey.cache?.size, 1);
    const streamsBefore = stub.streams.size;
    assert.ok(streamsBefore >= 1);
    stub.dropStreams();
    await waitFor(() => latchkey.cache?.size === 0);
    await latchkey.cacheReady();
    stub.verifyCalls = 0;
    await latchkey.verify(value);
    await latchkey.verify(value);
    assert.equal(stub.verifyCalls, 1, 'caching again once reconnected');
  });

  test('a cached answer is never served past the token expiry', async () => {
    const value = fakeToken();
    stub.tokens.set(value, record({ expiresAt: new Date(Date.now() + 150).toISOString() }));
    assert.equal((await latchkey.verify(value)).valid, true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    stub.tokens.set(value, 'EXPIRED');
    assert.deepEqual(await latchkey.verify(value), { valid: false, code: 'EXPIRED' });
  });

  test("addresses are checked locally when the record lists them; the caller's own address needs the server once", async () => {
    const value = fakeToken();
    stub.tokens.set(value, record({ allowedIps: ['10.0.0.0/8', '2001:db8::/32'] }));
    assert.equal((await latchkey.verify(value, { ip: '10.1.2.3' })).valid, true);
    assert.equal((await latchkey.verify(value, { ip: '::ffff:10.9.9.9' })).valid, true);
    assert.equal((await latchkey.verify(value, { ip: '2001:db8::7' })).valid, true);
    assert.deepEqual(await latchkey.verify(value, { ip: '192.0.2.1' }), {
      valid: false,
      code: 'IP_NOT_ALLOWED',
    });
    assert.equal(stub.verifyCalls, 1);
    await latchkey.verify(value);
    await latchkey.verify(value);
    assert.equal(stub.verifyCalls, 2, "without an address the server judges (once) from the caller's own");
  });

  test('a token with its own rate limit is never cached', async () => {
    const value = fakeToken();
    stub.tokens.set(value, record({ rateLimit: { limit: 10, windowSeconds: 60 } }));
    await latchkey.verify(value);
    await latchkey.verify(value);
    assert.equal(stub.verifyCalls, 2);
  });

  test('a value in a rotation grace is not served past the grace', async () => {
    const value = fakeToken();
    stub.tokens.set(value, record({ valueExpiresAt: new Date(Date.now() + 100).toISOString() }));
    assert.equal((await latchkey.verify(value)).valid, true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    stub.tokens.delete(value);
    assert.deepEqual(await latchkey.verify(value), { valid: false, code: 'NOT_FOUND' });
  });

  test('a malformed token is refused without a round-trip, and refusals are remembered', async () => {
    assert.deepEqual(await latchkey.verify('lk_not-a-token'), { valid: false, code: 'MALFORMED' });
    const unknown = fakeToken();
    assert.deepEqual(await latchkey.verify(unknown), { valid: false, code: 'NOT_FOUND' });
    assert.deepEqual(await latchkey.verify(unknown), { valid: false, code: 'NOT_FOUND' });
    assert.equal(stub.verifyCalls, 1);
  });
});

test('without a live stream the client asks the server every time', async () => {
  const stub = await startStubServer();
  const latchkey = new Latchkey({ baseUrl: stub.url, token: fakeToken(), cache: true });
  try {
    const value = fakeToken();
    stub.tokens.set(value, record());
    await latchkey.cacheReady();
    await latchkey.verify(value);
    assert.equal(latchkey.cache?.size, 1);
    stub.refuseStreams = true;
    stub.dropStreams();
    await waitFor(() => latchkey.cache?.size === 0);
    stub.verifyCalls = 0;
    await latchkey.verify(value);
    await latchkey.verify(value);
    assert.equal(stub.verifyCalls, 2);
    assert.equal(latchkey.cache?.size, 0);
  } finally {
    latchkey.close();
    await stub.close();
  }
});

test('a cache needs a credential to hear revocations', () => {
  assert.throws(() => new Latchkey({ baseUrl: 'http://127.0.0.1:1', cache: true }), /credential/);
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
