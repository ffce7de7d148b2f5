import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type {
  CreateTokenInput,
  IssuedToken,
  ListTokensParams,
  RateLimit,
  TokenInfo,
  TokenKind,
  TokenStatus,
} from '../../packages/sdk/src/types.ts';
import {
  CliError,
  type CommonOptions,
  collect,
  connect,
  examples,
  formatDate,
  formatList,
  printJson,
  printRecord,
  printTable,
  resolveOrg,
  run,
  withCommon,
} from './context.ts';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `100/60s`, `100/1m`, `100/60` → `{limit: 100, windowSeconds: 60}`. */
export function parseRateLimit(text: string): RateLimit {
  const match = /^(\d+)\s*\/\s*(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match)
    throw new CliError('VALIDATION_FAILED', `--rate-limit takes LIMIT/WINDOW, like 100/60s (got "${text}")`);
  const limit = Number(match[1]);
  const windowSeconds = Number(match[2]) * (UNIT_SECONDS[match[3] || 's'] ?? 1);
  if (limit < 1 || windowSeconds < 1)
    throw new CliError('VALIDATION_FAILED', '--rate-limit needs positive numbers');
  return { limit, windowSeconds };
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The console's CSV: `client_id,token,name,permissions,resources,expires_at`. */
export function tokenCsv(issued: IssuedToken): string {
  const info = issued.tokenInfo;
  const permissions = info.access === 'full' ? 'full' : (info.permissions ?? []).join(' ');
  const resources = info.resourceIds === null ? 'all' : info.resourceIds.join(' ');
  const row = [issued.clientId, issued.token, info.name, permissions, resources, info.expiresAt ?? ''];
  return `client_id,token,name,permissions,resources,expires_at\n${row.map(csvCell).join(',')}\n`;
}

function permissionsOf(info: TokenInfo): string {
  if (info.access === 'full') return 'full access';
  if (info.roleId) return `role ${info.roleId}`;
  return formatList(info.permissions);
}

function describe(info: TokenInfo): Array<[string, string | number | null | undefined]> {
  return [
    ['ID (client id)', info.id],
    ['Name', info.name],
    ['Description', info.description],
    ['Hint', info.hint],
    ['Status', info.status],
    ['Kind', info.kind],
    ['Owner', info.ownerId],
    ['Permissions', permissionsOf(info)],
    ['Resources', formatList(info.resourceIds, 'all resources')],
    ['Allowed IPs', info.allowedIps === null ? 'any' : info.allowedIps.join(', ')],
    ['Rate limit', info.rateLimit ? `${info.rateLimit.limit} per ${info.rateLimit.windowSeconds}s` : 'none'],
    ['Expires', formatDate(info.expiresAt)],
    ['Created', `${formatDate(info.createdAt)}${info.createdBy ? ` by ${info.createdBy}` : ''}`],
    [
      'Last used',
      info.lastUsedAt ? `${formatDate(info.lastUsedAt)} from ${info.lastUsedIp ?? '?'}` : 'never',
    ],
    ['Uses', info.useCount],
    ...(info.status === 'revoked'
      ? ([
          ['Revoked', `${formatDate(info.revokedAt)}${info.revokedBy ? ` by ${info.revokedBy}` : ''}`],
          ['Reason', info.revokedReason],
        ] as Array<[string, string | null]>)
      : []),
  ];
}

async function revealValue(issued: IssuedToken, options: { json?: boolean; csv?: string }): Promise<void> {
  if (options.csv) await writeFile(options.csv, tokenCsv(issued), { mode: 0o600 });
  if (options.json) {
    printJson(issued);
    return;
  }
  printRecord(describe(issued.tokenInfo));
  if (options.csv) {
    process.stdout.write(`\nThe token value was written to ${options.csv}; it will not be shown again.\n`);
  } else {
    process.stdout.write(`\nToken (shown once, store it now):\n\n  ${issued.token}\n\n`);
  }
}

interface CreateOptions extends CommonOptions {
  name: string;
  description?: string;
  permission: string[];
  full?: boolean;
  role?: string;
  resource: string[];
  expiresIn?: string;
  expiresAt?: string;
  expiry: boolean;
  allowedIp: string[];
  rateLimit?: string;
  kind?: string;
  email?: boolean;
  csv?: string;
}

interface ListOptions extends CommonOptions {
  owner?: string;
  resource?: string;
  mine?: boolean;
  status?: string;
  kind?: string;
  limit?: string;
  cursor?: string;
  all?: boolean;
}

function tokenRows(items: TokenInfo[]) {
  return items.map((t) => [
    t.id,
    t.name,
    t.status,
    t.kind,
    permissionsOf(t),
    formatList(t.resourceIds),
    formatDate(t.expiresAt),
    formatDate(t.lastUsedAt),
    t.hint,
  ]);
}

export function registerTokenCommands(program: Command): void {
  const tokens = program.command('tokens').description('Create, list, show, revoke and rotate access tokens');
  examples(tokens, [
    'latchkey tokens create --name indexer --permission blocks:read --permission chunks:read --expires-in 30d',
    'latchkey tokens list --mine',
    'latchkey tokens revoke tok_…',
  ]);

  const create = withCommon(
    tokens
      .command('create')
      .description('Create a token; its value is printed once, by this command only')
      .requiredOption('--name <name>', 'a name, unique among your active tokens')
      .option('--description <text>', 'what the token is for')
      .option('--permission <key>', 'a permission (repeatable), e.g. blocks:read', collect, [])
      .option('--full', 'full access (every permission you hold)')
      .option('--role <roleId>', "take a role's permissions (read at each verification)")
      .option('--resource <resId>', 'limit to a resource (repeatable); default every resource', collect, [])
      .option('--expires-in <duration>', 'lifetime: seconds or 12h, 30d, 1y (default 30d)')
      .option('--expires-at <date>', 'expiry as an RFC 3339 date')
      .option('--no-expiry', 'never expire (where the org policy allows it)')
      .option('--allowed-ip <cidr>', 'only accept it from this address or CIDR (repeatable)', collect, [])
      .option('--rate-limit <limit/window>', 'its own request limit, e.g. 100/60s')
      .option('--kind <kind>', 'personal (default) or application')
      .option('--email', 'also e-mail the value to your own address')
      .option(
        '--csv <file>',
        'write client_id,token,… to this file (mode 0600) instead of printing the value',
      ),
  );
  examples(create, [
    'latchkey tokens create --name indexer --permission blocks:read --expires-in 30d',
    'latchkey tokens create --name deploy --full --expires-in 7d --csv deploy-token.csv',
    'latchkey tokens create --name shard-1 --role rol_readonly --resource res_… --allowed-ip 10.0.0.0/8 --rate-limit 100/60s',
    'latchkey tokens create --name ci --kind application --permission transactions:write --json',
  ]);
  create.action(
    run(async (options: CreateOptions) => {
      const chosen = [options.full, options.role, options.permission.length > 0].filter(Boolean).length;
      if (chosen !== 1) {
        throw new CliError('VALIDATION_FAILED', 'Give exactly one of --full, --role or --permission');
      }
      const lifetimes = [options.expiresIn, options.expiresAt, options.expiry === false].filter(
        Boolean,
      ).length;
      if (lifetimes > 1) {
        throw new CliError(
          'VALIDATION_FAILED',
          'Give at most one of --expires-in, --expires-at or --no-expiry',
        );
      }
      if (options.kind && options.kind !== 'personal' && options.kind !== 'application') {
        throw new CliError('VALIDATION_FAILED', '--kind is personal or application');
      }
      const input: CreateTokenInput = {
        name: options.name,
        access: options.full ? 'full' : 'granular',
        ...(options.description ? { description: options.description } : {}),
        ...(options.kind ? { kind: options.kind as TokenKind } : {}),
        ...(options.role ? { roleId: options.role } : {}),
        ...(options.permission.length > 0 ? { permissions: options.permission } : {}),
        ...(options.resource.length > 0 ? { resourceIds: options.resource } : {}),
        ...(options.allowedIp.length > 0 ? { allowedIps: options.allowedIp } : {}),
        ...(options.rateLimit ? { rateLimit: parseRateLimit(options.rateLimit) } : {}),
        ...(options.expiresIn
          ? { expiresIn: /^\d+$/.test(options.expiresIn) ? Number(options.expiresIn) : options.expiresIn }
          : {}),
        ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
        ...(options.expiry === false ? { expiresAt: null } : {}),
        ...(options.email ? { deliver: { email: true } } : {}),
      };
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const issued = await context.client.tokens.create(org, input);
      await revealValue(issued, options);
    }),
  );

  const list = withCommon(
    tokens
      .command('list')
      .alias('ls')
      .description('List tokens (values are never shown)')
      .option('--mine', 'only your own tokens (owner=me)')
      .option('--owner <userId>', 'only the tokens of this owner (or "me")')
      .option('--status <status>', 'active, expired or revoked')
      .option('--kind <kind>', 'personal or application')
      .option('--resource <resId>', 'only tokens that reach this resource')
      .option('--limit <n>', 'page size, 1–100')
      .option('--cursor <cursor>', 'continue from a previous page')
      .option('--all', 'follow every page'),
  );
  examples(list, [
    'latchkey tokens list',
    'latchkey tokens list --mine --status active',
    'latchkey tokens list --all --json',
  ]);
  list.action(
    run(async (options: ListOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const owner = options.mine ? 'me' : options.owner;
      const params: ListTokensParams = {
        ...(owner ? { owner } : {}),
        ...(options.status ? { status: options.status as TokenStatus } : {}),
        ...(options.kind ? { kind: options.kind as TokenKind } : {}),
        ...(options.resource ? { resource: options.resource } : {}),
        ...(options.limit ? { limit: Number(options.limit) } : {}),
      };
      let items: TokenInfo[];
      let nextCursor: string | null = null;
      if (options.all) {
        items = [];
        for await (const info of context.client.tokens.listAll(org, params)) items.push(info);
      } else {
        const page = await context.client.tokens.list(org, {
          ...params,
          ...(options.cursor ? { cursor: options.cursor } : {}),
        });
        items = page.items;
        nextCursor = page.nextCursor;
      }
      if (options.json) {
        printJson({ items, nextCursor });
        return;
      }
      if (items.length === 0) {
        process.stdout.write('No tokens.\n');
        return;
      }
      printTable(
        ['ID', 'NAME', 'STATUS', 'KIND', 'PERMISSIONS', 'RESOURCES', 'EXPIRES', 'LAST USED', 'HINT'],
        tokenRows(items),
      );
      if (nextCursor) process.stdout.write(`More: latchkey tokens list --cursor ${nextCursor}\n`);
    }),
  );

  const show = withCommon(tokens.command('show <tokenId>').description('Show one token (never its value)'));
  examples(show, ['latchkey tokens show tok_…']);
  show.action(
    run(async (tokenId: string, options: CommonOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const info = await context.client.tokens.get(org, tokenId);
      if (options.json) printJson(info);
      else printRecord(describe(info));
    }),
  );

  const update = withCommon(
    tokens
      .command('update <tokenId>')
      .alias('rename')
      .description('Rename a token or edit its description')
      .option('--name <name>', 'new name')
      .option('--description <text>', 'new description'),
  );
  examples(update, ['latchkey tokens update tok_… --name indexer-2']);
  update.action(
    run(async (tokenId: string, options: CommonOptions & { name?: string; description?: string }) => {
      if (options.name === undefined && options.description === undefined) {
        throw new CliError('VALIDATION_FAILED', 'Give --name or --description');
      }
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const info = await context.client.tokens.update(org, tokenId, {
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.description === undefined ? {} : { description: options.description }),
      });
      if (options.json) printJson(info);
      else printRecord(describe(info));
    }),
  );

  const revoke = withCommon(
    tokens
      .command('revoke <tokenId>')
      .description('Revoke a token; it stops working at the next verification')
      .option('--reason <text>', 'why (kept in the audit log)'),
  );
  examples(revoke, ['latchkey tokens revoke tok_…', 'latchkey tokens revoke tok_… --reason "laptop lost"']);
  revoke.action(
    run(async (tokenId: string, options: CommonOptions & { reason?: string }) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const info = await context.client.tokens.revoke(
        org,
        tokenId,
        options.reason ? { reason: options.reason } : {},
      );
      if (options.json) printJson(info);
      else process.stdout.write(`Revoked ${info.id} (${info.name}).\n`);
    }),
  );

  const rotate = withCommon(
    tokens
      .command('rotate <tokenId>')
      .description('Issue a new value for the same token id; the new value is printed once')
      .option('--grace-period <duration>', 'keep the old value working this long, e.g. 1h (at most 7d)')
      .option(
        '--csv <file>',
        'write client_id,token,… to this file (mode 0600) instead of printing the value',
      ),
  );
  examples(rotate, ['latchkey tokens rotate tok_…', 'latchkey tokens rotate tok_… --grace-period 1h --json']);
  rotate.action(
    run(async (tokenId: string, options: CommonOptions & { gracePeriod?: string; csv?: string }) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const issued = await context.client.tokens.rotate(
        org,
        tokenId,
        options.gracePeriod ? { gracePeriod: options.gracePeriod } : {},
      );
      await revealValue(issued, options);
    }),
  );
}
