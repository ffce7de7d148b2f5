import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CliError, examples, printJson, run } from './context.ts';

/**
 * `latchkey users …`: operator commands run on the server host. They read the data directory (or
 * DATABASE_URL) and the server secret directly, like `latchkey serve`, and need no API credential.
 */
export function registerUserCommands(program: Command): void {
  const users = program
    .command('users')
    .description('Operator commands on the server host (they read the data directory or DATABASE_URL)');

  const reset = users
    .command('reset-password')
    .argument('<email>', "the account's e-mail address")
    .description(
      'Print a one-time link (30 minutes) that sets a new password for an account: the way in when no mail works',
    )
    .option('--data-dir <dir>', 'data directory (env LATCHKEY_DATA_DIR, default ./data)')
    .option('--json', 'print JSON');
  examples(reset, [
    'latchkey users reset-password ada@example.com',
    'latchkey users reset-password ada@example.com --data-dir /var/lib/latchkey',
    'DATABASE_URL=postgres://… latchkey users reset-password ada@example.com --json',
  ]);
  reset.action(
    run(async (email: string, options: { dataDir?: string; json?: boolean }) => {
      // Loaded here: the client commands should not pay for loading the server.
      const { loadConfig } = await import('../../server/config.ts');
      const { connectDatabase, migrateToLatest, sqliteFile } = await import('../../server/db/connect.ts');
      const { loadServerSecret } = await import('../../server/secret.ts');
      const { operatorResetLink } = await import('../../server/accounts/password-reset.ts');
      const config = loadConfig(process.env, options.dataDir ? { dataDir: options.dataDir } : {});
      if (!config.databaseUrl && !existsSync(sqliteFile(config.dataDir))) {
        throw new CliError(
          'NOT_FOUND',
          `no Latchkey database in ${config.dataDir}: pass --data-dir (or LATCHKEY_DATA_DIR, DATABASE_URL) as the server has it`,
        );
      }
      if (config.secret === undefined && !existsSync(join(config.dataDir, 'server-secret'))) {
        throw new CliError(
          'NOT_FOUND',
          `no server secret in ${config.dataDir}: run this where the server keeps its data, with its LATCHKEY_SECRET if it uses one`,
        );
      }
      const database = connectDatabase({
        dataDir: config.dataDir,
        ...(config.databaseUrl && { databaseUrl: config.databaseUrl }),
      });
      try {
        await migrateToLatest(database);
        const link = await operatorResetLink(
          database.db,
          { secret: loadServerSecret(config.dataDir, config.secret) },
          config.publicUrl,
          email,
        );
        if (link === undefined) throw new CliError('NOT_FOUND', `no account has the e-mail address ${email}`);
        if (options.json)
          return void printJson({ email, url: link.url, expiresAt: link.expiresAt.toISOString() });
        process.stdout.write(
          `${[
            `One-time link to set a new password for ${email} (until ${link.expiresAt.toISOString()}):`,
            link.url,
            'Give it only to the account holder. It works once; the new password ends every session of the account.',
            config.publicUrlConfigured
              ? ''
              : 'The link uses the server address from HOST and PORT; set PUBLIC_URL if people reach it elsewhere.',
          ]
            .filter((line) => line !== '')
            .join('\n')}\n`,
        );
      } finally {
        await database.close();
      }
    }),
  );
}
