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
import type { FlagTable } from './validation.ts';

/** The API fields of the resource commands, by flag. */
const RESOURCE_FLAGS: FlagTable = { type: '--type', name: '--name', org: '--org' };

export function registerResourceCommands(program: Command): void {
  const resources = program
    .command('resources')
    .description('Resources tokens can be limited to (a shard, a database)');

  const list = withCommon(
    resources
      .command('list', { isDefault: true })
      .alias('ls')
      .description('List resources')
      .option('--type <type>', 'only this type'),
  );
  examples(list, ['latchkey resources', 'latchkey resources list --type shard --json']);
  list.action(
    run(async (options: CommonOptions & { type?: string }) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const page = await context.client.resources.list(org, options.type ? { type: options.type } : {});
      if (options.json) return void printJson(page);
      printTable(
        ['ID', 'TYPE', 'NAME'],
        page.items.map((r) => [r.id, r.type, r.name]),
      );
    }, RESOURCE_FLAGS),
  );

  const add = withCommon(
    resources
      .command('add')
      .alias('create')
      .description('Add a resource')
      .requiredOption('--type <type>', 'its type, e.g. shard or database')
      .requiredOption('--name <name>', 'its name, e.g. testnet-1'),
  );
  examples(add, ['latchkey resources add --type shard --name testnet-1']);
  add.action(
    run(async (options: CommonOptions & { type: string; name: string }) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const resource = await context.client.resources.create(org, { type: options.type, name: options.name });
      if (options.json) return void printJson(resource);
      process.stdout.write(`Created ${resource.id} (${resource.type} ${resource.name}).\n`);
    }, RESOURCE_FLAGS),
  );
}
