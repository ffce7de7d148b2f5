import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateToken, hasPermission, isWellFormedToken, readBearer, tokenHint } from '../src/index.ts';
import { fakeToken } from './helpers/tokens.ts';

test('a token with the right shape and CRC-32 checksum is well-formed; a typo is caught locally', () => {
  const value = fakeToken();
  assert.equal(value.length, 39);
  assert.equal(isWellFormedToken(value), true);
  assert.equal(isWellFormedToken(value, 'lk'), true);
  assert.equal(isWellFormedToken(value, 'acme'), false);
  const typo = `${value.slice(0, 10)}${value[10] === 'a' ? 'b' : 'a'}${value.slice(11)}`;
  assert.equal(isWellFormedToken(typo), false);
  assert.equal(isWellFormedToken(value.slice(0, -1)), false);
  assert.equal(isWellFormedToken(fakeToken('acme')), true);
  assert.equal(tokenHint(value), `lk_…${value.slice(-4)}`);
});

test('permission questions: one key, all of a list, any of a list', () => {
  assert.equal(hasPermission(['blocks:read'], 'blocks:read'), true);
  assert.equal(hasPermission(['blocks:read'], { all: ['blocks:read', 'chunks:read'] }), false);
  assert.equal(hasPermission(['blocks:read'], { any: ['blocks:read', 'chunks:read'] }), true);
  assert.equal(hasPermission([], undefined), true);
});

test("'*' is a key like any other, not a wildcard: the SDK answers as the server does", () => {
  assert.equal(hasPermission(['*'], 'blocks:read'), false);
  assert.equal(hasPermission(['*'], { any: ['blocks:read'] }), false);
  assert.equal(hasPermission(['blocks:read'], '*'), false);
  const record = {
    id: 'tok_1',
    orgId: 'org_1',
    kind: 'personal' as const,
    ownerId: 'usr_1',
    permissions: ['*'],
    resourceIds: null,
    expiresAt: null,
  };
  assert.equal(evaluateToken(record, { permission: 'tokens:write' }), 'FORBIDDEN');
});

test('a record is checked for expiry, addresses, permission and resource, in the server order', () => {
  const token = {
    id: 'tok_1',
    orgId: 'org_1',
    kind: 'personal' as const,
    ownerId: 'usr_1',
    permissions: ['blocks:read'],
    resourceIds: ['res_1'],
    expiresAt: null,
    allowedIps: ['10.0.0.0/8'],
  };
  assert.equal(evaluateToken(token, { permission: 'blocks:read', resource: 'res_1', ip: '10.1.2.3' }), null);
  assert.equal(evaluateToken(token, { ip: '192.0.2.1' }), 'IP_NOT_ALLOWED');
  assert.equal(evaluateToken(token, { permission: 'chunks:read', resource: 'res_2' }), 'FORBIDDEN');
  assert.equal(evaluateToken(token, { resource: 'res_2' }), 'RESOURCE_FORBIDDEN');
  assert.equal(evaluateToken({ ...token, expiresAt: new Date(Date.now() - 1).toISOString() }, {}), 'EXPIRED');
});

test('the bearer scheme is read case-insensitively, and nothing else is taken for a token', () => {
  assert.equal(readBearer('Bearer lk_abc'), 'lk_abc');
  assert.equal(readBearer('bearer   lk_abc'), 'lk_abc');
  assert.equal(readBearer('Basic dXNlcjpwYXNz'), undefined);
  assert.equal(readBearer('Bearer'), undefined);
  assert.equal(readBearer('Bearer a b'), undefined);
  assert.equal(readBearer(undefined), undefined);
});
