import type { OutboxMail, OutboxPage } from '@latchkey/sdk';
import type { Command } from 'commander';
import {
  CliError,
  type CommonOptions,
  connect,
  examples,
  formatDate,
  type PageOptions,
  printJson,
  printRecord,
  printTable,
  readPages,
  run,
  withCommon,
  withPaging,
} from './context.ts';
import type { FlagTable } from './validation.ts';

const SMTP_NOTE = 'Mail goes to an SMTP server on this deployment; the outbox is empty.\n';

/** The API fields of the outbox commands, by flag. */
const OUTBOX_FLAGS: FlagTable = { limit: '--limit', cursor: '--cursor' };

export function registerOutboxCommands(program: Command): void {
  const outbox = program
    .command('outbox')
    .alias('mail')
    .description(
      'Mails of a server without SMTP: yours, and those about orgs you administer (needs `latchkey login --email`)',
    );

  const list = withCommon(
    withPaging(
      outbox.command('list', { isDefault: true }).alias('ls').description('List mails, newest first'),
    ),
    { org: false },
  );
  examples(list, ['latchkey outbox', 'latchkey outbox --limit 5', 'latchkey outbox list --all --json']);
  list.action(
    run(async (options: CommonOptions & PageOptions) => {
      const context = await connect(options);
      const { items, nextCursor, first } = await readPages<OutboxMail, OutboxPage>(options, (params) =>
        context.client.outbox.list(params),
      );
      if (options.json) return void printJson({ items, nextCursor, transport: first.transport });
      if (first.transport === 'smtp') process.stdout.write(SMTP_NOTE);
      if (items.length === 0) return void process.stdout.write('No mails.\n');
      printTable(
        ['ID', 'DATE', 'TO', 'KIND', 'ORG', 'SUBJECT'],
        items.map((m) => [m.id, formatDate(m.date, '—'), m.to, m.kind, m.orgId, m.subject]),
        { drop: [4, 0] },
      );
      if (nextCursor) process.stdout.write(`More: latchkey outbox list --cursor ${nextCursor}\n`);
    }, OUTBOX_FLAGS),
  );

  const show = withCommon(
    outbox.command('show <mailId>').description('Show one mail: its headers and plain-text body'),
    { org: false },
  );
  examples(show, ['latchkey outbox show 01J…', 'latchkey outbox show 01J… --json']);
  show.action(
    run(async (mailId: string, options: CommonOptions) => {
      const context = await connect(options);
      // The API lists mails only (newest first); follow the pages until the one asked for.
      let found: OutboxMail | undefined;
      for await (const mail of context.client.outbox.listAll({ limit: 100 })) {
        if (mail.id === mailId) {
          found = mail;
          break;
        }
      }
      if (!found) throw new CliError('NOT_FOUND', `No mail ${mailId} that you may read`);
      if (options.json) return void printJson(found);
      printRecord([
        ['ID', found.id],
        ['Date', formatDate(found.date, '—')],
        ['To', found.to],
        ['Subject', found.subject],
        ['Kind', found.kind],
        ['Org', found.orgId],
      ]);
      process.stdout.write(`\n${found.text.trimEnd()}\n`);
    }, OUTBOX_FLAGS),
  );
}
