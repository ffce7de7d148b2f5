import type { UpdateWebhookInput, Webhook, WebhookDelivery } from '@latchkey/sdk';
import type { Command } from 'commander';
import {
  CliError,
  type CommonOptions,
  collect,
  connect,
  examples,
  formatDate,
  type PageOptions,
  printJson,
  printRecord,
  printTable,
  readPages,
  resolveOrg,
  run,
  withCommon,
  withPaging,
} from './context.ts';
import type { FlagTable } from './validation.ts';

const EVENTS_HELP =
  'token.created, token.revoked, token.rotated, token.leaked, token.expiring, token.expired, ' +
  'member.added, member.invited, member.role_changed, member.removed, member.invite_cancelled, ' +
  'role.created, role.updated, role.deleted; groups token.*, member.*, role.*, *';

function describeHook(hook: Webhook): Array<[string, string | number | null | undefined]> {
  return [
    ['ID', hook.id],
    ['URL', hook.url],
    ['Events', hook.events.join(', ')],
    ['Description', hook.description || null],
    ['Enabled', hook.enabled ? 'yes' : `no${hook.disabledReason ? ` (${hook.disabledReason})` : ''}`],
    ['Created', `${formatDate(hook.createdAt)} by ${hook.createdBy}`],
    ['Updated', formatDate(hook.updatedAt)],
  ];
}

function deliveryRows(items: WebhookDelivery[]) {
  return items.map((d) => [
    d.id,
    d.event,
    d.status,
    d.attempts,
    d.responseCode ?? '',
    formatDate(d.createdAt),
    d.status === 'pending' ? `next ${formatDate(d.nextAttemptAt, '—')}` : formatDate(d.doneAt, '—'),
    d.lastError ?? '',
  ]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface AddOptions extends CommonOptions {
  event: string[];
  description?: string;
}

interface UpdateOptions extends CommonOptions {
  endpoint?: string;
  event: string[];
  description?: string;
  enable?: boolean;
  disable?: boolean;
}

/** The delivery log fits 100 columns by leaving out the attempt count, then the creation time. */
const DELIVERY_FIT = { drop: [3, 5], keep: [0] };

/** The API fields of the webhook commands, by flag (the endpoint is `add`'s argument, `update`'s --endpoint). */
const WEBHOOK_FLAGS: FlagTable = {
  url: 'the endpoint URL (--endpoint)',
  events: '--event',
  description: '--description',
  enabled: '--enable/--disable',
  whk: 'the webhook id',
  org: '--org',
};

export function registerWebhookCommands(program: Command): void {
  const webhooks = program
    .command('webhooks')
    .alias('webhook')
    .description(
      'Webhook endpoints: signed deliveries of token, member and role events (changes need `latchkey login --email`)',
    );

  const list = withCommon(
    webhooks.command('list', { isDefault: true }).alias('ls').description('List endpoints (audit:read)'),
  );
  examples(list, ['latchkey webhooks', 'latchkey webhooks list --json']);
  list.action(
    run(async (options: CommonOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const page = await context.client.webhooks.list(org);
      if (options.json) return void printJson(page);
      if (page.items.length === 0) return void process.stdout.write('No webhook endpoints.\n');
      printTable(
        ['ID', 'URL', 'EVENTS', 'ENABLED', 'DESCRIPTION'],
        page.items.map((h) => [h.id, h.url, h.events.join(', '), h.enabled ? 'yes' : 'no', h.description]),
        { drop: [4], keep: [0, 1] },
      );
    }, WEBHOOK_FLAGS),
  );

  // `--url` is every command's server address, so the endpoint's address is an argument (`--endpoint` in update).
  const add = withCommon(
    webhooks
      .command('add <endpointUrl>')
      .alias('create')
      .description(
        'Add an endpoint (deliveries are POSTed to endpointUrl); prints its signing secret, this once (a signed-in administrator)',
      )
      .option('--event <type>', `an event type or group (repeatable): ${EVENTS_HELP}`, collect, [])
      .option('--description <text>', 'what it is for'),
  );
  examples(add, [
    'latchkey webhooks add https://hooks.example.com/latchkey --event "token.*"',
    'latchkey webhooks add https://siem.example.com/in --event token.revoked --event member.removed --description SIEM',
    'latchkey webhooks add https://hooks.example.com/x --event "*" --json   # {…, "secret": "whsec_…"}',
  ]);
  add.action(
    run(async (endpointUrl: string, options: AddOptions) => {
      if (options.event.length === 0)
        throw new CliError('VALIDATION_FAILED', `Give at least one --event (${EVENTS_HELP})`);
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const created = await context.client.webhooks.create(org, {
        url: endpointUrl,
        events: options.event,
        ...(options.description ? { description: options.description } : {}),
      });
      if (options.json) return void printJson(created);
      const { secret, ...hook } = created;
      printRecord(describeHook(hook));
      process.stdout.write(
        `\nSigning secret (shown once, store it now; the receiver checks Latchkey-Signature with it):\n\n  ${secret}\n\n`,
      );
    }, WEBHOOK_FLAGS),
  );

  const show = withCommon(webhooks.command('show <webhookId>').description('Show one endpoint'));
  examples(show, ['latchkey webhooks show whk_…', 'latchkey webhooks show whk_… --json']);
  show.action(
    run(async (id: string, options: CommonOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const hook = await context.client.webhooks.get(org, id);
      if (options.json) return void printJson(hook);
      printRecord(describeHook(hook));
    }, WEBHOOK_FLAGS),
  );

  const update = withCommon(
    webhooks
      .command('update <webhookId>')
      .alias('edit')
      .description('Change the address, events or description; disable or enable (a signed-in administrator)')
      .option('--endpoint <url>', 'a new address')
      .option('--event <type>', 'the new event list (repeatable; replaces the old one)', collect, [])
      .option('--description <text>', 'a new description')
      .option('--enable', 'resume deliveries (e.g. after it was disabled for failing)')
      .option('--disable', 'stop deliveries'),
  );
  examples(update, [
    'latchkey webhooks update whk_… --enable',
    'latchkey webhooks update whk_… --event "token.*" --event "member.*"',
    'latchkey webhooks update whk_… --endpoint https://hooks.example.com/v2 --description "new receiver"',
  ]);
  update.action(
    run(async (id: string, options: UpdateOptions) => {
      if (options.enable && options.disable)
        throw new CliError('VALIDATION_FAILED', 'Give --enable or --disable, not both');
      const patch: UpdateWebhookInput = {
        ...(options.endpoint ? { url: options.endpoint } : {}),
        ...(options.event.length > 0 ? { events: options.event } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.enable ? { enabled: true } : {}),
        ...(options.disable ? { enabled: false } : {}),
      };
      if (Object.keys(patch).length === 0) {
        throw new CliError(
          'VALIDATION_FAILED',
          'Nothing to change: give --endpoint, --event, --description, --enable or --disable',
        );
      }
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const hook = await context.client.webhooks.update(org, id, patch);
      if (options.json) return void printJson(hook);
      printRecord(describeHook(hook));
    }, WEBHOOK_FLAGS),
  );

  const remove = withCommon(
    webhooks
      .command('remove <webhookId>')
      .alias('rm')
      .alias('delete')
      .description('Delete an endpoint; its pending deliveries are dropped (a signed-in administrator)'),
  );
  examples(remove, ['latchkey webhooks remove whk_…']);
  remove.action(
    run(async (id: string, options: CommonOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      await context.client.webhooks.delete(org, id);
      if (options.json) return void printJson({ id, deleted: true });
      process.stdout.write(`Deleted ${id}.\n`);
    }, WEBHOOK_FLAGS),
  );

  const ping = withCommon(
    webhooks
      .command('ping <webhookId>')
      .description('Queue a signed `ping` event to the endpoint (a signed-in administrator)')
      .option('--wait', 'wait (up to 20 s) for the outcome; exit 1 unless it was delivered'),
  );
  examples(ping, ['latchkey webhooks ping whk_…', 'latchkey webhooks ping whk_… --wait']);
  ping.action(
    run(async (id: string, options: CommonOptions & { wait?: boolean }) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      let delivery = await context.client.webhooks.ping(org, id);
      if (options.wait) {
        const deadline = Date.now() + 20_000;
        while (delivery.status === 'pending' && delivery.attempts === 0 && Date.now() < deadline) {
          await sleep(200);
          const page = await context.client.webhooks.deliveries(org, id, { limit: 20 });
          delivery = page.items.find((d) => d.id === delivery.id) ?? delivery;
        }
      }
      if (options.json) printJson(delivery);
      else if (!options.wait) {
        process.stdout.write(
          `Queued ping ${delivery.id}; see \`latchkey webhooks deliveries ${id}\` for the outcome.\n`,
        );
      } else
        printTable(
          ['DELIVERY', 'EVENT', 'STATUS', 'ATTEMPTS', 'CODE', 'CREATED', 'DONE / NEXT', 'ERROR'],
          deliveryRows([delivery]),
          DELIVERY_FIT,
        );
      return options.wait && delivery.status !== 'sent' ? 1 : 0;
    }, WEBHOOK_FLAGS),
  );

  const deliveries = withCommon(
    withPaging(
      webhooks
        .command('deliveries <webhookId>')
        .alias('log')
        .description('The delivery log of an endpoint, newest first (audit:read)'),
    ),
  );
  examples(deliveries, [
    'latchkey webhooks deliveries whk_…',
    'latchkey webhooks deliveries whk_… --limit 10 --json',
    'latchkey webhooks deliveries whk_… --all',
  ]);
  deliveries.action(
    run(async (id: string, options: CommonOptions & PageOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const { items, nextCursor } = await readPages<
        WebhookDelivery,
        { items: WebhookDelivery[]; nextCursor: string | null }
      >(options, (params) => context.client.webhooks.deliveries(org, id, params));
      if (options.json) return void printJson({ items, nextCursor });
      if (items.length === 0) return void process.stdout.write('No deliveries.\n');
      printTable(
        ['DELIVERY', 'EVENT', 'STATUS', 'ATTEMPTS', 'CODE', 'CREATED', 'DONE / NEXT', 'ERROR'],
        deliveryRows(items),
        DELIVERY_FIT,
      );
      if (nextCursor)
        process.stdout.write(`More: latchkey webhooks deliveries ${id} --cursor ${nextCursor}\n`);
    }, WEBHOOK_FLAGS),
  );
}
