// The hot route's hand check of the verify body must never accept what the schema refuses (issue 13: the
// schema stays the judge; the hand check only skips it for bodies it certainly accepts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { isPlainVerifyBody, VerifyBody } from './verify.routes.ts';

const schemaAccepts = new Ajv({ strict: false }).compile(VerifyBody);

const text = (max: number) => fc.string({ maxLength: max + 2 });
const permissionList = fc.array(text(100), { minLength: 0, maxLength: 102 });
const body = fc.record(
  {
    token: fc.oneof(text(1000), fc.constant(42), fc.constant(null)),
    permission: fc.oneof(
      text(100),
      fc.record({ all: permissionList }),
      fc.record({ any: permissionList }),
      fc.record({ all: permissionList, any: permissionList }),
      fc.record({ none: permissionList }),
      fc.constant([]),
    ),
    resource: fc.oneof(text(100), fc.constant(7)),
    ip: fc.oneof(text(64), fc.constant(false)),
    extra: fc.string(),
  },
  { requiredKeys: [] },
);

test('a body the hand check accepts is always one the schema accepts', () => {
  fc.assert(
    fc.property(body, (candidate) => {
      if (isPlainVerifyBody(candidate)) assert.ok(schemaAccepts(candidate), JSON.stringify(candidate));
    }),
    { numRuns: 3000, seed: 20261205 },
  );
});

test('plain bodies skip the schema: a token alone, with a permission query, a resource and an address', () => {
  assert.ok(isPlainVerifyBody({ token: 'lk_x' }));
  assert.ok(
    isPlainVerifyBody({ token: 'lk_x', permission: { any: ['a:read'] }, resource: 'res_1', ip: '::1' }),
  );
  assert.ok(!isPlainVerifyBody({ token: 'lk_x', permission: { all: [] } }));
  assert.ok(!isPlainVerifyBody({ token: 'x'.repeat(1001) }));
});
