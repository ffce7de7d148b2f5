// Property tests over every route's input: hostile JSON, raw text, path and query junk, oversized bodies.
// Whatever arrives: never a 5xx, always the error envelope on a refusal, and nothing written by a refused request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { generateTokenValue } from '../../server/tokens/token-value.ts';
import { type AdminSession, createResource, createToken, setupAdmin } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const params = { numRuns: RUNS, includeErrorInReport: true, ...(SEED !== undefined && { seed: SEED }) };

// ---- hostile values ----
const edgeNumbers = fc.constantFrom(
  0,
  -0,
  -1,
  1.5,
  1e-300,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
);
const oddStrings = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\uFEFF',
    '\u202Eevil',
    '\uD800',
    'x'.repeat(5000),
    '𝕏'.repeat(300),
    '../../etc/passwd',
    '%00',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    'lk_',
    'rol_admin',
    'org_',
    '12h',
    '-1d',
    '99999999999y',
    '1e400',
    '0.0.0.0/0',
    '::/0',
    '2020-01-01T00:00:00Z',
    'NaN',
  ),
);
const keys = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'name',
    'token',
    'tokens',
    'permission',
    'permissions',
    'email',
    'password',
    'roleId',
    'access',
    'kind',
    'expiresIn',
    'expiresAt',
    'resourceIds',
    'allowedIps',
    'rateLimit',
    'policy',
    'gracePeriod',
    'type',
    'deliver',
  ),
);
const { value: hostile } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    edgeNumbers,
    oddStrings,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keys, tie('value'), { maxKeys: 4 }),
  ),
}));

/** Raw bodies JSON.stringify cannot produce: duplicate keys, prototype keys, deep nesting, broken text. */
const rawBodies = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{"__proto__": {"isAdmin": true}, "name": "x"}',
    '{"constructor": {"prototype": {"polluted": 1}}}',
    '{"name": "a", "name": "b", "access": "full", "access": "granular"}',
    '{"token": "lk_x", "token": {"$gt": ""}}',
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
    '{"a": 1e999999}',
    '{"a": "\\ud800"}',
    '{"a": "\\u0000"}',
    'null',
    'true',
    '[]',
    '""',
    '{',
    '\uFEFF{}',
  ),
);

const pathJunk = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    '..',
    '%2e%2e',
    'tok_',
    `org_${'A'.repeat(200)}`,
    '%00',
    '%FF%FE',
    'x'.repeat(3000),
    'tok_1;DROP TABLE tokens',
    '__proto__',
  ),
);

interface Route {
  method: string;
  path: string;
}

describe('fuzzing every route', () => {
  let server: TestServer;
  let admin: AdminSession;
  let cookie: string;
  let csrf: string;
  let routes: Route[];
  let tables: string[];
  let ids: Record<string, string>;
  let validBodies: Record<string, Record<string, unknown>>;

  before(async () => {
    server = await startServer({
      env: { LOGIN_ATTEMPTS_PER_MINUTE: '10000', VERIFY_FAILURE_LIMIT: '1000000', LOG_LEVEL: 'warn' },
    });
    admin = await setupAdmin(server.url);
    await admin.client.get('/v1/auth/session');
    cookie = admin.client.sessionCookie as string;
    csrf = admin.client.csrfToken as string;
    const token = await createToken(admin);
    const resource = await createResource(admin);
    const role = await admin.client.post(`/v1/orgs/${admin.orgId}/roles`, {
      name: 'r1',
      permissions: ['blocks:read'],
    });
    ids = {
      org: admin.orgId,
      tok: token.id,
      res: resource.id,
      role: role.body.id,
      user: admin.userId,
      inv: 'inv_0000000000000000000000',
    };
    validBodies = {
      'POST /v1/orgs/{org}/tokens': { name: 'fuzz', access: 'granular', permissions: ['blocks:read'] },
      'PATCH /v1/orgs/{org}/tokens/{tok}': { description: 'x' },
      'POST /v1/orgs/{org}/tokens/{tok}/rotate': { gracePeriod: '1h' },
      'POST /v1/orgs/{org}/roles': { name: 'fuzz', permissions: ['blocks:read'] },
      'PATCH /v1/orgs/{org}/roles/{role}': { permissions: ['blocks:read'] },
      'POST /v1/orgs/{org}/resources': { type: 'shard', name: 'fuzz' },
      'POST /v1/orgs/{org}/members': { email: 'fuzz@example.com', roleId: 'rol_readonly' },
      'PATCH /v1/orgs/{org}/members/{user}': { roleId: 'rol_admin' },
      'PATCH /v1/orgs/{org}': { name: 'Acme', policy: { maxTtlDays: 365 } },
      'POST /v1/orgs': { name: 'fuzz' },
      'POST /v1/verify': { token: token.token, permission: 'blocks:read' },
      'POST /v1/leaks': { tokens: [generateTokenValue('lk')] },
      'POST /v1/auth/login': { email: admin.email, password: 'wrong password' },
      'POST /v1/setup': { email: 'x@example.com', password: 'long enough pass', name: 'n', orgName: 'o' },
      'POST /v1/auth/accept-invite': { inviteToken: 'nope', password: 'long enough pass', name: 'n' },
    };
    const doc = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    routes = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })))
      // The event stream never ends by itself; its input is only the caller (see the matrix).
      .filter((r) => r.path !== '/v1/events' && r.path !== '/v1/auth/logout');
    const all = await server.deps.db.introspection.getTables();
    tables = all.map((t) => t.name).filter((name) => !/session|rate_?counter/i.test(name));
    assert.ok(tables.length >= 8, tables.join(','));
  });

  after(async () => {
    await server?.close();
  });

  async function counts(): Promise<string> {
    const parts: string[] = [];
    for (const table of tables) {
      const row = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(
        server.deps.db,
      );
      parts.push(`${table}=${row.rows[0]?.n}`);
    }
    return parts.join(' ');
  }

  const fill = (path: string, junk?: string) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) =>
      junk !== undefined && name !== 'org' ? encodeURIComponent(junk) : (ids[name] as string),
    );

  async function send(method: string, url: string, payload?: string, headers: Record<string, string> = {}) {
    const answer = await server.app.inject({
      method: method as 'GET',
      url,
      headers: {
        cookie,
        'x-csrf-token': csrf,
        ...(payload !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(payload !== undefined && { payload }),
    });
    return answer;
  }

  /** The properties every answer has: no 5xx, and a refusal is the envelope and changed nothing. */
  async function check(
    label: string,
    method: string,
    url: string,
    payload?: string,
    headers?: Record<string, string>,
  ) {
    // Usage is written in batches in the background: write what earlier requests left pending first, so a
    // batch landing during this request is not taken for something the refused request wrote.
    await server.deps.usage.flush();
    const before = await counts();
    const answer = await send(method, url, payload, headers);
    const where = `${label}: ${method} ${url.slice(0, 120)} ${String(payload).slice(0, 200)}`;
    assert.ok(answer.statusCode < 500, `${where} → ${answer.statusCode} ${answer.body.slice(0, 300)}`);
    if (answer.statusCode >= 400) {
      const body = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
      assert.equal(typeof body.error?.code, 'string', `${where} → ${answer.body.slice(0, 300)}`);
      assert.equal(typeof body.error?.message, 'string', where);
      assert.equal(await counts(), before, `${where} → ${answer.statusCode} wrote something`);
    }
    return answer;
  }

  const bodyRoutes = () => routes.filter((r) => r.method === 'POST' || r.method === 'PATCH');

  test('random hostile JSON as the whole body of every POST and PATCH route', async () => {
    for (const route of bodyRoutes()) {
      await fc.assert(
        fc.asyncProperty(hostile, async (value) => {
          await check('hostile body', route.method, fill(route.path), JSON.stringify(value));
        }),
        params,
      );
    }
  });

  test('a valid body with one field replaced by a hostile value, or one hostile field added', async () => {
    for (const route of bodyRoutes()) {
      const base = validBodies[`${route.method} ${route.path}`];
      if (base === undefined) continue;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...Object.keys(base)),
          keys,
          hostile,
          fc.boolean(),
          async (field, extra, value, replace) => {
            const body = { ...base };
            if (replace) body[field] = value;
            else
              Object.defineProperty(body, extra, {
                value,
                enumerable: true,
                configurable: true,
                writable: true,
              });
            await check('mutated body', route.method, fill(route.path), JSON.stringify(body));
          },
        ),
        params,
      );
    }
  });

  test('raw bodies: duplicate keys, __proto__ and constructor keys, deep nesting, broken JSON', async () => {
    for (const route of bodyRoutes()) {
      await fc.assert(
        fc.asyncProperty(rawBodies, async (raw) => {
          await check('raw body', route.method, fill(route.path), raw);
        }),
        { ...params, numRuns: Math.max(10, Math.floor(RUNS / 2)) },
      );
    }
  });

  test('prototype keys never pollute: the answer is 400 and Object.prototype stays clean', async () => {
    for (const raw of ['{"__proto__": {"polluted": 1}}', '{"constructor": {"prototype": {"polluted": 1}}}']) {
      const answer = await check('proto', 'POST', `/v1/orgs/${ids.org}/tokens`, raw);
      assert.equal(answer.statusCode, 400);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    }
  });

  test('junk in path parameters and the query string of every route', async () => {
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(
          pathJunk,
          fc.dictionary(
            fc.oneof(
              fc.string({ maxLength: 10 }),
              fc.constantFrom('limit', 'cursor', 'status', 'owner', 'kind', 'tokenId', '__proto__'),
            ),
            oddStrings,
            { maxKeys: 3 },
          ),
          async (junk, query) => {
            const search = new URLSearchParams(query as Record<string, string>).toString();
            const payload = route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}';
            const hasParams = route.path.includes('{');
            await check(
              'path/query junk',
              route.method,
              `${fill(route.path, hasParams ? junk : undefined)}?${search}`,
              payload,
            );
          },
        ),
        { ...params, numRuns: Math.max(10, Math.floor(RUNS / 2)) },
      );
    }
  });

  test('page sizes: limit 1..100 works, anything else is 400; lists never answer more than asked', async () => {
    for (const path of ['tokens', 'audit', 'members', 'resources']) {
      const url = `/v1/orgs/${ids.org}/${path}`;
      for (const limit of ['0', '-1', '101', '1e3', '1.5', 'abc', '99999999999999999999']) {
        const answer = await check('limit', 'GET', `${url}?limit=${limit}`);
        assert.equal(answer.statusCode, 400, `${path} limit=${limit}`);
      }
      for (const limit of [1, 100]) {
        const answer = await check('limit', 'GET', `${url}?limit=${limit}`);
        assert.equal(answer.statusCode, 200, `${path} limit=${limit} ${answer.body.slice(0, 200)}`);
        assert.ok(JSON.parse(answer.body).items.length <= limit);
      }
    }
  });

  test('bodies over 256 KB are 413 PAYLOAD_TOO_LARGE on every route that takes one, and write nothing', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(300 * 1024) });
    for (const route of bodyRoutes()) {
      const answer = await check('oversized', route.method, fill(route.path), big);
      assert.equal(answer.statusCode, 413, `${route.method} ${route.path}`);
      assert.equal(JSON.parse(answer.body).error.code, 'PAYLOAD_TOO_LARGE');
    }
  });

  test('string and list limits: names over 100, descriptions and values over 1000, lists past their caps are 400', async () => {
    const base = `/v1/orgs/${ids.org}`;
    const cases: Array<[string, string, unknown]> = [
      ['POST', `${base}/tokens`, { name: 'n'.repeat(101), access: 'full' }],
      [
        'POST',
        `${base}/tokens`,
        { name: 'n', access: 'granular', permissions: Array(501).fill('blocks:read') },
      ],
      ['POST', `${base}/tokens`, { name: 'n', access: 'full', allowedIps: Array(101).fill('10.0.0.0/8') }],
      ['POST', `${base}/tokens`, { name: 'n', access: 'full', description: 'd'.repeat(1001) }],
      ['POST', `${base}/resources`, { type: 'shard', name: 'n'.repeat(101) }],
      ['POST', `${base}/roles`, { name: 'r'.repeat(101), permissions: ['blocks:read'] }],
      ['POST', '/v1/verify', { token: 't'.repeat(1001) }],
      ['POST', '/v1/verify', { token: 'lk_x', permission: { all: Array(101).fill('blocks:read') } }],
      ['POST', '/v1/leaks', { tokens: Array(101).fill('lk_x') }],
      ['POST', '/v1/auth/login', { email: 'e'.repeat(255), password: 'p' }],
      ['POST', '/v1/auth/login', { email: 'e@example.com', password: 'p'.repeat(201) }],
    ];
    for (const [method, url, body] of cases) {
      const answer = await check('limits', method, url, JSON.stringify(body));
      assert.equal(
        answer.statusCode,
        400,
        `${method} ${url} ${JSON.stringify(body).slice(0, 80)} → ${answer.body.slice(0, 200)}`,
      );
    }
  });

  test('wrong content types and headers are refused in the envelope', async () => {
    const url = `/v1/orgs/${ids.org}/tokens`;
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const answer = await check('content type', 'POST', url, '{"name":"x","access":"full"}', {
        'content-type': type,
      });
      assert.ok(answer.statusCode >= 400 && answer.statusCode < 500, `${type}: ${answer.statusCode}`);
    }
    for (const authorization of [
      'Bearer',
      'Bearer  ',
      'Basic abc',
      `Bearer ${'x'.repeat(5000)}`,
      'Bearer a b',
    ]) {
      const answer = await check('authorization', 'GET', url, undefined, { authorization });
      assert.equal(answer.statusCode, 401, authorization.slice(0, 20));
    }
  });

  test('the server is still healthy and consistent after all of it', async () => {
    assert.equal((await send('GET', '/readyz')).statusCode, 200);
    const list = await send('GET', `/v1/orgs/${ids.org}/tokens?limit=100`);
    assert.equal(list.statusCode, 200);
    if (server.deps.database.dialect === 'sqlite') {
      const check = await sql<Record<string, string>>`pragma integrity_check`.execute(server.deps.db);
      assert.deepEqual(Object.values(check.rows[0] ?? {}), ['ok']);
    }
  });
});
