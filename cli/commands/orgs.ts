import type { Command } from 'commander';
import { readConfig, writeConfig } from './config.ts';
import {
  type CommonOptions,
  connect,
  examples,
  printJson,
  printRecord,
  printTable,
  resolveOrg,
  run,
  withCommon,
} from './context.ts';

export function registerOrgCommands(program: Command): void {
  const orgs = program.command('orgs').description('Organizations and their token policy');

  const list = withCommon(
    orgs.command('list', { isDefault: true }).alias('ls').description('List your organizations'),
    { org: false },
  );
  examples(list, ['latchkey orgs', 'latchkey orgs list --json']);
  list.action(
    run(async (options: CommonOptions) => {
      const context = await connect(options);
      const page = await context.client.orgs.list();
      if (options.json) return void printJson(page);
      printTable(
        ['ID', 'NAME', 'MAX TTL (DAYS)', 'NO EXPIRY', 'DEFAULT'],
        page.items.map((o) => [
          o.id,
          o.name,
          o.policy?.maxTtlDays,
          o.policy?.allowNoExpiry ? 'allowed' : 'no',
          o.id === context.config.org ? '*' : '',
        ]),
      );
    }),
  );

  const add = withCommon(orgs.command('add <name>').alias('create').description('Create an organization'), {
    org: false,
  });
  examples(add, ['latchkey orgs add "Testnet operators"']);
  add.action(
    run(async (name: string, options: CommonOptions) => {
      const context = await connect(options);
      const org = await context.client.orgs.create({ name });
      if (options.json) return void printJson(org);
      process.stdout.write(`Created ${org.id} (${org.name}).\n`);
    }),
  );

  const show = withCommon(orgs.command('show').description('Show the organization and its token policy'));
  show.action(
    run(async (options: CommonOptions) => {
      const context = await connect(options);
      const org = await context.client.orgs.get(await resolveOrg(context, options));
      if (options.json) return void printJson(org);
      printRecord([
        ['ID', org.id],
        ['Name', org.name],
        ['Max token lifetime (days)', org.policy?.maxTtlDays],
        ['Tokens without expiry', org.policy?.allowNoExpiry ? 'allowed' : 'not allowed'],
        ['Notices about unused tokens', org.policy?.notifyUnused ? 'on (after 90 days)' : 'off'],
      ]);
    }),
  );

  const use = withCommon(
    orgs.command('use <org>').description('Make an organization the default for later commands'),
    { org: false },
  );
  examples(use, ['latchkey orgs use org_…']);
  use.action(
    run(async (org: string, options: CommonOptions) => {
      const config = await readConfig();
      await writeConfig({ ...config, org });
      if (options.json) return void printJson({ org });
      process.stdout.write(`Default org is now ${org}.\n`);
    }),
  );
}
