// The pure parts of GET /v1/verify: the status of each verify code, and the permission question of the query.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REFUSAL_STATUS, refusalKindOf, VERIFY_CODES } from '@latchkey/sdk/rules';
import { AppError } from '../errors.ts';
import { permissionQueryOf, refusalOf } from './forward-auth.routes.ts';

test('every verify code is refused with the status the shared rule gives it (401 invalid_token, 403 insufficient_scope, 429)', () => {
  for (const code of VERIFY_CODES) {
    assert.equal(refusalOf(code).status, REFUSAL_STATUS[refusalKindOf(code)], code);
  }
  for (const code of VERIFY_CODES) assert.deepEqual(refusalOf(code).details, { reason: code });
  assert.match(refusalOf('REVOKED').headers?.['www-authenticate'] ?? '', /error="invalid_token"$/);
  assert.match(refusalOf('FORBIDDEN').headers?.['www-authenticate'] ?? '', /error="insufficient_scope"$/);
});

test('the query asks one key, every key or any key, or nothing; two questions or an empty key are refused naming the field', () => {
  assert.equal(permissionQueryOf({}), undefined);
  assert.equal(permissionQueryOf({ permission: 'blocks:read' }), 'blocks:read');
  assert.deepEqual(permissionQueryOf({ permissionAll: 'blocks:read,chunks:read' }), {
    all: ['blocks:read', 'chunks:read'],
  });
  assert.deepEqual(permissionQueryOf({ permissionAny: 'keys:read' }), { any: ['keys:read'] });
  const refusedField = (query: Parameters<typeof permissionQueryOf>[0]) => {
    try {
      permissionQueryOf(query);
    } catch (error) {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'VALIDATION_FAILED');
      return (error.details as { field: string }).field;
    }
    return undefined;
  };
  assert.equal(refusedField({ permission: 'a:b', permissionAll: 'a:b' }), 'permissionAll');
  assert.equal(refusedField({ permissionAny: 'a:b,' }), 'permissionAny');
  assert.equal(
    refusedField({ permissionAll: Array.from({ length: 101 }, (_, i) => `k${i}:read`).join(',') }),
    'permissionAll',
  );
  assert.equal(refusedField({ permissionAny: `${'x'.repeat(101)},a:b` }), 'permissionAny');
});
