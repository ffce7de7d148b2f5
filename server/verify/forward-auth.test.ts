// The pure parts of GET /v1/verify: the status of each verify code, and the permission question of the query.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VERIFY_CODES } from '@latchkey/sdk/rules';
import { AppError } from '../errors.ts';
import { permissionQueryOf, refusalOf } from './forward-auth.routes.ts';

test('every verify code has a refusal: 401 invalid_token for a token that does not work here, 403 insufficient_scope, 429', () => {
  const statuses = Object.fromEntries(VERIFY_CODES.map((code) => [code, refusalOf(code).status]));
  assert.deepEqual(statuses, {
    MALFORMED: 401,
    NOT_FOUND: 401,
    EXPIRED: 401,
    REVOKED: 401,
    FORBIDDEN: 403,
    RESOURCE_FORBIDDEN: 403,
    IP_NOT_ALLOWED: 401,
    RATE_LIMITED: 429,
  });
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
