// JSON-RPC bodies as the gateway judges them (jsonrpc.ts), apart from the proxy.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { rpcCodes } from '../../gateway/answers.ts';
import { duplicateKey, parseJsonRpc } from '../../gateway/jsonrpc.ts';

describe('duplicateKey', () => {
  test('finds a name an object holds twice, at any depth', () => {
    assert.equal(duplicateKey('{"method":"block","method":"query"}'), 'method');
    assert.equal(duplicateKey('{"params":{"request_type":"view_code","request_type":"x"}}'), 'request_type');
    assert.equal(duplicateKey('{"a":[1,{"b":1}],"a":2}'), 'a');
    assert.equal(duplicateKey('[{"method":"a"},{"method":"b","id":1,"id":2}]'), 'id');
    assert.equal(duplicateKey('{"p":[[{"x":1,"y":{},"x":3}]]}'), 'x');
  });

  test('compares names with their escapes decoded', () => {
    assert.equal(duplicateKey('{"method":"block","\\u006dethod":"query"}'), 'method');
    assert.equal(duplicateKey('{"a\\"b":1,"a\\u0022b":2}'), 'a"b');
  });

  test('in a call object, JSON-RPC members differing only by case are held twice', () => {
    assert.equal(duplicateKey('{"method":"block","Method":"query"}'), 'Method');
    assert.equal(duplicateKey('[{"jsonrpc":"2.0","METHOD":"query","method":"block"}]'), 'method');
    // Go folds "ſ" (long s) to "s": "paramſ" is read as "params".
    assert.equal(duplicateKey('{"params":[],"paramſ":{}}'), 'paramſ');
    // Elsewhere, names differing by case are different names.
    assert.equal(duplicateKey('{"method":"m","params":{"Account":1,"account":2}}'), null);
    assert.equal(duplicateKey('{"method":"m","Foo":1,"foo":2}'), null);
  });

  test('the same name in different objects, names inside strings, and values are no duplicates', () => {
    assert.equal(duplicateKey('[{"method":"a"},{"method":"b"}]'), null);
    assert.equal(duplicateKey('{"a":{"x":1},"b":{"x":1}}'), null);
    assert.equal(duplicateKey('{"k":"{\\"method\\":1,\\"method\\":2}","method":"x"}'), null);
    assert.equal(duplicateKey('{"a":"a","b":["a","a"]}'), null);
    assert.equal(duplicateKey('{}'), null);
    assert.equal(duplicateKey('[]'), null);
    assert.equal(duplicateKey('"x"'), null);
  });

  const params = { numRuns: 300, seed: 0x5eed12 };

  test('any JSON.stringify output holds no duplicate (below the call objects)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.equal(duplicateKey(JSON.stringify([[value]])), null);
      }),
      params,
    );
  });

  test('a name added again to any object is found, escaped or not', () => {
    const object = fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue(), { minKeys: 1 });
    fc.assert(
      fc.property(object, fc.boolean(), (value, escaped) => {
        const name = Object.keys(value)[0] ?? '';
        const written = escaped
          ? `"\\u${name.charCodeAt(0).toString(16).padStart(4, '0')}${JSON.stringify(name.slice(1)).slice(1)}`
          : JSON.stringify(name);
        const text = `[[{${JSON.stringify(value).slice(1, -1)},${written}:null}]]`;
        JSON.parse(text);
        assert.equal(duplicateKey(text), name);
      }),
      params,
    );
  });
});

describe('parseJsonRpc', () => {
  const body = (text: string) => Buffer.from(text, 'utf8');

  test('a duplicate name is an Invalid Request, before any rule reads the call', () => {
    const parsed = parseJsonRpc(body('{"jsonrpc":"2.0","id":1,"method":"block","method":"query"}'));
    assert.equal(parsed.ok, false);
    assert.ok(!parsed.ok);
    assert.equal(parsed.status, 400);
    assert.equal(parsed.rpcCode, rpcCodes.INVALID_REQUEST);
    assert.equal(parsed.code, 'VALIDATION_FAILED');
    assert.match(parsed.message, /"method" appears twice/);
  });

  test('a body that is not UTF-8 is a parse error', () => {
    const parsed = parseJsonRpc(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])); // {"\xff":1}
    assert.ok(!parsed.ok);
    assert.equal(parsed.rpcCode, rpcCodes.PARSE_ERROR);
  });

  test('a plain call and a batch parse into their calls', () => {
    const one = parseJsonRpc(body('{"jsonrpc":"2.0","id":7,"method":"block","params":{"finality":"final"}}'));
    assert.deepEqual(one, {
      ok: true,
      batch: false,
      calls: [{ id: 7, method: 'block', params: { finality: 'final' } }],
    });
    const batch = parseJsonRpc(body('[{"method":"a","id":1},{"method":"b"}]'));
    assert.ok(batch.ok);
    assert.deepEqual(
      batch.calls.map((c) => [c.id, c.method]),
      [
        [1, 'a'],
        [null, 'b'],
      ],
    );
  });
});
