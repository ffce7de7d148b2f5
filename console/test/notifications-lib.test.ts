import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lifetimeDays, renewedLifetime, renewedName, renewedSettings } from '../src/lib/renew.ts';
import type { TokenInfo } from '../src/lib/types.ts';
import { covers, describeEvents, normalizeEvents } from '../src/lib/webhooks.ts';

const token: TokenInfo = {
  id: 'tok_1',
  orgId: 'org_1',
  kind: 'application',
  ownerId: null,
  name: 'ci',
  description: 'deploys',
  access: 'granular',
  permissions: ['blocks:read'],
  roleId: null,
  resourceIds: ['res_1'],
  allowedIps: ['10.0.0.0/8', '192.0.2.1'],
  rateLimit: { limit: 5, windowSeconds: 10 },
  expiresAt: '2030-03-02T00:00:00.000Z',
  createdAt: '2030-01-01T00:00:00.000Z',
  createdBy: 'usr_1',
  lastUsedAt: null,
  lastUsedIp: null,
  useCount: 0,
  status: 'active',
  revokedAt: null,
  revokedBy: null,
  revokedReason: null,
  hint: 'lk_…abcd',
};

test('renewed names get a suffix, counted on renewal of a renewal, within 100 characters', () => {
  assert.equal(renewedName('ci'), 'ci (renewed)');
  assert.equal(renewedName('ci (renewed)'), 'ci (renewed 2)');
  assert.equal(renewedName('ci (renewed 2)'), 'ci (renewed 3)');
  const long = renewedName('x'.repeat(100));
  assert.equal(long.length, 100);
  assert.ok(long.endsWith(' (renewed)'));
});

test('the same lifetime length: a preset, a custom date, or never where allowed', () => {
  assert.equal(lifetimeDays(token), 60);
  const policy = { maxTtlDays: 365, allowNoExpiry: false };
  assert.deepEqual(renewedLifetime(token, policy), { lifetime: '60', customDate: '' });
  const today = new Date(2031, 0, 1, 12);
  const odd = { ...token, expiresAt: '2030-01-13T00:00:00.000Z' };
  assert.deepEqual(renewedLifetime(odd, policy, today), { lifetime: 'custom', customDate: '2031-01-13' });
  assert.deepEqual(renewedLifetime(token, { maxTtlDays: 30, allowNoExpiry: false }), {
    lifetime: '30',
    customDate: '',
  });
  const never = { ...token, expiresAt: null };
  assert.deepEqual(renewedLifetime(never, { maxTtlDays: 365, allowNoExpiry: true }), {
    lifetime: 'never',
    customDate: '',
  });
  assert.deepEqual(renewedLifetime(never, policy), { lifetime: '365', customDate: '' });
});

test('renewed settings copy access, resources, allowlist and rate limit', () => {
  const s = renewedSettings(token, true);
  assert.equal(s.name, 'ci (renewed)');
  assert.equal(s.kind, 'application');
  assert.equal(s.access, 'granular');
  assert.deepEqual(s.permissions, ['blocks:read']);
  assert.equal(s.resourceMode, 'some');
  assert.deepEqual(s.resourceIds, ['res_1']);
  assert.equal(s.allowedIps, '10.0.0.0/8\n192.0.2.1');
  assert.deepEqual([s.rateLimit, s.rateWindow], ['5', '10']);
  assert.equal(renewedSettings(token, false).kind, 'personal', 'no application tokens without tokens:write');
  const role = renewedSettings({ ...token, roleId: 'rol_readonly', permissions: null }, true);
  assert.deepEqual([role.access, role.roleId, role.permissions], ['role', 'rol_readonly', []]);
  assert.equal(renewedSettings({ ...token, access: 'full', resourceIds: null }, true).resourceMode, 'all');
});

test('webhook subscriptions: groups cover their events, redundant picks are dropped', () => {
  assert.equal(covers(['token.*'], 'token.leaked'), true);
  assert.equal(covers(['token.*'], 'member.added'), false);
  assert.equal(covers(['*'], 'role.deleted'), true);
  assert.deepEqual(normalizeEvents(['token.created', 'token.*', 'member.added']), [
    'token.*',
    'member.added',
  ]);
  assert.deepEqual(normalizeEvents(['member.added', '*']), ['*']);
  assert.deepEqual(describeEvents(['token.*', 'role.created']), ['All token events', 'role.created']);
  assert.deepEqual(describeEvents(['*']), ['All events']);
});
