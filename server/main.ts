import { buildApp } from './app.ts';
import { setupNeeded } from './auth/auth.service.ts';
import { type ConfigOverrides, loadConfig } from './config.ts';
import { connectDatabase, migrateToLatest } from './db/connect.ts';
import { terminalLogStream } from './http/log-format.ts';

/** `latchkey serve`: builds the app, listens, and stops cleanly on SIGINT/SIGTERM. */
export async function serve(overrides: ConfigOverrides = {}): Promise<void> {
  const config = loadConfig(process.env, overrides);
  // On a terminal, readable lines; JSON for everything else (a log collector, a file, a pipe).
  const { app, deps } = await buildApp(
    config,
    process.stdout.isTTY ? { logStream: terminalLogStream(process.stdout) } : {},
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'stopping: finishing requests and flushing usage');
    const timer = setTimeout(() => {
      app.log.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    timer.unref();
    try {
      await app.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    {
      dataDir: config.dataDir,
      database: config.databaseUrl ? 'postgres' : 'sqlite',
      publicUrl: deps.publicUrl(),
    },
    `Latchkey is serving on ${deps.publicUrl()}`,
  );
  const first = await setupNeeded(deps);
  app.log.info(
    first
      ? `Open ${deps.publicUrl()} in a browser: the first visit sets Latchkey up (your account and organization)`
      : `Open ${deps.publicUrl()} in a browser to sign in to the console`,
  );
}

/** `latchkey migrate`: runs pending migrations and exits. */
export async function migrate(overrides: ConfigOverrides = {}): Promise<string[]> {
  const config = loadConfig(process.env, overrides);
  const database = connectDatabase({
    dataDir: config.dataDir,
    ...(config.databaseUrl && { databaseUrl: config.databaseUrl }),
  });
  try {
    return await migrateToLatest(database);
  } finally {
    await database.close();
  }
}
