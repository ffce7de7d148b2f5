// The membership filter (issue 13): never a false negative, and about 1 % false positives at capacity.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { hashSecret } from '../tokens/token-value.ts';
import { MembershipFilter } from './membership-filter.ts';

const secret = randomBytes(32);
const storedHash = () => hashSecret(secret, randomBytes(24).toString('base64url'));

test('every hash added is reported as maybe present (no false negatives)', () => {
  const filter = new MembershipFilter(50_000);
  const added = Array.from({ length: 50_000 }, storedHash);
  for (const hash of added) filter.add(hash);
  for (const hash of added) assert.equal(filter.mayContain(hash), true);
});

test('at its capacity, fewer than 2 % of hashes never added pass (false positives)', () => {
  const filter = new MembershipFilter(100_000);
  for (let i = 0; i < 100_000; i++) filter.add(storedHash());
  let passed = 0;
  const probes = 100_000;
  for (let i = 0; i < probes; i++) if (filter.mayContain(storedHash())) passed++;
  const rate = passed / probes;
  // 10 bits and 7 probes per entry: about 0.8 % in theory.
  assert.ok(rate < 0.02, `false-positive rate ${(rate * 100).toFixed(2)} %`);
  assert.ok(filter.bytes <= 100_000 * 1.3, `${filter.bytes} bytes for 100,000 hashes`);
});

test('a hash that is not base64url never throws and is answered conservatively or not', () => {
  const filter = new MembershipFilter(10);
  filter.add('short');
  assert.equal(filter.mayContain('short'), true);
  filter.add('!!!!!!!!!!!!!!!!');
  assert.equal(filter.mayContain('!!!!!!!!!!!!!!!!'), true);
});

test('past its capacity it says so, and still has no false negatives', () => {
  const filter = new MembershipFilter(1_000);
  const added = Array.from({ length: 3_000 }, storedHash);
  for (const hash of added) filter.add(hash);
  assert.equal(filter.full, true);
  for (const hash of added) assert.equal(filter.mayContain(hash), true);
});
