import Table from 'cli-table3';
import { Command } from 'commander';
import { Latchkey } from '../../packages/sdk/src/client.ts';
import { LatchkeyError } from '../../packages/sdk/src/errors.ts';
import { type CliConfig, readConfig } from './config.ts';

/** Options every command takes. */
export interface CommonOptions {
  json?: boolean;
  org?: string;
  url?: string;
}

/** A failure of the CLI itself (a missing option, no login), printed like an API error. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Adds `--json`, `--url` and (unless told otherwise) `--org` to a command. */
export function withCommon(command: Command, options: { org?: boolean } = {}): Command {
  command.option('--json', 'print JSON instead of tables');
  command.option('--url <url>', 'Latchkey server URL (default: LATCHKEY_URL, then the login config)');
  if (options.org !== false)
    command.option('--org <org>', 'organization id (default: the one chosen at login)');
  return command;
}

/** Appends an "Examples:" section to a command's help. */
export function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`);
}

export interface Context {
  client: Latchkey;
  config: CliConfig;
  url: string;
}

/**
 * The server URL and credential: flags, then `LATCHKEY_URL`/`LATCHKEY_TOKEN`, then the login
 * config (its token, or its console session from `login --email`).
 */
export async function settings(
  options: CommonOptions,
): Promise<{ config: CliConfig; url?: string; token?: string; session?: string }> {
  const config = await readConfig();
  const url = options.url || process.env.LATCHKEY_URL || config.url;
  const token = process.env.LATCHKEY_TOKEN || config.token;
  const session = process.env.LATCHKEY_TOKEN ? undefined : config.session;
  return {
    config,
    ...(url ? { url } : {}),
    ...(token ? { token } : {}),
    ...(!token && session ? { session } : {}),
  };
}

/** A client for the configured server; `credential: false` for calls that need none (verify). */
export async function connect(options: CommonOptions, credential = true): Promise<Context> {
  const { config, url, token, session } = await settings(options);
  if (!url) {
    throw new CliError('NOT_LOGGED_IN', 'No server URL: run `latchkey login`, or set LATCHKEY_URL or --url');
  }
  if (credential && !token && !session) {
    throw new CliError(
      'NOT_LOGGED_IN',
      'No credential: run `latchkey login` (a token) or `latchkey login --email` (a session), or set LATCHKEY_TOKEN',
    );
  }
  const auth = !credential ? {} : token ? { token } : session ? { cookie: session } : {};
  return { client: new Latchkey({ baseUrl: url, ...auth }), config, url };
}

/** Lists with `--limit`, `--cursor` and `--all` (follow every page). */
export interface PageOptions {
  limit?: string;
  cursor?: string;
  all?: boolean;
}

/** Adds `--limit`, `--cursor` and `--all` to a list command. */
export function withPaging(command: Command): Command {
  return command
    .option('--limit <n>', 'page size, 1–100')
    .option('--cursor <cursor>', 'continue from a previous page')
    .option('--all', 'follow every page');
}

/** One page, or with `--all` every page, of a cursor-paged list. */
export async function readPages<T, P extends { items: T[]; nextCursor: string | null }>(
  options: PageOptions,
  page: (params: { limit?: number; cursor?: string }) => Promise<P>,
): Promise<{ items: T[]; nextCursor: string | null; first: P }> {
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 100)) {
    throw new CliError('VALIDATION_FAILED', '--limit takes a number from 1 to 100');
  }
  const first = await page({
    ...(limit ? { limit } : {}),
    ...(options.cursor && !options.all ? { cursor: options.cursor } : {}),
  });
  const items = [...first.items];
  let nextCursor = first.nextCursor;
  while (options.all && nextCursor) {
    const next = await page({ ...(limit ? { limit } : {}), cursor: nextCursor });
    items.push(...next.items);
    nextCursor = next.nextCursor;
  }
  return { items, nextCursor, first };
}

/** The org to act on: `--org`, then the login's default, then the token's own org. */
export async function resolveOrg(context: Context, options: CommonOptions): Promise<string> {
  if (options.org) return options.org;
  if (!process.env.LATCHKEY_TOKEN && context.config.org) return context.config.org;
  const session = await context.client.auth.session();
  const org = session.token?.orgId ?? session.orgs[0]?.id;
  if (!org) throw new CliError('NO_ORG', 'No organization: pass --org');
  return org;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

const plainStyle = { head: [], border: [] };

export function printTable(head: string[], rows: Array<Array<string | number | null | undefined>>): void {
  const table = new Table({ head, style: plainStyle });
  for (const row of rows)
    table.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  process.stdout.write(`${table.toString()}\n`);
}

export function printRecord(pairs: Array<[string, string | number | null | undefined]>): void {
  const table = new Table({ style: plainStyle });
  for (const [key, value] of pairs)
    table.push({ [key]: value === null || value === undefined ? '—' : String(value) });
  process.stdout.write(`${table.toString()}\n`);
}

export function formatDate(value: string | null | undefined, empty = 'never'): string {
  if (!value) return empty;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

export function formatList(values: readonly string[] | null | undefined, all = 'all'): string {
  if (values === null || values === undefined) return all;
  return values.length === 0 ? '—' : values.join(', ');
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function printError(error: unknown, json: boolean): number {
  let code = 'ERROR';
  let message = String(error);
  let details: unknown = null;
  let exitCode = 1;
  if (error instanceof LatchkeyError) {
    code = error.code;
    message = error.message;
    details = error.details ?? null;
  } else if (error instanceof CliError) {
    code = error.code;
    message = error.message;
    exitCode = error.exitCode;
  } else if (error instanceof Error) {
    message = error.message;
  }
  if (json) printJson({ error: { code, message, details } });
  else {
    process.stderr.write(`error: ${code}: ${message}\n`);
    if (details !== null && details !== undefined && typeof details === 'object') {
      process.stderr.write(`${JSON.stringify(details)}\n`);
    }
  }
  return exitCode;
}

/**
 * Wraps a command's action: an error prints the API's code and message (as JSON with `--json`)
 * and sets a non-zero exit code, without a stack trace.
 */
export function run<A extends unknown[]>(action: (...args: A) => Promise<unknown>) {
  return async (...args: A): Promise<void> => {
    const command = args[args.length - 1];
    const json = command instanceof Command ? command.opts().json === true : false;
    try {
      const code = await action(...args);
      if (typeof code === 'number' && code !== 0) process.exitCode = code;
    } catch (error) {
      process.exitCode = printError(error, json);
    }
  };
}
