import type { Command } from 'commander';
import {
  type CommonOptions,
  connect,
  examples,
  printJson,
  printTable,
  resolveOrg,
  run,
  withCommon,
} from './context.ts';

export function registerMemberCommands(program: Command): void {
  const members = program
    .command('members')
    .description('Members of an organization and their roles (needs a console session for changes)');

  const list = withCommon(
    members.command('list', { isDefault: true }).alias('ls').description('List members'),
  );
  examples(list, ['latchkey members', 'latchkey members list --json']);
  list.action(
    run(async (options: CommonOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const page = await context.client.members.list(org);
      if (options.json) return void printJson(page);
      printTable(
        ['USER', 'EMAIL', 'NAME', 'ROLE'],
        page.items.map((m) => [m.userId, m.email, m.name, m.roleId]),
      );
    }),
  );

  const add = withCommon(
    members
      .command('add')
      .description('Add a member (someone without an account is invited)')
      .requiredOption('--email <email>', 'their e-mail address')
      .option('--role <roleId>', 'their role', 'rol_readonly'),
  );
  examples(add, ['latchkey members add --email bo@example.com --role rol_readwrite']);
  add.action(
    run(async (options: CommonOptions & { email: string; role: string }) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const added = await context.client.members.add(org, { email: options.email, roleId: options.role });
      if (options.json) return void printJson(added);
      if ('inviteUrl' in added) {
        process.stdout.write(`Invited ${added.email} as ${added.roleId} (until ${added.expiresAt}).\n`);
        process.stdout.write(`Invitation link (also e-mailed): ${added.inviteUrl}\n`);
      } else {
        process.stdout.write(`Added ${added.name} <${added.email}> as ${added.roleId}.\n`);
      }
    }),
  );
}
