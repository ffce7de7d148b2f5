// The batched usage flush: daily valid and refused counts per token, across a UTC midnight, in one write.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { connectDatabase, type DatabaseHandle, migrateToLatest } from '../db/connect.ts';
import { exercisedSince } from '../insights/insights.repository.ts';
import { dailyUsageOf } from '../tokens/token-insights.repository.ts';
import { UsageRecorder, utcDay } from './usage.ts';

let handle: DatabaseHandle;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-usage-'));
  handle = connectDatabase({ dataDir: dir });
  await migrateToLatest(handle);
});
after(async () => {
  await handle.close();
  rmSync(dir, { recursive: true, force: true });
});

test('valid and refused verifications land on their UTC day, and later flushes add to the same rows', async () => {
  const recorder = new UsageRecorder(handle.db, 60_000, (error) => assert.fail(String(error)));
  const midnight = utcDay(Date.now()) * 86_400_000;
  recorder.record('tok_a', '10.0.0.1', midnight - 1000);
  recorder.record('tok_a', '10.0.0.1', midnight - 500);
  recorder.refuse('tok_a', midnight - 100);
  recorder.record('tok_a', '10.0.0.2', midnight + 1000);
  recorder.refuse('tok_b', midnight + 2000);
  await recorder.flush();
  const day = utcDay(midnight);
  assert.deepEqual(
    (await dailyUsageOf(handle.db, 'tok_a', day - 1)).map((r) => [r.day, Number(r.valid), Number(r.refused)]),
    [
      [day - 1, 2, 1],
      [day, 1, 0],
    ],
  );
  recorder.record('tok_a', '10.0.0.2', midnight + 3000);
  await recorder.stop();
  const rows = await dailyUsageOf(handle.db, 'tok_a', day);
  assert.deepEqual(
    rows.map((r) => [r.day, Number(r.valid), Number(r.refused)]),
    [[day, 2, 0]],
  );
  assert.deepEqual(
    (await dailyUsageOf(handle.db, 'tok_b', day)).map((r) => Number(r.refused)),
    [1],
  );
});

test('what a token exercised reaches the database even after the bounded memory of what was written forgets it', async () => {
  // Two tokens per generation: with six tokens, the first ones are forgotten between flushes.
  const recorder = new UsageRecorder(handle.db, 60_000, (error) => assert.fail(String(error)), 2);
  const now = Date.now();
  const held = new Set(['blocks:read', 'blocks:write', 'state:read']);
  const ids = ['tok_w1', 'tok_w2', 'tok_w3', 'tok_w4', 'tok_w5', 'tok_w6'];
  for (const id of ids) recorder.record(id, '10.0.0.1', now, held, 'blocks:read', 'res_1');
  await recorder.flush();
  for (const id of ids) recorder.record(id, '10.0.0.1', now, held, 'blocks:read', 'res_1');
  recorder.record('tok_w1', '10.0.0.1', now, held, 'state:read', 'res_2');
  recorder.record('tok_w6', '10.0.0.1', now, held, { all: ['blocks:write'] }, undefined);
  await recorder.stop();
  const exercised = await exercisedSince(handle.db, ids, utcDay(now));
  const of = (id: string) => {
    const entry = exercised.get(id);
    return entry && { permissions: [...entry.permissions].sort(), resources: [...entry.resources].sort() };
  };
  assert.deepEqual(of('tok_w1'), {
    permissions: ['blocks:read', 'state:read'],
    resources: ['res_1', 'res_2'],
  });
  assert.deepEqual(of('tok_w6'), { permissions: ['blocks:read', 'blocks:write'], resources: ['*', 'res_1'] });
  assert.deepEqual(of('tok_w3'), { permissions: ['blocks:read'], resources: ['res_1'] });
  const counts = await dailyUsageOf(handle.db, 'tok_w1', utcDay(now));
  assert.equal(Number(counts[0]?.valid), 3);
});

test('a flush of many tokens that fails loses no count, and the next one writes each count once', async () => {
  const errors: unknown[] = [];
  const recorder = new UsageRecorder(handle.db, 60_000, (error) => errors.push(error));
  const now = Date.now();
  const held = new Set(['blocks:read']);
  // More tokens than one chunk of the flush (500), so it takes several transactions.
  const ids = Array.from({ length: 1_234 }, (_, i) => `tok_many_${i}`);
  for (const id of ids) recorder.record(id, '10.0.0.1', now, held, 'blocks:read', 'res_1');
  await sql`alter table token_usage_daily rename to token_usage_daily_away`.execute(handle.db);
  await recorder.flush();
  assert.equal(errors.length, 1, 'one error reported for the failed flush');
  await sql`alter table token_usage_daily_away rename to token_usage_daily`.execute(handle.db);
  for (const id of ids.slice(0, 10)) recorder.record(id, '10.0.0.1', now, held, 'blocks:read', 'res_2');
  await recorder.stop();
  assert.equal(errors.length, 1);
  const exercised = await exercisedSince(handle.db, ids, utcDay(now));
  assert.equal(exercised.size, ids.length);
  for (const [i, id] of ids.entries()) {
    const entry = exercised.get(id);
    assert.equal(entry?.valid, i < 10 ? 2 : 1, `${id}'s valid count`);
    assert.deepEqual([...(entry?.resources ?? [])].sort(), i < 10 ? ['res_1', 'res_2'] : ['res_1']);
  }
});
