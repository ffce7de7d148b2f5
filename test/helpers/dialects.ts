import pg from 'pg';

export type DialectName = 'sqlite' | 'postgres';

export interface TestDialect {
  name: DialectName;
  /** Why the dialect's tests are skipped here; undefined when they run. */
  skip: string | undefined;
}

/** The PostgreSQL server tests use; each test server gets a fresh database on it. */
export const postgresAdminUrl =
  process.env.LATCHKEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let probe: Promise<string | undefined> | undefined;

/** Resolves to undefined when PostgreSQL answers, or to the reason it does not. */
export function postgresUnavailable(): Promise<string | undefined> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (error) {
      return `PostgreSQL is not reachable at ${postgresAdminUrl.replace(/\/\/[^@]*@/, '//')}: ${(error as Error).message}`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return probe;
}

/**
 * SQLite always; PostgreSQL where it is reachable. Without it the PostgreSQL suite is reported as skipped
 * with the reason, and under CI=true that is a failure instead.
 */
export async function testDialects(): Promise<TestDialect[]> {
  const reason = await postgresUnavailable();
  if (reason !== undefined && process.env.CI === 'true') {
    throw new Error(`CI=true needs PostgreSQL for the test suite: ${reason}`);
  }
  return [
    { name: 'sqlite', skip: undefined },
    { name: 'postgres', skip: reason },
  ];
}
