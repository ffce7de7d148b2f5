// The rules file's `cors` section: checked with its lines, decided apart from the proxy (cors.ts), and
// answered by a running gateway in front of a real upstream, verifying with a real Latchkey server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningGateway, startGateway } from '../../cli/commands/gateway.ts';
import { preflight, responseCorsHeaders } from '../../gateway/cors.ts';
import { clientHeaders } from '../../gateway/headers.ts';
import { type GatewayRules, parseRules, RulesError } from '../../gateway/rules/index.ts';
import { type AdminSession, createToken, setupAdmin } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { type RestUpstream, startRestServer } from './upstreams.ts';

const yaml = (text: string) => parseRules({ name: 'rules.yaml', text, format: 'yaml' });
const RULES = 'rules:\n  - match: { path: "/**" }\n    permission: blocks:read\n';

function problems(text: string): string[] {
  try {
    yaml(text);
  } catch (error) {
    assert.ok(error instanceof RulesError);
    return error.message.split('\n');
  }
  return assert.fail('the rules were accepted');
}

describe('the cors section of a rules file', () => {
  test('absent: no CORS at all (the default)', () => {
    assert.equal(yaml(RULES).cors, null);
  });

  test('named origins, normalized; the token header and content-type may always be sent', () => {
    const rules = yaml(
      `token: { header: x-api-key }\ncors:\n  origins: [https://App.Example.com, "http://localhost:5173"]\n  allowHeaders: [X-Request-Id]\n${RULES}`,
    );
    assert.deepEqual([...(rules.cors?.origins ?? [])], ['https://app.example.com', 'http://localhost:5173']);
    assert.deepEqual(rules.cors?.allowHeaders, ['x-api-key', 'content-type', 'x-request-id']);
    assert.equal(rules.cors?.credentials, false, 'no credentials unless stated');
    assert.equal(rules.cors?.maxAgeSeconds, 600);
  });

  test('every wrong value is named with its line', () => {
    const found = problems(
      [
        'cors:',
        '  origins:',
        '    - "*"',
        '    - https://app.example.com/',
        '    - ftp://files.example.com',
        '  credentials: "yes"',
        '  methods: [GET, FETCH]',
        '  maxAge: 999999',
        '  exposeHeaders: ["bad header"]',
        '  origin: https://x.example',
        RULES,
      ].join('\n'),
    );
    const expected = [
      /rules\.yaml line 3: cors\.origins\[0\]: "\*" is not allowed: name each origin/,
      /rules\.yaml line 4: cors\.origins\[1\]: "https:\/\/app\.example\.com\/" is not an origin: write scheme:\/\/host\[:port\]/,
      /rules\.yaml line 5: cors\.origins\[2\]: "ftp:\/\/files\.example\.com" is not an origin/,
      /rules\.yaml line 6: cors\.credentials: must be true .* or false/,
      /rules\.yaml line 7: cors\.methods: must be a non-empty list of HTTP methods/,
      /rules\.yaml line 8: cors\.maxAge: must be a whole number of seconds from 0 to 86400/,
      /rules\.yaml line 9: cors\.exposeHeaders: must be a list of header names/,
      /rules\.yaml line 10: cors\.origin: unknown key "origin"/,
    ];
    for (const pattern of expected) {
      assert.ok(
        found.some((line) => pattern.test(line)),
        `${pattern} in:\n${found.join('\n')}`,
      );
    }
  });

  test('an empty list of origins is a problem, not a way to allow none', () => {
    assert.match(
      problems(`cors: { origins: [] }\n${RULES}`).join('\n'),
      /line 1: cors\.origins: must be a non-empty list/,
    );
  });
});

describe('CORS decisions (cors.ts)', () => {
  const rules: GatewayRules = yaml(
    `cors:\n  origins: [https://app.example.com]\n  methods: [GET, POST]\n  exposeHeaders: [x-request-id]\n${RULES}`,
  );
  const policy = rules.cors ?? assert.fail('no policy');

  test('a preflight from an allowed origin: the methods and headers it may use, no credentials', () => {
    const answer = preflight(policy, 'https://app.example.com', 'POST', 'Authorization, Content-Type');
    assert.ok(answer.allowed);
    assert.deepEqual(answer.headers, {
      vary: 'Origin',
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-max-age': '600',
    });
  });

  test('a preflight is refused for another origin, method or header, each saying why', () => {
    const origin = preflight(policy, 'https://evil.example', 'GET', undefined);
    assert.equal(origin.allowed, false);
    assert.equal(!origin.allowed && origin.reason, 'ORIGIN_NOT_ALLOWED');
    assert.equal(origin.headers['access-control-allow-origin'], undefined);
    const method = preflight(policy, 'https://app.example.com', 'DELETE', undefined);
    assert.equal(!method.allowed && method.reason, 'METHOD_NOT_ALLOWED');
    const header = preflight(policy, 'https://app.example.com', 'GET', 'authorization, x-admin');
    assert.equal(!header.allowed && header.reason, 'HEADER_NOT_ALLOWED');
    assert.match(!header.allowed ? header.message : '', /x-admin/);
  });

  test('answers vary with Origin; only an allowed origin may read them', () => {
    assert.deepEqual(responseCorsHeaders(policy, undefined), { vary: 'Origin' });
    assert.deepEqual(responseCorsHeaders(policy, 'https://evil.example'), { vary: 'Origin' });
    assert.deepEqual(responseCorsHeaders(policy, 'https://app.example.com'), {
      vary: 'Origin',
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-expose-headers': 'x-request-id',
    });
    const withCredentials = yaml(
      `cors: { origins: [https://app.example.com], credentials: true }\n${RULES}`,
    ).cors;
    assert.equal(
      responseCorsHeaders(withCredentials ?? policy, 'https://app.example.com')[
        'access-control-allow-credentials'
      ],
      'true',
    );
  });

  test("the upstream's own CORS headers give way to the gateway's; what else it varies with stays", () => {
    const out = clientHeaders(
      [
        'Content-Type',
        'application/json',
        'Access-Control-Allow-Origin',
        '*',
        'Vary',
        'Accept-Encoding, Origin',
      ],
      true,
      responseCorsHeaders(policy, 'https://app.example.com'),
    );
    assert.deepEqual(out, [
      'Content-Type',
      'application/json',
      'Vary',
      'Accept-Encoding, Origin',
      'access-control-allow-origin',
      'https://app.example.com',
      'access-control-expose-headers',
      'x-request-id',
    ]);
  });
});

describe('a gateway with cors, in front of a REST upstream', () => {
  let server: TestServer;
  let admin: AdminSession;
  let rest: RestUpstream;
  let gateway: RunningGateway;
  let reader: string;
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-gateway-cors-'));
  const origin = 'https://app.example.com';

  before(async () => {
    server = await startServer();
    admin = await setupAdmin(server.url);
    rest = await startRestServer();
    const rules = join(dir, 'cors.yaml');
    writeFileSync(
      rules,
      `cors:\n  origins: [${origin}]\nrules:\n  - match: { method: GET, path: /things/:id }\n    permission: blocks:read\n`,
    );
    const gatewayToken = (
      await createToken(admin, { access: 'full', permissions: undefined, name: 'gateway' })
    ).token;
    gateway = await startGateway({
      upstream: rest.url,
      rulesFile: rules,
      port: 0,
      latchkeyUrl: server.url,
      token: gatewayToken,
      cacheReadyTimeoutMs: 5_000,
    });
    reader = (await createToken(admin, { permissions: ['blocks:read'] })).token;
  });

  after(async () => {
    await gateway?.close();
    await rest?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a preflight is answered by the gateway, without a token, and never reaches the upstream', async () => {
    const before = rest.requests.length;
    const response = await fetch(`${gateway.url}/things/1`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), origin);
    assert.match(response.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.equal(response.headers.get('access-control-allow-credentials'), null);
    assert.equal(response.headers.get('vary'), 'Origin');
    assert.equal(rest.requests.length, before);
  });

  test('a preflight from another origin is refused, saying why', async () => {
    const response = await fetch(`${gateway.url}/things/1`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    const body = (await response.json()) as { error: { details: { reason: string } } };
    assert.equal(body.error.details.reason, 'ORIGIN_NOT_ALLOWED');
  });

  test('a forwarded answer and a refusal both carry the origin, so the page can read either', async () => {
    const ok = await fetch(`${gateway.url}/things/1`, {
      headers: { origin, authorization: `Bearer ${reader}` },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), origin);
    assert.match(ok.headers.get('vary') ?? '', /Origin/);
    const refused = await fetch(`${gateway.url}/things/1`, { headers: { origin } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), origin);
  });

  test('CORS is not access control: another origin still needs a token, and gets no permission to read', async () => {
    const response = await fetch(`${gateway.url}/things/1`, {
      headers: { origin: 'https://evil.example', authorization: `Bearer ${reader}` },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(response.headers.get('vary'), 'Origin');
  });
});
