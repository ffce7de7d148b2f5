import { writeFile } from 'node:fs/promises';
import type {
  CreateTokenInput,
  IssuedToken,
  ListTokensParams,
  RateLimit,
  TokenInfo,
  TokenKind,
  TokenStatus,
  UpdateTokenInput,
} from '@latchkey/sdk';
import { tokenCsv } from '@latchkey/sdk/rules';
import type { Command } from 'commander';
import { parseDurationSeconds } from '../../server/tokens/durations.ts';
import {
  CliError,
  type CommonOptions,
  type Context,
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
import { deliveryLine } from './mail.ts';
import {
  resolveResources,
  resolveRole,
  resolveToken,
  resolveUser,
  resourceNames,
  roleNames,
  userNames,
} from './resolve.ts';
import type { FlagTable } from './validation.ts';

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

/** Names of roles, people, tokens and resources, to show instead of ids; empty where the caller may not read them. */
interface Names {
  roles: Map<string, string>;
  users: Map<string, string>;
  /** A token that acted (created or revoked another): `the token cli-admin of Ada <ada@…>`. */
  tokens: Map<string, string>;
  resources: Map<string, string>;
}

async function namesFor(context: Context, org: string, items: TokenInfo[]): Promise<Names> {
  const actors = new Set(
    items.flatMap((t) => [t.createdBy, t.revokedBy]).filter((id): id is string => !!id && /^tok_/.test(id)),
  );
  const [roles, users, resources, actorTokens] = await Promise.all([
    items.some((t) => t.roleId) ? roleNames(context, org) : new Map<string, string>(),
    items.some((t) => t.ownerId || t.createdBy || t.revokedBy)
      ? userNames(context, org)
      : new Map<string, string>(),
    items.some((t) => t.resourceIds && t.resourceIds.length > 0)
      ? resourceNames(context, org)
      : new Map<string, string>(),
    Promise.all(
      [...actors].map(
        (id) => items.find((t) => t.id === id) ?? context.client.tokens.get(org, id).catch(() => null),
      ),
    ),
  ]);
  const tokens = new Map<string, string>();
  for (const t of actorTokens) {
    if (!t) continue;
    const owner = t.ownerId ? (users.get(t.ownerId) ?? t.ownerId) : null;
    tokens.set(t.id, `the token ${t.name}${owner ? ` of ${owner}` : ''}`);
  }
  return { roles, users, tokens, resources };
}

const NO_NAMES: Names = { roles: new Map(), users: new Map(), tokens: new Map(), resources: new Map() };

const who = (names: Names, id: string | null) =>
  id ? (names.users.get(id) ?? names.tokens.get(id) ?? id) : null;

const resourcesOf = (info: TokenInfo, names: Names, all: string) =>
  formatList(
    info.resourceIds?.map((id) => names.resources.get(id) ?? id),
    all,
  );

function permissionsOf(info: TokenInfo, names: Names = NO_NAMES): string {
  if (info.access === 'full') return 'full access';
  if (info.roleId) return `role ${names.roles.get(info.roleId) ?? info.roleId}`;
  return formatList(info.permissions);
}

/** When the value replaced by a rotation stops working, while it still works. */
function previousValueNote(info: TokenInfo, now = Date.now()): string | null {
  const until = info.previousValueExpiresAt;
  if (!until || info.status !== 'active' || Date.parse(until) <= now) return null;
  return `the previous value works until ${formatDate(until)}`;
}

/** The token's state in words: `active`, `expired on …`, `revoked on … by … (why)`. */
export function lifecycleOf(info: TokenInfo, names: Names = NO_NAMES): string {
  if (info.status === 'revoked') {
    const by = who(names, info.revokedBy);
    const why = info.revokedReason ? ` (${info.revokedReason})` : '';
    return `revoked on ${formatDate(info.revokedAt, '?')}${by ? ` by ${by}` : ''}${why}`;
  }
  if (info.status === 'expired') return `expired on ${formatDate(info.expiresAt, '?')}`;
  const previous = previousValueNote(info);
  return previous ? `active; ${previous}` : 'active';
}

function describe(
  info: TokenInfo,
  names: Names = NO_NAMES,
): Array<[string, string | number | null | undefined]> {
  return [
    ['ID (client id)', info.id],
    ['Name', info.name],
    ['Description', info.description],
    ['Hint', info.hint],
    ['Status', lifecycleOf(info, names)],
    ['Kind', info.kind],
    ['Owner', who(names, info.ownerId) ?? (info.kind === 'application' ? 'the organization' : null)],
    ['Permissions', permissionsOf(info, names)],
    ['Resources', resourcesOf(info, names, 'all resources')],
    ['Allowed IPs', info.allowedIps === null ? 'any' : info.allowedIps.join(', ')],
    ['Rate limit', info.rateLimit ? `${info.rateLimit.limit} per ${info.rateLimit.windowSeconds}s` : 'none'],
    // A revoked token does not expire any more: its expiry is history, said so.
    [
      info.status === 'revoked' ? 'Would have expired' : info.status === 'expired' ? 'Expired' : 'Expires',
      formatDate(info.expiresAt),
    ],
    ['Created', `${formatDate(info.createdAt)}${info.createdBy ? ` by ${who(names, info.createdBy)}` : ''}`],
    [
      'Last used',
      info.lastUsedAt ? `${formatDate(info.lastUsedAt)} from ${info.lastUsedIp ?? '?'}` : 'never',
    ],
    ['Uses', info.useCount],
    ...(info.status === 'revoked'
      ? ([
          [
            'Revoked',
            `${formatDate(info.revokedAt)}${info.revokedBy ? ` by ${who(names, info.revokedBy)}` : ''}`,
          ],
          ['Reason', info.revokedReason],
        ] as Array<[string, string | null]>)
      : []),
  ];
}

async function revealValue(
  issued: IssuedToken,
  options: { json?: boolean; csv?: string },
  names: Names = NO_NAMES,
): Promise<void> {
  if (options.csv) await writeFile(options.csv, tokenCsv(issued), { mode: 0o600 });
  if (options.json) {
    printJson(issued);
    return;
  }
  printRecord(describe(issued.tokenInfo, names));
  if (options.csv) {
    process.stdout.write(`\nThe token value was written to ${options.csv}; it will not be shown again.\n`);
  } else {
    process.stdout.write(`\nToken (shown once, store it now):\n\n  ${issued.token}\n\n`);
  }
  const mail = deliveryLine(issued, 'the token value', 'you');
  if (mail) process.stdout.write(`${mail}\n`);
  if (issued.link) {
    process.stdout.write(
      `One-time link (opens once, until ${formatDate(issued.link.expiresAt)}):\n\n  ${issued.link.url}\n\n`,
    );
  }
}

/** The API fields of the token commands, by the flag or argument a person gives them. */
const TOKEN_FLAGS: FlagTable = {
  tok: 'TOKEN',
  org: '--org',
  name: '--name',
  description: '--description',
  kind: '--kind',
  access: '--full',
  permissions: '--permission',
  roleId: '--role',
  resourceIds: '--resource',
  resource: '--resource',
  allowedIps: '--allowed-ip',
  rateLimit: '--rate-limit',
  expiresAt: '--expires-at',
  expiresIn: '--expires-in',
  deliver: '--email',
  gracePeriod: '--grace-period',
  maxGrace: '--max-grace',
  reason: '--reason',
  owner: '--owner',
  status: '--status',
  limit: '--limit',
  cursor: '--cursor',
};

/** `tokens edit` names some of them in the plural: each flag takes the whole list. */
const EDIT_FLAGS: FlagTable = {
  ...TOKEN_FLAGS,
  permissions: '--permissions',
  resourceIds: '--resources',
  allowedIps: '--allowed-ips',
  expiresAt: '--expires-at/--expires-in',
};

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
  link?: string | boolean;
  csv?: string;
}

interface ListOptions extends CommonOptions {
  owner?: string;
  resource?: string;
  mine?: boolean;
  status?: string;
  kind?: string;
  search?: string;
  limit?: string;
  cursor?: string;
  all?: boolean;
}

function tokenRows(items: TokenInfo[], names: Names) {
  return items.map((t) => [
    t.id,
    t.name,
    lifecycleOf(t, names),
    permissionsOf(t, names),
    resourcesOf(t, names, 'all'),
    t.status === 'active' ? formatDate(t.expiresAt) : '—',
    formatDate(t.lastUsedAt),
    t.kind,
    t.hint,
  ]);
}

/** Comma- or space-separated values of a flag that takes a list (`--permissions a,b`). */
function listOf(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** `--expires-in 7d` as the date it means from now (PATCH takes a date: only an earlier one). */
function expiryFromNow(text: string): string {
  const seconds = parseDurationSeconds(/^\d+$/.test(text) ? Number(text) : text);
  if (seconds === null) {
    throw new CliError('VALIDATION_FAILED', `--expires-in takes seconds or 12h, 30d, 1y (got "${text}")`);
  }
  return new Date(Date.now() + seconds * 1000).toISOString();
}

interface EditOptions extends CommonOptions {
  name?: string;
  description?: string;
  permissions?: string;
  full?: boolean;
  role?: string;
  resources?: string;
  allowedIps?: string;
  rateLimit?: string;
  expiresAt?: string;
  expiresIn?: string;
}

/** The PATCH body of `tokens edit`: only what was asked to change, with names resolved to ids. */
async function editBody(context: Context, org: string, options: EditOptions): Promise<UpdateTokenInput> {
  const grants = [options.full, options.role !== undefined, options.permissions !== undefined].filter(
    Boolean,
  );
  if (grants.length > 1) {
    throw new CliError('VALIDATION_FAILED', 'Give at most one of --full, --role or --permissions');
  }
  if (options.expiresAt !== undefined && options.expiresIn !== undefined) {
    throw new CliError('VALIDATION_FAILED', 'Give --expires-at or --expires-in, not both');
  }
  const body: UpdateTokenInput = {};
  if (options.name !== undefined) body.name = options.name;
  if (options.description !== undefined) body.description = options.description;
  if (options.full) body.access = 'full';
  if (options.permissions !== undefined) {
    const permissions = listOf(options.permissions);
    if (permissions.length === 0)
      throw new CliError('VALIDATION_FAILED', '--permissions needs at least one permission');
    body.access = 'granular';
    body.permissions = permissions;
  }
  if (options.role !== undefined) {
    body.access = 'granular';
    body.roleId = await resolveRole(context, org, options.role);
  }
  if (options.resources !== undefined) {
    const refs = listOf(options.resources);
    if (refs.length === 0) throw new CliError('VALIDATION_FAILED', '--resources takes resources, or "all"');
    body.resourceIds =
      refs.length === 1 && refs[0] === 'all' ? null : await resolveResources(context, org, refs);
  }
  if (options.allowedIps !== undefined) {
    const ips = listOf(options.allowedIps);
    if (ips.length === 0)
      throw new CliError('VALIDATION_FAILED', '--allowed-ips takes addresses or CIDRs, or "any"');
    body.allowedIps = ips.length === 1 && ips[0] === 'any' ? null : ips;
  }
  if (options.rateLimit !== undefined) {
    body.rateLimit = options.rateLimit.trim() === 'none' ? null : parseRateLimit(options.rateLimit);
  }
  if (options.expiresAt !== undefined) body.expiresAt = options.expiresAt;
  if (options.expiresIn !== undefined) body.expiresAt = expiryFromNow(options.expiresIn);
  if (Object.keys(body).length === 0) {
    throw new CliError(
      'VALIDATION_FAILED',
      'Nothing to change: give --name, --description, --permissions, --full, --role, --resources, --allowed-ips, --rate-limit, --expires-at or --expires-in',
    );
  }
  return body;
}

/** What an edit changed, by the flags' words: `permissions, resources`. */
function changedFields(before: TokenInfo, after: TokenInfo): string[] {
  const fields: Array<[string, keyof TokenInfo]> = [
    ['name', 'name'],
    ['description', 'description'],
    ['access', 'access'],
    ['permissions', 'permissions'],
    ['role', 'roleId'],
    ['resources', 'resourceIds'],
    ['allowed IPs', 'allowedIps'],
    ['rate limit', 'rateLimit'],
    ['expiry', 'expiresAt'],
  ];
  return fields
    .filter(([, key]) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map(([label]) => label);
}

export function registerTokenCommands(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('Create, list, show, edit, revoke and rotate access tokens (by id or by name)');
  examples(tokens, [
    'latchkey tokens create --name indexer --permission blocks:read --permission chunks:read --expires-in 30d',
    'latchkey tokens list --mine',
    'latchkey tokens edit indexer --resources shard/testnet-1 --rate-limit 100/60s',
    'latchkey tokens revoke indexer --reason "laptop lost"',
  ]);

  const create = withCommon(
    tokens
      .command('create')
      .description('Create a token; its value is printed once, by this command only')
      .requiredOption('--name <name>', 'a name, unique among your active tokens')
      .option('--description <text>', 'what the token is for')
      .option('--permission <key>', 'a permission (repeatable), e.g. blocks:read', collect, [])
      .option('--full', 'full access (every permission you hold)')
      .option('--role <role>', "take a role's permissions (read at each verification): its name or id")
      .option(
        '--resource <resource>',
        'limit to a resource (repeatable): type/name, name or id; default every resource',
        collect,
        [],
      )
      .option('--expires-in <duration>', 'lifetime: seconds or 12h, 30d, 1y (default 30d)')
      .option('--expires-at <date>', 'expiry as an RFC 3339 date')
      .option('--no-expiry', 'never expire (where the org policy allows it)')
      .option('--allowed-ip <cidr>', 'only accept it from this address or CIDR (repeatable)', collect, [])
      .option('--rate-limit <limit/window>', 'its own request limit, e.g. 100/60s')
      .option('--kind <kind>', 'personal (default) or application')
      .option('--email', 'also e-mail the value to your own address')
      .option('--link [ttl]', 'also make a one-time reveal link for the value, e.g. 15m (the default)')
      .option(
        '--csv <file>',
        'write client_id,token,… to this file (mode 0600) instead of printing the value',
      ),
  );
  examples(create, [
    'latchkey tokens create --name indexer --permission blocks:read --expires-in 30d',
    'latchkey tokens create --name deploy --full --expires-in 7d --csv deploy-token.csv',
    'latchkey tokens create --name shard-1 --role "Read Only User" --resource shard/testnet-1 --allowed-ip 10.0.0.0/8 --rate-limit 100/60s',
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
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const roleId = options.role ? await resolveRole(context, org, options.role) : undefined;
      const resourceIds =
        options.resource.length > 0 ? await resolveResources(context, org, options.resource) : undefined;
      const input: CreateTokenInput = {
        name: options.name,
        access: options.full ? 'full' : 'granular',
        ...(options.description ? { description: options.description } : {}),
        ...(options.kind ? { kind: options.kind as TokenKind } : {}),
        ...(roleId ? { roleId } : {}),
        ...(options.permission.length > 0 ? { permissions: options.permission } : {}),
        ...(resourceIds ? { resourceIds } : {}),
        ...(options.allowedIp.length > 0 ? { allowedIps: options.allowedIp } : {}),
        ...(options.rateLimit ? { rateLimit: parseRateLimit(options.rateLimit) } : {}),
        ...(options.expiresIn
          ? { expiresIn: /^\d+$/.test(options.expiresIn) ? Number(options.expiresIn) : options.expiresIn }
          : {}),
        ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
        ...(options.expiry === false ? { expiresAt: null } : {}),
        ...(options.email || options.link
          ? {
              deliver: {
                ...(options.email ? { email: true } : {}),
                ...(options.link
                  ? { link: typeof options.link === 'string' ? { ttl: options.link } : {} }
                  : {}),
              },
            }
          : {}),
      };
      const issued = await context.client.tokens.create(org, input);
      const names = options.json ? NO_NAMES : await namesFor(context, org, [issued.tokenInfo]);
      await revealValue(issued, options, names);
    }, TOKEN_FLAGS),
  );

  const list = withCommon(
    tokens
      .command('list')
      .alias('ls')
      .description('List tokens (values are never shown), with where each is in its life')
      .option('--mine', 'only your own tokens (owner=me)')
      .option('--owner <user>', 'only the tokens of this owner: "me", an e-mail address or a user id')
      .option('--status <status>', 'active, expired or revoked')
      .option('--kind <kind>', 'personal or application')
      .option('--resource <resource>', 'only tokens that reach this resource: type/name, name or id')
      .option('--search <text>', 'part of the name or hint, or the token id')
      .option('--limit <n>', 'page size, 1–100')
      .option('--cursor <cursor>', 'continue from a previous page')
      .option('--all', 'follow every page'),
  );
  examples(list, [
    'latchkey tokens list',
    'latchkey tokens list --mine --status active',
    'latchkey tokens list --owner bo@example.com --resource shard/testnet-1',
    'latchkey tokens list --all --json',
  ]);
  list.action(
    run(async (options: ListOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const ownerRef = options.mine ? 'me' : options.owner;
      const owner = ownerRef ? await resolveUser(context, org, ownerRef) : undefined;
      const resource = options.resource
        ? (await resolveResources(context, org, [options.resource]))[0]
        : undefined;
      const params: ListTokensParams & { q?: string } = {
        ...(owner ? { owner } : {}),
        ...(options.status ? { status: options.status as TokenStatus } : {}),
        ...(options.kind ? { kind: options.kind as TokenKind } : {}),
        ...(resource ? { resource } : {}),
        ...(options.search ? { q: options.search } : {}),
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
      const names = await namesFor(context, org, items);
      printTable(
        ['ID', 'NAME', 'STATUS', 'PERMISSIONS', 'RESOURCES', 'EXPIRES', 'LAST USED', 'KIND', 'HINT'],
        tokenRows(items, names),
        { drop: [8, 7, 6, 4], keep: [0] },
      );
      if (nextCursor) process.stdout.write(`More: latchkey tokens list --cursor ${nextCursor}\n`);
    }, TOKEN_FLAGS),
  );

  const show = withCommon(
    tokens.command('show <token>').description('Show one token, by name or id (never its value)'),
  );
  examples(show, ['latchkey tokens show indexer', 'latchkey tokens show tok_… --json']);
  show.action(
    run(async (ref: string, options: CommonOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const { id } = await resolveToken(context, org, ref);
      const info = await context.client.tokens.get(org, id);
      if (options.json) return void printJson(info);
      const [names, usage, use] = await Promise.all([
        namesFor(context, org, [info]),
        context.client.tokens.usage(org, id, { days: 30 }).catch(() => null),
        context.client.tokens.use(org, id).catch(() => null),
      ]);
      printRecord([
        ...describe(info, names),
        ...(usage
          ? ([
              ['Verifications (30 days)', `${usage.totals.valid} valid, ${usage.totals.refused} refused`],
            ] as Array<[string, string]>)
          : []),
        ...(use ? ([['Use', use.summary]] as Array<[string, string]>) : []),
      ]);
      if (use?.narrow) {
        process.stdout.write(
          `\nNarrow it to what it used: latchkey tokens narrow ${info.name === ref ? ref : id}\n`,
        );
      }
    }, TOKEN_FLAGS),
  );

  const narrow = withCommon(
    tokens
      .command('narrow <token>')
      .description(
        'Narrow a token to the permissions and resources its verifications used in the last 90 days (an edit)',
      ),
  );
  examples(narrow, ['latchkey tokens narrow indexer', 'latchkey tokens narrow tok_… --json']);
  narrow.action(
    run(async (ref: string, options: CommonOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const { id } = await resolveToken(context, org, ref);
      const use = await context.client.tokens.use(org, id);
      if (use.narrow === null) {
        if (options.json) return void printJson({ narrowed: false, use });
        process.stdout.write(`Nothing to narrow: ${use.summary}.\n`);
        return;
      }
      const info = await context.client.tokens.update(org, id, use.narrow);
      if (options.json) return void printJson({ narrowed: true, use, token: info });
      process.stdout.write(`Narrowed (${use.summary}).\n\n`);
      printRecord(describe(info, await namesFor(context, org, [info])));
    }, TOKEN_FLAGS),
  );

  const lookup = withCommon(
    tokens
      .command('lookup [value]')
      .description(
        'Which token a value belongs to (for a value found in a log); "-" or nothing reads it from standard input, so it stays out of the process list',
      ),
  );
  examples(lookup, [
    'printf %s "$VALUE" | latchkey tokens lookup',
    'latchkey tokens lookup - --json < value.txt',
  ]);
  lookup.action(
    run(
      async (given: string | undefined, options: CommonOptions) => {
        let value = given ?? '-';
        if (value === '-') {
          value = '';
          process.stdin.setEncoding('utf8');
          for await (const chunk of process.stdin) value += chunk;
        }
        value = value.trim();
        if (!value)
          throw new CliError('VALIDATION_FAILED', 'Give the value on standard input (or as the argument)');
        const context = await connect(options);
        const org = await resolveOrg(context, options);
        const found = await context.client.tokens.lookup(org, value);
        if (options.json) return void printJson(found);
        process.stdout.write(
          found.match === 'current'
            ? `This is the current value of ${found.token.name} (${found.token.id}).\n`
            : `This is the previous value of ${found.token.name} (${found.token.id}), replaced by a rotation; it ${
                found.valueExpiresAt && Date.parse(found.valueExpiresAt) > Date.now() ? 'works' : 'worked'
              } until ${formatDate(found.valueExpiresAt)}.\n`,
        );
        printRecord(describe(found.token, await namesFor(context, org, [found.token])));
      },
      { ...TOKEN_FLAGS, value: 'VALUE' },
    ),
  );

  const edit = withCommon(
    tokens
      .command('edit <token>')
      .alias('update')
      .alias('rename')
      .description(
        'Change a token, by name or id: its name and description, and narrow (or, within what you hold, widen) what it may do',
      )
      .option('--name <name>', 'new name')
      .option('--description <text>', 'new description')
      .option(
        '--permissions <keys>',
        'replace its permissions (comma-separated), e.g. blocks:read,chunks:read',
      )
      .option('--full', 'full access (every permission you hold)')
      .option('--role <role>', "take a role's permissions instead: its name or id")
      .option(
        '--resources <resources>',
        'replace its resources (comma-separated type/name, name or id), or "all"',
      )
      .option('--allowed-ips <cidrs>', 'replace its address list (comma-separated), or "any"')
      .option('--rate-limit <limit/window>', 'its own request limit, e.g. 100/60s, or "none"')
      .option('--expires-at <date>', 'an earlier expiry, as an RFC 3339 date')
      .option('--expires-in <duration>', 'an earlier expiry, counted from now: 12h, 7d …'),
  );
  examples(edit, [
    'latchkey tokens edit indexer --name indexer-2',
    'latchkey tokens edit indexer --permissions blocks:read --resources shard/testnet-1',
    'latchkey tokens edit indexer --allowed-ips 10.0.0.0/8,192.0.2.7 --rate-limit 100/60s',
    'latchkey tokens edit tok_… --expires-in 7d',
  ]);
  edit.action(
    run(async (ref: string, options: EditOptions) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const resolved = await resolveToken(context, org, ref);
      const body = await editBody(context, org, options);
      const before = resolved.info ?? (await context.client.tokens.get(org, resolved.id).catch(() => null));
      const info = await context.client.tokens.update(org, resolved.id, body);
      if (options.json) return void printJson(info);
      const changed = before ? changedFields(before, info) : [];
      process.stdout.write(
        changed.length > 0
          ? `Changed ${changed.join(', ')} of ${info.name} (${info.id}).\n`
          : `Nothing changed: ${info.name} (${info.id}) already was so.\n`,
      );
      printRecord(describe(info, await namesFor(context, org, [info])));
    }, EDIT_FLAGS),
  );

  const revoke = withCommon(
    tokens
      .command('revoke <token>')
      .description('Revoke a token, by name or id; it stops working at the next verification')
      .option('--reason <text>', 'why, 1–200 characters (kept with the token and in the audit log)'),
  );
  examples(revoke, ['latchkey tokens revoke indexer', 'latchkey tokens revoke tok_… --reason "laptop lost"']);
  revoke.action(
    run(async (ref: string, options: CommonOptions & { reason?: string }) => {
      const context = await connect(options);
      const org = await resolveOrg(context, options);
      const resolved = await resolveToken(context, org, ref);
      // Already revoked: say when, by whom and why, once; revoking again changes nothing.
      const before = resolved.info ?? (await context.client.tokens.get(org, resolved.id).catch(() => null));
      if (before?.status === 'revoked') {
        if (options.json) return void printJson(before);
        const names = await namesFor(context, org, [before]);
        return void process.stdout.write(
          `${before.name} (${before.id}) was already ${lifecycleOf(before, names)}; nothing changed.\n`,
        );
      }
      const info = await context.client.tokens.revoke(
        org,
        resolved.id,
        options.reason !== undefined ? { reason: options.reason } : {},
      );
      if (options.json) return void printJson(info);
      const names = await namesFor(context, org, [info]);
      process.stdout.write(`Revoked ${info.name} (${info.id}): ${lifecycleOf(info, names)}.\n`);
    }, TOKEN_FLAGS),
  );

  const rotate = withCommon(
    tokens
      .command('rotate <token>')
      .description('Issue a new value for the same token (by name or id); the new value is printed once')
      .option(
        '--grace-period <duration>',
        'keep the old value working this long, e.g. 1h (at most 7d), or until-used: until the new value is first verified',
      )
      .option(
        '--max-grace <duration>',
        'with --grace-period until-used: the longest the old value works (default 7d)',
      )
      .option('--link [ttl]', 'also make a one-time reveal link for the new value, e.g. 15m (the default)')
      .option(
        '--csv <file>',
        'write client_id,token,… to this file (mode 0600) instead of printing the value',
      ),
  );
  examples(rotate, [
    'latchkey tokens rotate indexer',
    'latchkey tokens rotate tok_… --grace-period 1h --json',
    'latchkey tokens rotate deploy --grace-period until-used --max-grace 2d --link 30m',
  ]);
  rotate.action(
    run(
      async (
        ref: string,
        options: CommonOptions & {
          gracePeriod?: string;
          maxGrace?: string;
          link?: string | boolean;
          csv?: string;
        },
      ) => {
        const context = await connect(options);
        const org = await resolveOrg(context, options);
        const { id } = await resolveToken(context, org, ref);
        const issued = await context.client.tokens.rotate(org, id, {
          ...(options.gracePeriod ? { gracePeriod: options.gracePeriod } : {}),
          ...(options.maxGrace ? { maxGrace: options.maxGrace } : {}),
          ...(options.link
            ? { deliver: { link: typeof options.link === 'string' ? { ttl: options.link } : {} } }
            : {}),
        });
        const names = options.json ? NO_NAMES : await namesFor(context, org, [issued.tokenInfo]);
        await revealValue(issued, options, names);
      },
      TOKEN_FLAGS,
    ),
  );
}
