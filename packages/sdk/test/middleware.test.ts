import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { type Context, Hono } from 'hono';
import { Latchkey } from '../src/client.ts';
import { requireToken as expressRequireToken } from '../src/express.ts';
import { requireToken as fastifyRequireToken } from '../src/fastify.ts';
import { requireToken as honoRequireToken, type LatchkeyVariables } from '../src/hono.ts';
import { eventually, type LatchkeyFixture, startLatchkey } from './helpers/latchkey.ts';
import { fakeToken } from './helpers/tokens.ts';

interface RunningApp {
  url: string;
  close(): Promise<void>;
}

interface Guard {
  client: Latchkey;
  resource: string;
  /** Shard name → resource id, for GET /shards/:shard/blocks (the resource getter of docs/sdk.md). */
  shards: Record<string, string>;
}

/** The same protected API in each framework: GET /shards/:shard/blocks needs blocks:read on the shard. */
const frameworks: Record<string, (guard: Guard) => Promise<RunningApp>> = {
  async fastify({ client, resource, shards }) {
    const app = Fastify({ trustProxy: '127.0.0.1' });
    app.get(
      '/shards/:shard/blocks',
      {
        preHandler: fastifyRequireToken({
          client,
          permission: 'blocks:read',
          resource: (request) => shards[(request.params as { shard: string }).shard],
        }),
      },
      async (request) => ({ caller: request.latchkey?.id }),
    );
    app.get(
      '/blocks',
      { preHandler: fastifyRequireToken({ client, permission: 'blocks:read', resource }) },
      async (request) => ({ caller: request.latchkey?.id }),
    );
    app.post(
      '/transactions',
      { preHandler: fastifyRequireToken({ client, permission: 'transactions:write', resource }) },
      async () => ({ ok: true }),
    );
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  },
  async express({ client, resource, shards }) {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.get(
      '/shards/:shard/blocks',
      expressRequireToken({
        client,
        permission: 'blocks:read',
        resource: (req) => shards[req.params.shard as string],
      }),
      (req, res) => {
        res.json({ caller: req.latchkey?.id });
      },
    );
    app.get('/blocks', expressRequireToken({ client, permission: 'blocks:read', resource }), (req, res) => {
      res.json({ caller: req.latchkey?.id });
    });
    app.post(
      '/transactions',
      expressRequireToken({ client, permission: 'transactions:write', resource }),
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    const server: Server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  },
  async hono({ client, resource, shards }) {
    const app = new Hono<{ Variables: LatchkeyVariables }>();
    app.get(
      '/shards/:shard/blocks',
      honoRequireToken({
        client,
        permission: 'blocks:read',
        resource: (c) => shards[c.req.param('shard') ?? ''],
      }),
      (c) => c.json({ caller: c.get('latchkey').id }),
    );
    // Hono has no proxy setting: an app behind a proxy passes the address itself.
    const ip = (c: Context) => c.req.header('x-forwarded-for');
    app.get('/blocks', honoRequireToken({ client, permission: 'blocks:read', resource, ip }), (c) =>
      c.json({ caller: c.get('latchkey').id }),
    );
    app.post('/transactions', honoRequireToken({ client, permission: 'transactions:write', resource }), (c) =>
      c.json({ ok: true }),
    );
    let server: ReturnType<typeof serve> | undefined;
    const address = await new Promise<AddressInfo>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, resolve);
    });
    return {
      url: `http://127.0.0.1:${address.port}`,
      close: () => new Promise((done) => (server ? server.close(() => done()) : done())),
    };
  },
};

async function call(url: string, token?: string, method = 'GET', headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: { ...headers, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
  });
  const body = (await response.json()) as {
    caller?: string;
    error?: { code: string; message: string; details: unknown };
  };
  return { status: response.status, body, wwwAuthenticate: response.headers.get('www-authenticate') };
}

describe('requireToken middleware in a real app of each framework', () => {
  let lk: LatchkeyFixture;
  let shard: string;
  let otherShard: string;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  before(async () => {
    lk = await startLatchkey();
    shard = (await lk.client.resources.create(lk.org, { type: 'shard', name: 'testnet-1' })).id;
    otherShard = (await lk.client.resources.create(lk.org, { type: 'shard', name: 'testnet-2' })).id;
    const make = async (name: string, input: Parameters<Latchkey['tokens']['create']>[1]) => {
      const issued = await lk.client.tokens.create(lk.org, input);
      tokens[name] = issued.token;
      ids[name] = issued.clientId;
    };
    await make('reader', { name: 'reader', access: 'granular', permissions: ['blocks:read'] });
    await make('elsewhere', {
      name: 'elsewhere',
      access: 'granular',
      permissions: ['blocks:read'],
      resourceIds: [otherShard],
    });
    await make('local', {
      name: 'local',
      access: 'granular',
      permissions: ['blocks:read'],
      allowedIps: ['127.0.0.1/32'],
    });
    await make('fenced', {
      name: 'fenced',
      access: 'granular',
      permissions: ['blocks:read'],
      allowedIps: ['10.0.0.0/8'],
    });
    await make('revoked', { name: 'revoked', access: 'full' });
    await lk.client.tokens.revoke(lk.org, ids.revoked ?? '');
  });
  after(async () => {
    await lk.close();
  });

  for (const [framework, start] of Object.entries(frameworks)) {
    for (const cached of [false, true]) {
      describe(`${framework}${cached ? ' with a cache' : ''}`, () => {
        let app: RunningApp;
        let client: Latchkey;
        before(async () => {
          client = new Latchkey({
            baseUrl: lk.url,
            token: lk.adminToken,
            ...(cached ? { cache: { ttlMs: 60_000 } } : {}),
          });
          if (cached) await client.cacheReady();
          app = await start({
            client,
            resource: shard,
            shards: { 'testnet-1': shard, 'testnet-2': otherShard },
          });
        });
        after(async () => {
          client.close();
          await app.close();
        });

        test('a token with the permission passes, and the route sees the verified token', async () => {
          const first = await call(`${app.url}/blocks`, tokens.reader);
          assert.equal(first.status, 200);
          assert.equal(first.body.caller, ids.reader);
          const again = await call(`${app.url}/blocks`, tokens.reader);
          assert.equal(again.status, 200);
        });

        test('no token: 401 with WWW-Authenticate: Bearer and the error envelope', async () => {
          const answer = await call(`${app.url}/blocks`);
          assert.equal(answer.status, 401);
          assert.match(answer.wwwAuthenticate ?? '', /^Bearer realm="latchkey"/);
          assert.equal(answer.body.error?.code, 'UNAUTHENTICATED');
        });

        test('malformed, unknown and revoked tokens all get the same 401', async () => {
          const answers = await Promise.all(
            ['lk_garbage', fakeToken(), tokens.revoked].map((token) => call(`${app.url}/blocks`, token)),
          );
          for (const answer of answers) {
            assert.equal(answer.status, 401);
            assert.match(answer.wwwAuthenticate ?? '', /error="invalid_token"/);
          }
          assert.equal(new Set(answers.map((a) => JSON.stringify(a.body))).size, 1, 'callers learn nothing');
        });

        test("the client's address is sent: a token fenced to another network gets the same 401", async () => {
          assert.equal((await call(`${app.url}/blocks`, tokens.local)).status, 200);
          const fenced = await call(`${app.url}/blocks`, tokens.fenced);
          assert.equal(fenced.status, 401);
          assert.equal(fenced.body.error?.code, 'UNAUTHENTICATED');
          const viaProxy = await call(`${app.url}/blocks`, tokens.fenced, 'GET', {
            'x-forwarded-for': '10.1.2.3',
          });
          assert.equal(
            viaProxy.status,
            200,
            'the end client address behind a trusted proxy is what Latchkey judges',
          );
        });

        test('a missing permission or resource is 403 FORBIDDEN', async () => {
          const write = await call(`${app.url}/transactions`, tokens.reader, 'POST');
          assert.equal(write.status, 403);
          assert.equal(write.body.error?.code, 'FORBIDDEN');
          const elsewhere = await call(`${app.url}/blocks`, tokens.elsewhere);
          assert.equal(elsewhere.status, 403);
          assert.equal(elsewhere.body.error?.code, 'FORBIDDEN');
        });

        test('a resource getter that names no resource refuses with 403, whatever the token (rule 10)', async () => {
          assert.equal((await call(`${app.url}/shards/testnet-2/blocks`, tokens.elsewhere)).status, 200);
          const elsewhere = await call(`${app.url}/shards/testnet-1/blocks`, tokens.elsewhere);
          assert.equal(elsewhere.status, 403);
          assert.deepEqual(elsewhere.body.error?.details, {
            reason: 'RESOURCE_FORBIDDEN',
            permission: 'blocks:read',
          });
          for (const token of [tokens.elsewhere, tokens.reader]) {
            const unknown = await call(`${app.url}/shards/nope/blocks`, token);
            assert.equal(unknown.status, 403, 'a shard the getter cannot name is not "no resource"');
            assert.equal(unknown.body.error?.code, 'FORBIDDEN');
            assert.deepEqual(unknown.body.error?.details, { reason: 'RESOURCE_UNKNOWN' });
            assert.match(unknown.wwwAuthenticate ?? '', /error="insufficient_scope"/);
          }
          // The token is still judged first: a bad one learns nothing about the resource.
          const bad = await call(`${app.url}/shards/nope/blocks`, fakeToken());
          assert.equal(bad.status, 401);
          const write = await call(`${app.url}/shards/nope/blocks`, tokens.revoked);
          assert.equal(write.status, 401);
        });

        if (cached) {
          test('a revocation clears the cached entry within one second', async () => {
            const issued = await lk.client.tokens.create(lk.org, {
              name: `soon-revoked-${framework}`,
              access: 'granular',
              permissions: ['blocks:read'],
            });
            assert.equal((await call(`${app.url}/blocks`, issued.token)).status, 200);
            assert.ok((client.cache?.size ?? 0) > 0, 'the answer was cached');
            await lk.client.tokens.revoke(lk.org, issued.clientId);
            const elapsed = await eventually(
              async () => (await call(`${app.url}/blocks`, issued.token)).status === 401,
              1000,
            );
            assert.ok(elapsed < 1000);
          });
        }
      });
    }
  }

  test('an unreachable Latchkey answers 503, not 401', async () => {
    const app = await frameworks.fastify?.({
      client: new Latchkey({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 1000 }),
      resource: shard,
      shards: {},
    });
    assert.ok(app);
    try {
      const answer = await call(`${app.url}/blocks`, tokens.reader);
      assert.equal(answer.status, 503);
      assert.equal(answer.body.error?.code, 'UNAVAILABLE');
    } finally {
      await app.close();
    }
  });
});
