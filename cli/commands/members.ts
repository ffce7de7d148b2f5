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
import { deliveryLine } from './mail.ts';
import { resolveRole, roleNames } from './resolve.ts';
import type { FlagTable } from './validation.ts';

/** The API fields of the member commands, by flag. */
const MEMBER_FLAGS: FlagTable = { email: '--email', roleId: '--role', org: '--org' };

const roleLabel = (names: Map<string, string>, roleId: string) => names.get(roleId) ?? roleId;

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
      const roles = await roleNames(context, org);
      printTable(
        ['USER', 'EMAIL', 'NAME', 'ROLE'],
        page.items.map((m) => [m.userId, m.email, m.name, roleLabel(roles, m.roleId)]),
        { drop: [0] },
      );
    }, MEMBER_FLAGS),
  );

  const add = withCommon(
    members
      .command('add')
      .description('Add a member (someone without an account is invited)')
      .requiredOption('--email <email>', 'their e-mail address')
      .option('--role <role>', 'their role: its name or id', 'rol_readonly'),
  );
  examples(add, [
    'latchkey members add --email bo@example.com --role "Read/Write User"',
    'latchkey members add --email bo@example.com --role rol_readwrite',
  ]);
  add.action(
    run(async (options: CommonOptions & { email: string; role: string }) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const roleId = await resolveRole(context, org, options.role);
      const added = await context.client.members.add(org, { email: options.email, roleId });
      if (options.json) return void printJson(added);
      const role = roleLabel(await roleNames(context, org), added.roleId);
      if ('inviteUrl' in added) {
        process.stdout.write(`Invited ${added.email} as ${role} (until ${added.expiresAt}).\n`);
        process.stdout.write(`Invitation link: ${added.inviteUrl}\n`);
        // Say where the mail went: "e-mailed" only when an SMTP server took it.
        const mail = deliveryLine(added, 'the invitation', added.email);
        if (mail) process.stdout.write(`${mail}\n`);
      } else {
        process.stdout.write(`Added ${added.name} <${added.email}> as ${role}.\n`);
      }
    }, MEMBER_FLAGS),
  );
}
