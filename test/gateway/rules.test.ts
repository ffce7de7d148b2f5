// Rules files checked and matched (rules-validate.ts, rules-match.ts), apart from the proxy.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizePath } from '../../gateway/path.ts';
import { presetSource } from '../../gateway/presets/index.ts';
import { type GatewayRules, parseRules, RulesError, routeMatches } from '../../gateway/rules/index.ts';

const yaml = (text: string, name = 'rules.yaml') => ({ name, text, format: 'yaml' as const });

function problems(text: string): string[] {
  try {
    parseRules(yaml(text));
  } catch (error) {
    assert.ok(error instanceof RulesError);
    return error.message.split('\n');
  }
  return assert.fail('the rules were accepted');
}

/** The names of the rules a request matches, on the path normalized as the gateway does. */
function matched(rules: GatewayRules, method: string, raw: string): string[] {
  const normalized = normalizePath(raw);
  assert.ok(normalized.ok, raw);
  return routeMatches(rules, method, normalized.path).map((m) => m.rule.name);
}

describe('caseInsensitivePaths', () => {
  const rules = (setting: string) =>
    parseRules(
      yaml(
        `${setting}rules:\n  - name: admin\n    match: { path: /admin/** }\n    deny: true\n  - name: thing\n    match: { path: /things/:id }\n    authenticated: true\n`,
      ),
    );

  test('by default, patterns match whatever the letter case; captured segments keep theirs', () => {
    const insensitive = rules('');
    assert.equal(insensitive.caseInsensitivePaths, true);
    assert.deepEqual(matched(insensitive, 'GET', '/ADMIN/Secret'), ['admin']);
    assert.deepEqual(matched(insensitive, 'GET', '/%41dmin/x'), ['admin']);
    const [thing] = routeMatches(insensitive, 'GET', '/THINGS/AbC');
    assert.deepEqual(thing?.params, { id: 'AbC' });
  });

  test('false matches letter case exactly', () => {
    const exact = rules('caseInsensitivePaths: false\n');
    assert.equal(exact.caseInsensitivePaths, false);
    assert.deepEqual(matched(exact, 'GET', '/ADMIN/secret'), []);
    assert.deepEqual(matched(exact, 'GET', '/%61dmin/secret'), ['admin']);
  });

  test('anything but true or false is named with its line', () => {
    assert.deepEqual(
      problems('rules:\n  - match: { path: /x }\n    public: true\ncaseInsensitivePaths: 1\n'),
      [
        'rules.yaml line 4: caseInsensitivePaths: must be true (paths match whatever their letter case) or false (exactly)',
      ],
    );
  });

  test("a preset follows the main file's setting, and near-rpc keeps working", () => {
    const main = yaml(
      'caseInsensitivePaths: false\nrules:\n  - match: { path: /admin/** }\n    deny: true\n',
    );
    const combined = parseRules(main, { extraRules: [presetSource('near-rpc')] });
    assert.equal(combined.caseInsensitivePaths, false);
    assert.equal(routeMatches(combined, 'GET', '/STATUS').length, 0);
    assert.equal(routeMatches(combined, 'GET', '/status').length, 1);
    const preset = parseRules(presetSource('near-rpc'));
    assert.equal(preset.caseInsensitivePaths, true);
    assert.ok(routeMatches(preset, 'POST', '/').length > 10);
  });
});

describe('path patterns are written as normalized paths', () => {
  test('a literal segment the normalized path would never hold is a problem, with its line', () => {
    const lines = problems(
      [
        'rules:',
        '  - match: { path: /%61dmin/** }',
        '    deny: true',
        '  - match: { path: /caf%c3%a9 }',
        '    public: true',
        '  - match: { path: /a/../b }',
        '    public: true',
        '  - match: { path: /a//b }',
        '    public: true',
        '  - match: { path: /a%2fb }',
        '    public: true',
        '  - match: { path: "/a\\\\b" }',
        '    public: true',
      ].join('\n'),
    );
    assert.deepEqual(lines, [
      'rules.yaml line 2: rules[0].match.path: "/%61dmin/**": "%61dmin" is written as "admin" in the normalized paths rules are matched against',
      'rules.yaml line 4: rules[1].match.path: "/caf%c3%a9": "caf%c3%a9" is written as "caf%C3%A9" in the normalized paths rules are matched against',
      'rules.yaml line 6: rules[2].match.path: "/a/../b": a ".." segment: requests are matched with dot segments resolved',
      'rules.yaml line 8: rules[3].match.path: "/a//b": an empty segment ("//"): requests are matched with duplicate slashes collapsed',
      'rules.yaml line 10: rules[4].match.path: "/a%2fb": "a%2fb": it holds an encoded slash (%2F), which servers read differently',
      'rules.yaml line 12: rules[5].match.path: "/a\\\\b": "a\\b": it holds a backslash, which servers read as "/" or not',
    ]);
  });

  test('encoded characters in patterns match the same characters in requests', () => {
    const rules = parseRules(
      yaml('rules:\n  - name: cafe\n    match: { path: "/caf%C3%A9/:x" }\n    public: true\n'),
    );
    assert.deepEqual(matched(rules, 'GET', '/caf%c3%a9/%7e'), ['cafe']);
    assert.deepEqual(routeMatches(rules, 'GET', '/caf%C3%A9/a%20b')[0]?.params, { x: 'a b' });
  });
});

describe('permission keys in a rules file follow the catalog grammar (@latchkey/sdk/rules)', () => {
  const withKey = (key: string) =>
    `rules:\n  - name: code\n    match: { path: /code }\n    permission: ${JSON.stringify(key)}\n`;

  test('every key the catalog accepts loads, contract.code:read included', () => {
    for (const key of ['blocks:read', 'contract-code:read', 'contract.code:read', 'a_b:c-d']) {
      const rules = parseRules(yaml(withKey(key)));
      assert.deepEqual(
        rules.permissions.map((p) => p.key),
        [key],
      );
    }
  });

  test('what the catalog refuses is a problem with its line', () => {
    for (const key of ['blocks', 'a:b:c', 'Blocks:read', '*']) {
      const [problem] = problems(withKey(key));
      assert.match(problem ?? '', /line 4: .*is not a permission key/, key);
    }
  });
});
