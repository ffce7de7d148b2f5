import type { Command } from 'commander';
import {
  type CommonOptions,
  connect,
  examples,
  formatDate,
  printJson,
  printTable,
  resolveOrg,
  run,
  withCommon,
} from './context.ts';
import { resolveToken } from './resolve.ts';
import type { FlagTable } from './validation.ts';

/** The API fields of the permissions and audit commands, by flag. */
const AUDIT_FLAGS: FlagTable = { tokenId: '--token', action: '--action', limit: '--limit', org: '--org' };

export function registerCatalogCommands(program: Command): void {
  const permissions = withCommon(program.command('permissions').description('List the permission catalog'), {
    org: false,
  });
  examples(permissions, ['latchkey permissions', 'latchkey permissions --json']);
  permissions.action(
    run(async (options: CommonOptions) => {
      const context = await connect(options);
      const catalog = await context.client.permissions();
      if (options.json) return void printJson(catalog);
      printTable(
        ['KEY', 'GROUP', 'LABEL'],
        catalog.map((p) => [p.key, p.group, p.label]),
      );
    }, AUDIT_FLAGS),
  );

  const audit = withCommon(
    program
      .command('audit')
      .description('Show the audit log, newest first')
      .option('--token <token>', 'only events of this token: its name or id')
      .option('--action <action>', 'only this action, e.g. token.revoked')
      .option('--limit <n>', 'how many', '50'),
  );
  examples(audit, [
    'latchkey audit',
    'latchkey audit --token indexer',
    'latchkey audit --token tok_… --json',
  ]);
  audit.action(
    run(async (options: CommonOptions & { token?: string; action?: string; limit: string }) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const tokenId = options.token ? (await resolveToken(context, org, options.token)).id : undefined;
      const page = await context.client.audit.list(org, {
        limit: Number(options.limit),
        ...(tokenId ? { tokenId } : {}),
        ...(options.action ? { action: options.action } : {}),
      });
      if (options.json) return void printJson(page);
      printTable(
        ['AT', 'ACTION', 'ACTOR', 'TARGET', 'IP'],
        page.items.map((e) => [
          formatDate(e.at),
          e.action,
          `${e.actor.type} ${e.actor.id ?? ''}`,
          `${e.target.type} ${e.target.id ?? ''}`,
          e.ip,
        ]),
        { drop: [4] },
      );
    }, AUDIT_FLAGS),
  );
}
