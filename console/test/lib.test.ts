import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultLifetime, groupCatalog, roleExcess } from '../src/lib/access.ts';
import { csvField, csvFileName, tokenCsv } from '../src/lib/csv.ts';
import { relativeTime } from '../src/lib/format.ts';
import type { IssuedToken, TokenInfo } from '../src/lib/types.ts';
import { checkIpList, isCidr, splitList } from '../src/lib/validation.ts';

function info(overrides: Partial<TokenInfo>): TokenInfo {
  return {
    id: 'tok_1',
    orgId: 'org_1',
    kind: 'personal',
    ownerId: 'usr_1',
    name: 'ci',
    description: null,
    access: 'granular',
    permissions: ['blocks:read'],
    roleId: null,
    resourceIds: null,
    allowedIps: null,
    rateLimit: null,
    expiresAt: '2030-01-01T00:00:00.000Z',
    createdAt: '2029-01-01T00:00:00.000Z',
    createdBy: 'usr_1',
    lastUsedAt: null,
    lastUsedIp: null,
    useCount: 0,
    status: 'active',
    revokedAt: null,
    revokedBy: null,
    revokedReason: null,
    hint: 'lk_…abcd',
    ...overrides,
  };
}

const issued = (overrides: Partial<TokenInfo>): IssuedToken => ({
  token: 'lk_abc',
  clientId: 'tok_1',
  tokenInfo: info(overrides),
});

test('the CSV has the documented header and one row', () => {
  const csv = tokenCsv(
    issued({ permissions: ['blocks:read', 'chunks:read'], resourceIds: ['res_a', 'res_b'] }),
  );
  assert.equal(
    csv,
    'client_id,token,name,permissions,resources,expires_at\r\ntok_1,lk_abc,ci,blocks:read chunks:read,res_a res_b,2030-01-01T00:00:00.000Z\r\n',
  );
});

test('the CSV writes * for full access and every resource, and empty for no expiry', () => {
  const csv = tokenCsv(issued({ access: 'full', permissions: null, resourceIds: null, expiresAt: null }));
  assert.equal(csv.split('\r\n')[1], 'tok_1,lk_abc,ci,*,*,');
});

test('the CSV names the role when a token takes its permissions from one', () => {
  const csv = tokenCsv(issued({ permissions: null, roleId: 'rol_readonly' }));
  assert.match(csv, /,role:rol_readonly,/);
});

test('CSV fields are quoted and formulas defused', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('=cmd()'), "'=cmd()");
  assert.equal(csvField('@x,y'), `"'@x,y"`);
  assert.equal(csvFileName('My Deploy Key!'), 'latchkey-token-my-deploy-key.csv');
  assert.equal(csvFileName('***'), 'latchkey-token-token.csv');
});

test('IP allowlists accept addresses and CIDR blocks, v4 and v6', () => {
  for (const ok of [
    '203.0.113.7',
    '203.0.113.0/24',
    '0.0.0.0/0',
    '::1',
    '2001:db8::/32',
    '::ffff:10.0.0.1',
  ]) {
    assert.ok(isCidr(ok), ok);
  }
  for (const bad of [
    '',
    '256.1.1.1',
    '1.2.3',
    '1.2.3.4/33',
    '2001:db8::/129',
    'example.com',
    '1.2.3.4/8/1',
    '01.2.3.4',
  ]) {
    assert.ok(!isCidr(bad), bad);
  }
  assert.deepEqual(splitList(' 10.0.0.1,\n10.0.0.2  ::1 '), ['10.0.0.1', '10.0.0.2', '::1']);
  assert.equal(checkIpList('10.0.0.1\n'), undefined);
  assert.match(checkIpList('10.0.0.1\nnope') ?? '', /"nope" is not an IP address/);
});

test('relative times read naturally', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  assert.equal(relativeTime('2030-01-31T00:00:00Z', now), 'in 30 days');
  assert.equal(relativeTime('2031-01-01T00:00:00Z', now), 'next year');
  assert.equal(relativeTime('2030-04-01T00:00:00Z', now), 'in 3 months');
  assert.equal(relativeTime('2029-12-31T21:00:00Z', now), '3 hours ago');
  assert.equal(relativeTime('2030-01-01T00:00:10Z', now), 'in a few seconds');
  assert.equal(relativeTime('2030-01-02T00:00:00Z', now), 'tomorrow');
});

test('the catalog is grouped in order and role excess is what the member lacks', () => {
  const catalog = [
    { key: 'blocks:read', label: 'Blocks', description: '', group: 'Shard' },
    { key: 'tokens:read', label: 'Tokens', description: '', group: 'Management' },
    { key: 'chunks:read', label: 'Chunks', description: '', group: 'Shard' },
  ];
  assert.deepEqual(
    groupCatalog(catalog).map(([g, ps]) => [g, ps.map((p) => p.key)]),
    [
      ['Shard', ['blocks:read', 'chunks:read']],
      ['Management', ['tokens:read']],
    ],
  );
  const role = {
    id: 'rol_x',
    name: 'x',
    description: null,
    permissions: ['blocks:read', 'tokens:read'],
    builtIn: false,
  };
  assert.deepEqual(roleExcess(role, ['blocks:read']), ['tokens:read']);
  assert.equal(defaultLifetime(365), '30');
  assert.equal(defaultLifetime(10), '7');
  assert.equal(defaultLifetime(3), 'custom');
});
