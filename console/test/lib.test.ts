import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultLifetime, groupCatalog, roleExcess } from '../src/lib/access.ts';
import { csvFileName } from '../src/lib/csv.ts';
import { relativeTime } from '../src/lib/format.ts';
import { checkIpList, isCidr, splitList } from '../src/lib/validation.ts';

test('the CSV file is named after the token', () => {
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
