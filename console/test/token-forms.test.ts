// The create and edit dialogs' request bodies, apart from React (issue 15's layout: a pure toCreateTokenBody).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CreateTokenValues, daysUntil, expiryOf, toCreateTokenBody } from '../src/lib/create-token.ts';
import { editableSettings, toPatchTokenBody } from '../src/lib/edit-token.ts';
import type { TokenInfo } from '../src/lib/types.ts';

const now = new Date(2030, 0, 10, 14, 30);

function values(overrides: Partial<CreateTokenValues> = {}): CreateTokenValues {
  return {
    name: '  indexer  ',
    description: '',
    kind: 'personal',
    lifetime: '30',
    customDate: '',
    access: 'granular',
    permissions: ['blocks:read'],
    roleId: '',
    resourceMode: 'all',
    resourceIds: [],
    allowedIps: '',
    rateLimit: '',
    rateWindow: '60',
    deliverEmail: false,
    ...overrides,
  };
}

test('a granular token for every resource: trimmed name, a preset lifetime as expiresIn, nothing optional', () => {
  assert.deepEqual(toCreateTokenBody(values(), now), {
    name: 'indexer',
    kind: 'personal',
    access: 'granular',
    permissions: ['blocks:read'],
    resourceIds: null,
    expiresIn: '30d',
  });
});

test('a role, chosen resources, an allowlist, a rate limit, mail, and a custom date at the time of day of now', () => {
  const body = toCreateTokenBody(
    values({
      description: ' reads ',
      kind: 'application',
      access: 'role',
      roleId: 'rol_readonly',
      resourceMode: 'some',
      resourceIds: ['res_a'],
      lifetime: 'custom',
      customDate: '2030-02-01',
      allowedIps: '10.0.0.0/8,\n::1',
      rateLimit: ' 100 ',
      rateWindow: '60',
      deliverEmail: true,
    }),
    now,
  );
  assert.deepEqual(body, {
    name: 'indexer',
    description: 'reads',
    kind: 'application',
    access: 'granular',
    roleId: 'rol_readonly',
    resourceIds: ['res_a'],
    expiresAt: new Date(2030, 1, 1, 14, 30).toISOString(),
    allowedIps: ['10.0.0.0/8', '::1'],
    rateLimit: { limit: 100, windowSeconds: 60 },
    deliver: { email: true },
  });
});

test('full access takes no permissions; "never" is expiresAt null', () => {
  const body = toCreateTokenBody(values({ access: 'full', lifetime: 'never' }), now);
  assert.equal(body.access, 'full');
  assert.equal(body.permissions, undefined);
  assert.equal(body.expiresAt, null);
});

test('the resulting expiry of a choice, and how many days away it is', () => {
  assert.deepEqual(expiryOf({ lifetime: '7', customDate: '' }, now), new Date(2030, 0, 17, 14, 30));
  assert.equal(expiryOf({ lifetime: 'never', customDate: '' }, now), 'never');
  assert.equal(expiryOf({ lifetime: 'custom', customDate: '' }, now), null);
  const far = expiryOf({ lifetime: 'custom', customDate: '2031-06-01' }, now);
  assert.ok(far instanceof Date);
  assert.equal(daysUntil(far, now), 507);
});

const token: TokenInfo = {
  id: 'tok_1',
  orgId: 'org_1',
  kind: 'personal',
  ownerId: 'usr_1',
  name: 'ci',
  description: null,
  access: 'granular',
  permissions: ['blocks:read', 'chunks:read'],
  roleId: null,
  resourceIds: ['res_a'],
  allowedIps: null,
  rateLimit: null,
  expiresAt: '2030-03-01T12:00:00.000Z',
  createdAt: '2030-01-01T12:00:00.000Z',
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

test('an unchanged edit form makes an empty PATCH body', () => {
  assert.deepEqual(toPatchTokenBody(token, editableSettings(token), now), {});
});

test('the PATCH body holds only what changed: fewer permissions, every resource, an allowlist, a rate limit', () => {
  const edited = {
    ...editableSettings(token),
    permissions: ['blocks:read'],
    resourceMode: 'all' as const,
    allowedIps: '203.0.113.0/24',
    rateLimit: '10',
    rateWindow: '1',
  };
  assert.deepEqual(toPatchTokenBody(token, edited, now), {
    access: 'granular',
    permissions: ['blocks:read'],
    resourceIds: null,
    allowedIps: ['203.0.113.0/24'],
    rateLimit: { limit: 10, windowSeconds: 1 },
  });
});

test('an earlier expiry keeps the time of day of the current one; clearing a rate limit sends null', () => {
  const limited = { ...token, rateLimit: { limit: 5, windowSeconds: 60 } };
  const edited = { ...editableSettings(limited), rateLimit: '', expiresOn: '2030-02-01' };
  const body = toPatchTokenBody(limited, edited, now);
  assert.equal(body.rateLimit, null);
  const at = new Date(body.expiresAt ?? '');
  const current = new Date(token.expiresAt ?? '');
  assert.equal(at.getHours(), current.getHours());
  assert.equal(at.getDate(), 1);
  assert.equal(at.getMonth(), 1);
});
