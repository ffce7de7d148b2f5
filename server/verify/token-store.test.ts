// The compact token store: what is kept comes back field for field, replacing and deleting keep every other
// entry findable (backward-shift deletion), and a full store drops old entries instead of growing.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { newId } from '../ids.ts';
import { type StoredToken, TokenStore } from './token-store.ts';

const hashOf = () => createHmac('sha256', 'secret').update(randomBytes(16)).digest('base64url');
const grantA = { name: 'a' };
const grantB = { name: 'b' };
const token = (over: Partial<StoredToken<object>> = {}): StoredToken<object> => ({
  id: newId('tok'),
  orgId: 'org_1',
  ownerId: null,
  grant: grantA,
  revoked: false,
  endsGraceOnUse: false,
  expiresAt: null,
  valueNotAfter: null,
  valueRetiredAt: null,
  generation: 3,
  cachedUntil: 60,
  ...over,
});

test('a stored token comes back with every field, and a replaced one with the new fields', () => {
  const store = new TokenStore<object>(100);
  const hash = hashOf();
  const kept = token({
    ownerId: 'usr_1',
    grant: grantB,
    revoked: true,
    endsGraceOnUse: true,
    expiresAt: 1_900_000_000_000,
    valueNotAfter: 1_800_000_000_123,
  });
  assert.equal(store.set(hash, kept), true);
  assert.deepEqual(store.get(hash), kept);
  assert.equal(store.get(hashOf()), undefined);
  const replaced = token({ id: kept.id, revoked: false, generation: 9 });
  store.set(hash, replaced);
  assert.deepEqual(store.get(hash), replaced);
  assert.equal(store.size, 1);
});

test('thousands of entries stay findable through deletions, and a full store keeps its capacity', () => {
  const capacity = 2000;
  const store = new TokenStore<object>(capacity);
  const reference = new Map<string, StoredToken<object>>();
  for (let i = 0; i < capacity; i++) {
    const hash = hashOf();
    const t = token({ generation: i });
    store.set(hash, t);
    reference.set(hash, t);
  }
  let n = 0;
  for (const hash of [...reference.keys()]) {
    if (n++ % 3 === 0) {
      store.delete(hash);
      reference.delete(hash);
    }
  }
  assert.equal(store.size, reference.size);
  for (const [hash, t] of reference) assert.deepEqual(store.get(hash), t);
  // Beyond the capacity, older entries go; the newest is always there and the size never passes it.
  const newest: string[] = [];
  for (let i = 0; i < capacity * 2; i++) {
    const hash = hashOf();
    store.set(hash, token());
    newest.push(hash);
    assert.ok(store.size <= capacity);
  }
  assert.ok(store.get(newest.at(-1) as string));
  assert.equal(store.size, capacity);
  // Every entry still counted is found: old and new together make up the size.
  let found = 0;
  for (const hash of [...newest, ...reference.keys()]) if (store.get(hash)) found++;
  assert.equal(found, capacity);
});

test('an id of another shape, or a retired value, is not stored (the caller keeps reading it)', () => {
  const store = new TokenStore<object>(10);
  assert.equal(store.set(hashOf(), token({ id: 'tok_short' })), false);
  assert.equal(store.set(hashOf(), token({ id: 'tok_0Vcxt0N80006Fvlc752K!' })), false);
  assert.equal(store.set(hashOf(), token({ valueRetiredAt: 1_700_000_000_000 })), false);
  assert.equal(store.size, 0);
});

test('the table grows with its entries, every entry still found after each growth', () => {
  const store = new TokenStore<object>(100_000);
  const kept = new Map<string, StoredToken<object>>();
  let bytes = 0;
  for (let i = 0; i < 30_000; i++) {
    const hash = hashOf();
    const t = token({ generation: i, grant: i % 2 ? grantA : grantB, ownerId: `usr_${i % 7}` });
    store.set(hash, t);
    kept.set(hash, t);
    if (i === 100) bytes = store.bytes;
  }
  assert.ok(store.bytes > bytes, 'grew');
  assert.ok(store.bytes < 100_000 * 100, 'not sized for the whole capacity yet');
  for (const [hash, t] of kept) assert.deepEqual(store.get(hash), t);
});
