import type { Page, Role } from '@latchkey/sdk';
import type { Command } from 'commander';
import {
  CliError,
  type CommonOptions,
  collect,
  connect,
  examples,
  formatList,
  type PageOptions,
  printJson,
  printTable,
  readPages,
  resolveOrg,
  run,
  withCommon,
  withPaging,
} from './context.ts';
import type { FlagTable } from './validation.ts';

/** The API fields of the role commands, by flag. */
const ROLE_FLAGS: FlagTable = {
  name: '--name',
  description: '--description',
  permissions: '--permission',
  org: '--org',
};

export function registerRoleCommands(program: Command): void {
  const roles = program.command('roles').description('Built-in and custom roles');

  const list = withCommon(
    withPaging(
      roles.command('list', { isDefault: true }).alias('ls').description('List roles: built-in, then custom'),
    ),
  );
  examples(list, ['latchkey roles', 'latchkey roles list --json', 'latchkey roles list --all --limit 100']);
  list.action(
    run(async (options: CommonOptions & PageOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const { items, nextCursor } = await readPages<Role, Page<Role>>(options, (params) =>
        context.client.roles.list(org, params),
      );
      if (options.json) return void printJson({ items, nextCursor });
      printTable(
        ['ID', 'NAME', 'PERMISSIONS'],
        items.map((r) => [r.id, r.name, formatList(r.permissions)]),
      );
      if (nextCursor) process.stdout.write(`More: latchkey roles list --cursor ${nextCursor}\n`);
    }, ROLE_FLAGS),
  );

  const add = withCommon(
    roles
      .command('add')
      .alias('create')
      .description('Create a custom role (needs a console session)')
      .requiredOption('--name <name>', 'its name')
      .option('--description <text>', 'what it is for')
      .option('--permission <key>', 'a permission (repeatable)', collect, []),
  );
  examples(add, ['latchkey roles add --name Indexer --permission blocks:read --permission chunks:read']);
  add.action(
    run(async (options: CommonOptions & { name: string; description?: string; permission: string[] }) => {
      if (options.permission.length === 0)
        throw new CliError('VALIDATION_FAILED', 'Give at least one --permission');
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const role = await context.client.roles.create(org, {
        name: options.name,
        permissions: options.permission,
        ...(options.description ? { description: options.description } : {}),
      });
      if (options.json) return void printJson(role);
      process.stdout.write(`Created ${role.id} (${role.name}).\n`);
    }, ROLE_FLAGS),
  );
}
