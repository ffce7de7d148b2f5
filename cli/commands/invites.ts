import type { Invite, Page } from '@latchkey/sdk';
import type { Command } from 'commander';
import {
  type CommonOptions,
  connect,
  examples,
  formatDate,
  type PageOptions,
  printJson,
  printTable,
  readPages,
  resolveOrg,
  run,
  withCommon,
  withPaging,
} from './context.ts';
import { resolveInvite, roleNames } from './resolve.ts';
import type { FlagTable } from './validation.ts';

/** The API fields of the invitation commands, by flag. */
const INVITE_FLAGS: FlagTable = { inv: 'the invitation', org: '--org' };

export function registerInviteCommands(program: Command): void {
  const invites = program
    .command('invites')
    .alias('invitations')
    .description(
      'Pending invitations (made by `latchkey members add` for someone without an account); cancelling needs `latchkey login --email`',
    );

  const list = withCommon(
    withPaging(
      invites
        .command('list', { isDefault: true })
        .alias('ls')
        .description('List pending invitations, newest first (members:read)'),
    ),
  );
  examples(list, ['latchkey invites', 'latchkey invites list --all --json', 'latchkey invites --limit 10']);
  list.action(
    run(async (options: CommonOptions & PageOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const { items, nextCursor } = await readPages<Invite, Page<Invite>>(options, (params) =>
        context.client.invites.list(org, params),
      );
      if (options.json) return void printJson({ items, nextCursor });
      if (items.length === 0) return void process.stdout.write('No pending invitations.\n');
      const roles = await roleNames(context, org);
      printTable(
        ['ID', 'EMAIL', 'ROLE', 'INVITED BY', 'CREATED', 'EXPIRES'],
        items.map((i) => [
          i.id,
          i.email,
          roles.get(i.roleId) ?? i.roleId,
          i.invitedBy,
          formatDate(i.createdAt),
          formatDate(i.expiresAt),
        ]),
        { drop: [3, 4, 0] },
      );
      if (nextCursor) process.stdout.write(`More: latchkey invites list --cursor ${nextCursor}\n`);
    }, INVITE_FLAGS),
  );

  const cancel = withCommon(
    invites
      .command('cancel <invite>')
      .alias('rm')
      .description(
        'Cancel a pending invitation; its link stops working (a signed-in person with members:write)',
      ),
  );
  examples(cancel, ['latchkey invites cancel bo@example.com', 'latchkey invites cancel inv_…']);
  cancel.action(
    run(async (inviteId: string, options: CommonOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const id = await resolveInvite(context, org, inviteId);
      await context.client.invites.cancel(org, id);
      if (options.json) return void printJson({ id, cancelled: true });
      process.stdout.write(`Cancelled ${id}${id === inviteId ? '' : ` (${inviteId})`}.\n`);
    }, INVITE_FLAGS),
  );
}
