// The gateway's decisions apart from the proxy: what a request needs (decide.ts), which headers cross
// (headers.ts), and how refusals are written (answers.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nearcoreKind, refusals, rpcErrorBody } from '../../gateway/answers.ts';
import { type Need, questionsFor } from '../../gateway/decide.ts';
import { clientAddress, upstreamHeaders } from '../../gateway/headers.ts';
import { type CompiledRule, parseRules } from '../../gateway/rules/index.ts';

const refuse = refusals('latchkey');

/** The compiled rules of a small file, by name. */
function rulesOf(text: string): Record<string, CompiledRule> {
  const { rules } = parseRules({ name: 'rules.yaml', text, format: 'yaml' });
  return Object.fromEntries(rules.map((rule) => [rule.name, rule]));
}

const rule = rulesOf(
  [
    'rules:',
    '  - { name: blocks, match: { path: /b }, permission: blocks:read }',
    '  - { name: chunks, match: { path: /c }, permission: chunks:read }',
    '  - { name: either, match: { path: /e }, permission: { any: [blocks:read, chunks:read] } }',
    '  - { name: open, match: { path: /o }, public: true }',
    '  - { name: closed, match: { path: /x }, deny: true }',
    '  - { name: anyone, match: { path: /a }, authenticated: true }',
  ].join('\n'),
) as Record<'blocks' | 'chunks' | 'either' | 'open' | 'closed' | 'anyone', CompiledRule>;

const need = (r: CompiledRule, resource: string | undefined | null = undefined): Need => ({
  rule: r,
  resource,
});

describe('questionsFor: what to ask the verifier', () => {
  test('a deny rule refuses whatever else is asked, naming the rule', () => {
    const plan = questionsFor([need(rule.blocks), need(rule.closed)], true, refuse);
    assert.equal(plan.ok, false);
    assert.deepEqual(!plan.ok && plan.refusal.details, { reason: 'DENIED', rule: 'closed' });
  });

  test('public needs ask nothing, even without a token', () => {
    assert.deepEqual(questionsFor([need(rule.open)], false, refuse), { ok: true, questions: [] });
  });

  test('anything else without a token: 401 with a plain challenge', () => {
    const plan = questionsFor([need(rule.anyone)], false, refuse);
    assert.equal(!plan.ok && plan.refusal.status, 401);
    assert.equal(!plan.ok && plan.refusal.headers?.['www-authenticate'], 'Bearer realm="latchkey"');
  });

  test('a resource the request does not give is refused before any question', () => {
    const plan = questionsFor([need(rule.blocks, null)], true, refuse);
    assert.equal(!plan.ok && plan.refusal.status, 403);
  });

  test('one question per resource: the permissions of every call on it at once', () => {
    const plan = questionsFor(
      [need(rule.blocks), need(rule.chunks), need(rule.blocks, 'res_b'), need(rule.either)],
      true,
      refuse,
    );
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.questions.map((q) => [q.resource ?? null, q.permission]),
      [
        [null, { all: ['blocks:read', 'chunks:read'] }],
        [null, { any: ['blocks:read', 'chunks:read'] }],
        ['res_b', 'blocks:read'],
      ],
    );
  });

  test('an authenticated rule asks with no permission', () => {
    const plan = questionsFor([need(rule.anyone)], true, refuse);
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.questions.map((q) => q.permission),
      [undefined],
    );
  });
});

describe('upstreamHeaders: what the upstream receives', () => {
  const context = {
    tokenHeader: 'authorization',
    identityHeaders: { tokenId: 'x-latchkey-token-id', orgId: 'x-latchkey-org-id' },
    identity: { tokenId: 'tok_1', orgId: 'org_1' },
    clientIp: '203.0.113.7',
    peerAddress: '10.0.0.2',
    trustProxy: false,
    bodyReplaced: false,
  };

  test('no token, no spoofed identity, no hop-by-hop headers; the verified identity and the client address', () => {
    const out = upstreamHeaders(
      {
        host: 'gateway.example',
        authorization: 'Bearer lk_secret',
        'x-latchkey-token-id': 'tok_spoofed',
        'x-latchkey-admin': 'yes',
        connection: 'keep-alive, x-hop',
        'x-hop': 'gone',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'x-forwarded-for': '198.51.100.1',
        'x-forwarded-proto': 'https',
        accept: 'application/json',
      },
      context,
    );
    assert.deepEqual(out, {
      accept: 'application/json',
      'x-latchkey-token-id': 'tok_1',
      'x-latchkey-org-id': 'org_1',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'gateway.example',
    });
  });

  test('behind a trusted proxy: the chain is kept and extended, its proto and host believed', () => {
    const out = upstreamHeaders(
      {
        host: 'gateway.internal',
        'x-forwarded-for': '198.51.100.1, 203.0.113.7',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'api.example.com',
      },
      { ...context, trustProxy: true, identity: null },
    );
    assert.equal(out['x-forwarded-for'], '198.51.100.1, 203.0.113.7, 10.0.0.2');
    assert.equal(out['x-forwarded-proto'], 'https');
    assert.equal(out['x-forwarded-host'], 'api.example.com');
    assert.equal(out['x-latchkey-token-id'], undefined, 'a public rule sets no identity');
  });

  test('a custom token header is removed, and so is a Bearer Authorization beside it; a read body drops its length', () => {
    const out = upstreamHeaders(
      { 'x-api-key': 'lk_secret', authorization: 'Bearer lk_other', 'content-length': '12' },
      { ...context, tokenHeader: 'x-api-key', bodyReplaced: true },
    );
    assert.equal(out['x-api-key'], undefined);
    assert.equal(out.authorization, undefined);
    assert.equal(out['content-length'], undefined);
    const basic = upstreamHeaders(
      { authorization: 'Basic dXNlcg==' },
      { ...context, tokenHeader: 'x-api-key' },
    );
    assert.equal(basic.authorization, 'Basic dXNlcg==', "the upstream's own credentials pass");
  });

  test('the client address: the peer, or behind a trusted proxy the hop it appended (never the left end)', () => {
    assert.equal(clientAddress('10.0.0.2', '1.2.3.4, 203.0.113.7', false), '10.0.0.2');
    assert.equal(clientAddress('10.0.0.2', '1.2.3.4, 203.0.113.7', true), '203.0.113.7');
    assert.equal(clientAddress('10.0.0.2', undefined, true), '10.0.0.2');
  });
});

describe("refusals in nearcore's shape", () => {
  const forbidden = refuse.forbidden('The token lacks the permission this request needs', {
    reason: 'FORBIDDEN',
    permission: 'accounts:read',
  });

  test('a refusal the client caused is a REQUEST_VALIDATION_ERROR carrying the reason', () => {
    assert.deepEqual(nearcoreKind(forbidden), {
      name: 'REQUEST_VALIDATION_ERROR',
      cause: {
        name: 'PARSE_ERROR',
        info: {
          error_message:
            'Latchkey gateway: The token lacks the permission this request needs (needs accounts:read)',
        },
      },
    });
  });

  test('one the client can wait out is an INTERNAL_ERROR', () => {
    for (const refusal of [refuse.unavailable(), refuse.badGateway(), refuse.rateLimited('slow down', 5)]) {
      assert.equal(nearcoreKind(refusal).name, 'INTERNAL_ERROR', String(refusal.status));
    }
  });

  test('a batch: one error per call, each with its id; the standard fields stay as they were', () => {
    const calls = [
      { id: 'a', method: 'block', params: {} },
      { id: 7, method: 'query', params: {} },
    ];
    const body = JSON.parse(rpcErrorBody({ calls, batch: true }, forbidden, 'nearcore'));
    assert.deepEqual(
      body.map((one: { id: unknown }) => one.id),
      ['a', 7],
    );
    assert.equal(body[0].error.name, 'REQUEST_VALIDATION_ERROR');
    assert.equal(body[0].error.code, -32003);
    assert.equal(body[0].error.data.code, 'FORBIDDEN');
    const standard = JSON.parse(rpcErrorBody({ calls, batch: false }, forbidden, 'standard'));
    assert.deepEqual(Object.keys(standard.error), ['code', 'message', 'data']);
    assert.equal(standard.id, 'a');
  });
});
