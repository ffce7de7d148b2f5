import type { Command } from 'commander';
import { readConfig, writeConfig } from './config.ts';
import {
  CliError,
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
import { resolveOrgRef } from './resolve.ts';
import type { FlagTable } from './validation.ts';

/** The API fields of the org commands, by flag. */
const ORG_FLAGS: FlagTable = {
  org: '--org',
  name: '--name',
  'policy.maxTtlDays': '--max-ttl-days',
  'policy.allowNoExpiry': '--allow-no-expiry',
  'policy.notifyUnused': '--notify-unused',
};

interface UpdateOptions extends CommonOptions {
  name?: string;
  maxTtlDays?: string;
  allowNoExpiry?: boolean;
  notifyUnused?: boolean;
}

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

  const update = withCommon(
    orgs
      .command('update')
      .description('Rename the organization or change its token policy (needs a signed-in person)')
      .option('--name <name>', 'new name')
      .option('--max-ttl-days <days>', 'the longest lifetime a token may get, in days')
      .option('--allow-no-expiry', 'allow tokens that never expire')
      .option('--no-allow-no-expiry', 'every token must expire')
      .option('--notify-unused', 'e-mail owners about tokens unused for 90 days')
      .option('--no-notify-unused', 'do not'),
  );
  examples(update, [
    'latchkey orgs update --max-ttl-days 90',
    'latchkey orgs update --name "Acme" --no-allow-no-expiry',
  ]);
  update.action(
    run(async (options: UpdateOptions) => {
      const policy = {
        ...(options.maxTtlDays === undefined ? {} : { maxTtlDays: wholeNumber(options.maxTtlDays) }),
        ...(options.allowNoExpiry === undefined ? {} : { allowNoExpiry: options.allowNoExpiry }),
        ...(options.notifyUnused === undefined ? {} : { notifyUnused: options.notifyUnused }),
      };
      if (options.name === undefined && Object.keys(policy).length === 0) {
        throw new CliError(
          'VALIDATION_FAILED',
          'Nothing to change: give --name, --max-ttl-days, --[no-]allow-no-expiry or --[no-]notify-unused',
        );
      }
      const context = await connect(options);
      const org = await context.client.orgs.update(await resolveOrg(context, options), {
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(Object.keys(policy).length === 0 ? {} : { policy }),
      });
      if (options.json) return void printJson(org);
      process.stdout.write(`Updated ${org.name} (${org.id}).\n`);
      printRecord([
        ['Max token lifetime (days)', org.policy?.maxTtlDays],
        ['Tokens without expiry', org.policy?.allowNoExpiry ? 'allowed' : 'not allowed'],
        ['Notices about unused tokens', org.policy?.notifyUnused ? 'on (after 90 days)' : 'off'],
      ]);
    }, ORG_FLAGS),
  );

  const use = withCommon(
    orgs
      .command('use <org>')
      .description('Make an organization (its name or id) the default for later commands'),
    { org: false },
  );
  examples(use, ['latchkey orgs use org_…', 'latchkey orgs use "Testnet operators"']);
  use.action(
    run(async (ref: string, options: CommonOptions) => {
      const org = /^org_/.test(ref) ? ref : await resolveOrgRef(await connect(options), ref);
      const config = await readConfig();
      await writeConfig({ ...config, org });
      if (options.json) return void printJson({ org });
      process.stdout.write(`Default org is now ${org}.\n`);
    }),
  );
}

/** A flag's whole number (`--max-ttl-days 90`); the server judges the range. */
function wholeNumber(text: string): number {
  if (!/^\d{1,9}$/.test(text.trim())) {
    throw new CliError('VALIDATION_FAILED', `--max-ttl-days takes a whole number of days (got "${text}")`);
  }
  return Number(text.trim());
}
