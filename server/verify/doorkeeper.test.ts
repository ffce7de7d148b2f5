// The front map's doorkeeper: a token enters on its second verification, not its first.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { Doorkeeper } from './doorkeeper.ts';

const keyOf = (n: number) => createHash('sha256').update(String(n)).digest().toString('latin1', 0, 16);

test('a key is let in on its second sighting, not its first', () => {
  const doorkeeper = new Doorkeeper(1 << 16);
  assert.equal(doorkeeper.seenBefore(keyOf(1)), false);
  assert.equal(doorkeeper.seenBefore(keyOf(1)), true);
  assert.equal(doorkeeper.seenBefore(keyOf(1)), true);
});

test('a sweep of keys seen once each lets few in (only by collision)', () => {
  const doorkeeper = new Doorkeeper(1 << 20);
  let admitted = 0;
  for (let i = 0; i < 100_000; i++) if (doorkeeper.seenBefore(keyOf(i))) admitted++;
  // 100,000 keys in 2^20 bits: about 5 % collide with an earlier one.
  assert.ok(admitted < 8_000, `${admitted} of 100,000 let in`);
});

test('it forgets after an eighth of its bits were set, so memory of first sightings is bounded', () => {
  const doorkeeper = new Doorkeeper(1 << 10);
  const early = keyOf(-1);
  doorkeeper.seenBefore(early);
  for (let i = 0; i < 60; i++) doorkeeper.seenBefore(keyOf(i));
  assert.equal(doorkeeper.seenBefore(early), true, 'remembered while fewer than 128 bits are set');
  // Past 128 first sightings the bits are cleared, the early key's among them.
  for (let i = 60; i < 200; i++) doorkeeper.seenBefore(keyOf(i));
  assert.equal(doorkeeper.seenBefore(early), false, 'forgotten after the clearing');
});
