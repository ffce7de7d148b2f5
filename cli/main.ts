import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../server/config.ts';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is a number from 0 to 65535');
  return n;
}

const program = new Command()
  .name('latchkey')
  .description('Latchkey: access tokens with a console, an API and a fast verify endpoint')
  .showHelpAfterError();

program
  .command('serve')
  .description('serve the API and the console (SQLite in the data directory unless DATABASE_URL is set)')
  .option('--port <port>', 'port to listen on (env PORT, default 4000)', port)
  .option('--host <host>', 'address to bind (env HOST, default 127.0.0.1)')
  .option('--data-dir <dir>', 'data directory (env LATCHKEY_DATA_DIR, default ./data)')
  .addHelpText(
    'after',
    '\nExamples:\n  latchkey serve\n  latchkey serve --port 8080 --host 0.0.0.0 --data-dir /var/lib/latchkey',
  )
  .action(async (options: { port?: number; host?: string; dataDir?: string }) => {
    // Loaded here, not at the top: the developer commands should not pay for loading the server.
    const { serve } = await import('../server/main.ts');
    await serve(options);
  });

program
  .command('migrate')
  .description('run pending database migrations and exit (serve also runs them at start)')
  .option('--data-dir <dir>', 'data directory (env LATCHKEY_DATA_DIR, default ./data)')
  .action(async (options: { dataDir?: string }) => {
    const { migrate } = await import('../server/main.ts');
    const applied = await migrate(options);
    console.log(applied.length === 0 ? 'the database is up to date' : `applied: ${applied.join(', ')}`);
  });

// The developer commands (login, tokens, verify …) live in cli/commands/.
try {
  const { registerCommands } = (await import('./commands/index.ts')) as {
    registerCommands: (program: Command) => void;
  };
  registerCommands(program);
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`latchkey: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
