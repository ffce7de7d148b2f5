// SQLite's write-ahead log is folded into the database file by a worker thread, not by the event loop.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { connectDatabase, sqliteFile } from './connect.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-wal-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test("the server's connection never checkpoints; the worker folds every page of the log into the file", async () => {
  const dir = tempDir();
  const handle = connectDatabase({ dataDir: dir });
  // Started now (the server starts it two seconds after opening): once ready, it alone checkpoints.
  await handle.checkpoint?.();
  const { rows } = await sql<Record<string, number>>`pragma wal_autocheckpoint`.execute(handle.db);
  assert.deepEqual(
    Object.values(rows[0] ?? {}),
    [0],
    "the server's connection leaves checkpoints to the worker",
  );
  await sql`create table filler (id integer primary key, body text)`.execute(handle.db);
  // Far more than SQLite's automatic threshold (1,000 pages of 4 KiB), in one commit: the log's file keeps
  // its size after a checkpoint, whenever the worker's own (every 500 ms) comes.
  await handle.db.transaction().execute(async (trx) => {
    for (let i = 0; i < 20; i++) {
      await sql`insert into filler (body) with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000) select hex(randomblob(2000)) from n`.execute(
        trx,
      );
    }
  });
  const logBytes = statSync(`${sqliteFile(dir)}-wal`).size;
  assert.ok(logBytes > 20 * 4096 * 1000 * 0.9, `the log held every commit (${logBytes} bytes)`);
  const result = await handle.checkpoint?.();
  assert.ok(result && result.log > 0, 'the log had pages');
  assert.equal(result.checkpointed, result.log, 'every page of the log is now in the database file');
  await handle.close();
  assert.equal(existsSync(`${sqliteFile(dir)}-wal`), false, 'closing removes the log');
});

test('a worker that cannot open the database reports it, so the server checkpoints on its own again', async () => {
  const failure = await new Promise<Error>((resolve) => {
    new WalCheckpointer(join(tempDir(), 'missing', 'latchkey.db'), 500, {
      onReady: () => assert.fail('a worker without a database is never ready'),
      onFailure: resolve,
    });
  });
  assert.match(failure.message, /directory does not exist|unable to open/i);
});
