import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CamelCasePlugin,
  type CompiledQuery,
  Kysely,
  type Migration,
  Migrator,
  PostgresDialect,
  SqliteDialect,
} from 'kysely';
import { LRUCache } from 'lru-cache';
import pg from 'pg';
import * as initial from './migrations/2026-11-23-initial.ts';
import * as rateCounters from './migrations/2026-11-23-rate-counters.ts';
import * as notifications from './migrations/2026-12-01-notifications.ts';
import * as tokenUsageDaily from './migrations/2026-12-05-token-usage-daily.ts';
import * as userAccounts from './migrations/2026-12-05-user-accounts.ts';
import * as tokenHygiene from './migrations/2026-12-05T18-token-hygiene.ts';
import * as insightSettings from './migrations/2026-12-05T19-insight-settings.ts';
import * as userSso from './migrations/2026-12-05T20-user-sso.ts';
import * as usageFillfactor from './migrations/2026-12-06-usage-fillfactor.ts';
import type { Database } from './schema.ts';
import { type CheckpointResult, WalCheckpointer } from './wal-checkpointer.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** The pool behind a PostgreSQL handle, for LISTEN/NOTIFY and health checks. */
  readonly pool: pg.Pool | undefined;
  /**
   * A read's rows as arrays, with its columns' names as the database gives them (snake_case). For bulk
   * reads (the verifier's start-up scan): an object per row made by the driver, renamed by the
   * camel-case plugin, cost twice the query itself.
   */
  rowArrays(query: CompiledQuery): Promise<RowArrays>;
  /** SQLite: runs a checkpoint of the write-ahead log in its worker now, starting it if need be (tests). */
  checkpoint?: () => Promise<CheckpointResult>;
  close(): Promise<void>;
}

export interface RowArrays {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

// int8 columns hold epoch milliseconds and counters, well inside Number's exact range.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** How often the worker checkpoints: the log holds at most this long's writes (tens of MB under load). */
const CHECKPOINT_INTERVAL_MS = 500;
const CHECKPOINT_WORKER_DELAY_MS = 2_000;
/** SQLite's own threshold in pages, restored if the worker fails. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

export function sqliteFile(dataDir: string): string {
  return join(dataDir, 'latchkey.db');
}

export function connectDatabase(options: { databaseUrl?: string; dataDir: string }): DatabaseHandle {
  const plugins = [new CamelCasePlugin()];
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    // A checked-out client whose connection dies between two statements of a transaction emits 'error'
    // with no query to reject; without a listener that crashes the process. The next statement (or the
    // rollback) still fails with the error, and the pool discards the client on release.
    pool.on('connect', (client) => {
      client.on('error', () => {});
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins });
    const rowArrays = async (query: CompiledQuery): Promise<RowArrays> => {
      const result = await pool.query({
        text: query.sql,
        values: query.parameters as unknown[],
        rowMode: 'array',
      });
      return { columns: result.fields.map((field) => field.name), rows: result.rows };
    };
    return { db, dialect: 'postgres', pool, rowArrays, close: () => db.destroy() };
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = sqliteFile(options.dataDir);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // WAL with synchronous=NORMAL survives a crash of the process; see docs/operations.md.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  // The worker starts a moment after the connection opens: its own start-up (a V8 isolate, the driver)
  // took CPU from the server's (first verify with a million tokens 491 → 564 ms when started at once).
  // Until it is ready, SQLite checkpoints on this connection as usual.
  let checkpointer: WalCheckpointer | undefined;
  const startCheckpointer = () => {
    checkpointer ??= new WalCheckpointer(file, CHECKPOINT_INTERVAL_MS, {
      onReady: () => {
        if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 0');
      },
      onFailure: (error) => {
        if (!sqlite.open) return;
        sqlite.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
        process.emitWarning(
          `SQLite's WAL checkpoint worker failed (${error.message}); the server's connection checkpoints again`,
        );
      },
    });
    return checkpointer;
  };
  const checkpointerTimer = setTimeout(startCheckpointer, CHECKPOINT_WORKER_DELAY_MS);
  checkpointerTimer.unref();
  // Kysely prepares every statement anew; better-sqlite3 statements can be reused, and preparing was a
  // tenth of a token creation's CPU in the profile. The cache is bounded: IN-lists vary in length.
  const prepared = new LRUCache<string, SQLite.Statement>({ max: 500 });
  const database = {
    close: () => sqlite.close(),
    prepare(sql: string): SQLite.Statement {
      let statement = prepared.get(sql);
      if (statement === undefined) {
        statement = sqlite.prepare(sql);
        prepared.set(sql, statement);
      }
      return statement;
    },
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }), plugins });
  // Statements in raw mode are kept apart: Kysely's own (above) must keep answering objects.
  const rawStatements = new LRUCache<string, SQLite.Statement>({ max: 20 });
  const rowArrays = async (query: CompiledQuery): Promise<RowArrays> => {
    let statement = rawStatements.get(query.sql);
    if (statement === undefined) {
      statement = sqlite.prepare(query.sql).raw(true);
      rawStatements.set(query.sql, statement);
    }
    const rows = statement.all(...(query.parameters as unknown[])) as unknown[][];
    return { columns: statement.columns().map((column) => column.name), rows };
  };
  const close = async () => {
    // The worker's connection first: the last connection to close folds the log into the file.
    clearTimeout(checkpointerTimer);
    await checkpointer?.stop();
    await db.destroy();
  };
  return {
    db,
    dialect: 'sqlite',
    pool: undefined,
    rowArrays,
    checkpoint: () => startCheckpointer().checkpoint(),
    close,
  };
}

const migrations: Record<string, Migration> = {
  '2026-11-23-initial': initial,
  '2026-11-23-rate-counters': rateCounters,
  '2026-12-01-notifications': notifications,
  '2026-12-05-token-usage-daily': tokenUsageDaily,
  '2026-12-05-user-accounts': userAccounts,
  '2026-12-05T18-token-hygiene': tokenHygiene,
  '2026-12-05T19-insight-settings': insightSettings,
  '2026-12-05T20-user-sso': userSso,
  '2026-12-06-usage-fillfactor': usageFillfactor,
};

export const migrationNames: readonly string[] = Object.keys(migrations);

// Any constant works; it names "Latchkey migrations" among the advisory locks of the database.
const MIGRATION_LOCK = 7_231_842_001;

/**
 * Runs pending migrations. On PostgreSQL a session advisory lock makes processes that start together
 * take turns: the first migrates, the others wait and then find nothing to do. (Kysely's own lock is taken
 * only after it creates its bookkeeping tables, which concurrent starts would race on.)
 */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => migrations },
  });
  const run = async () => {
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error;
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  };
  if (handle.pool === undefined) return run();
  const client = await handle.pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    return await run();
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
}
