import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import type { Deps } from '../../server/context.ts';
import type { App } from '../../server/http/app-type.ts';
import { type DialectName, postgresAdminUrl } from './dialects.ts';

export interface TestServer {
  readonly url: string;
  readonly dataDir: string;
  readonly dialect: DialectName;
  readonly databaseUrl: string | undefined;
  readonly app: App;
  readonly deps: Deps;
  /** Every log line the server wrote, as text. */
  readonly logs: string[];
  close(): Promise<void>;
}

export interface StartOptions {
  dialect?: DialectName;
  /** Extra environment, as `latchkey serve` would read it. */
  env?: Record<string, string>;
  /** Reuse a data directory or database (to restart a server on the same data). */
  dataDir?: string;
  databaseUrl?: string;
  /** Keep the data when closing, for a restart. */
  keepData?: boolean;
}

async function createPostgresDatabase(): Promise<string> {
  const name = `lk_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropPostgresDatabase(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Builds the real app on fresh data (SQLite by default) and listens on a free port of 127.0.0.1. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dialect = options.dialect ?? 'sqlite';
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'latchkey-test-'));
  const databaseUrl =
    dialect === 'postgres' ? (options.databaseUrl ?? (await createPostgresDatabase())) : undefined;
  const config = loadConfig({
    LATCHKEY_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    USAGE_FLUSH_INTERVAL_MS: '100',
    ...(databaseUrl && { DATABASE_URL: databaseUrl }),
    ...options.env,
  });
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const { app, deps } = await buildApp(config, {
    logger: { level: options.env?.LOG_LEVEL ?? 'info', stream },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const url = `http://127.0.0.1:${address.port}`;
  let closed = false;
  return {
    url,
    dataDir,
    dialect,
    databaseUrl,
    app,
    deps,
    logs,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      if (!options.keepData) {
        if (databaseUrl) await dropPostgresDatabase(databaseUrl).catch(() => {});
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
