import { Latchkey, LatchkeyError } from '@latchkey/sdk';
import Table from 'cli-table3';
import { Command } from 'commander';
import { type CliConfig, readConfig } from './config.ts';
import { resolveOrgRef } from './resolve.ts';
import { explainValidation, type FlagTable, shortfallFlags } from './validation.ts';

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

/** Adds `--json`, `--wide`, `--url` and (unless told otherwise) `--org` to a command. */
export function withCommon(command: Command, options: { org?: boolean } = {}): Command {
  command.option('--json', 'print JSON instead of tables');
  command.option('--wide', 'tables at full width: no wrapping, no columns left out');
  command.option('--url <url>', 'Latchkey server URL (default: LATCHKEY_URL, then the login config)');
  if (options.org !== false)
    command.option('--org <org>', 'organization id or name (default: the one chosen at login)');
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

/** The org to act on: `--org` (an id or the name of one of yours), then the login's default, then the token's own org. */
export async function resolveOrg(context: Context, options: CommonOptions): Promise<string> {
  if (options.org) return resolveOrgRef(context, options.org);
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

/** Set by {@link run} from the command's `--wide`: tables then show every column, unwrapped. */
let wideTables = false;

/** The width tables fit: the terminal's, or 100 columns when the output is not a terminal. */
export function tableWidth(): number {
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  return columns && columns >= 40 ? columns : 100;
}

/** Splits a cell into lines of at most `width` characters: at spaces, or inside a word too long for a line. */
export function wrapText(text: string, width: number): string {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/)) {
      let rest = word;
      while (rest.length > width) {
        if (line) out.push(line);
        line = '';
        out.push(rest.slice(0, width));
        rest = rest.slice(width);
      }
      if (!line) line = rest;
      else if (line.length + 1 + rest.length <= width) line += ` ${rest}`;
      else {
        out.push(line);
        line = rest;
      }
    }
    out.push(line);
  }
  return out.join('\n');
}

const cellText = (cell: string | number | null | undefined) =>
  cell === null || cell === undefined ? '' : String(cell);
const longestLine = (text: string) => Math.max(0, ...text.split('\n').map((line) => line.length));
const longestWord = (text: string) => Math.max(0, ...text.split(/\s+/).map((word) => word.length));

/**
 * How a table fits the width: which columns go first when it does not (indexes, first dropped
 * first), and which are never narrowed (ids, which are copied whole).
 */
export interface TableFit {
  drop?: number[];
  keep?: number[];
}

/**
 * Prints a table that fits {@link tableWidth}: long cells wrap; when even wrapped the columns do not
 * fit, the columns of `fit.drop` are left out, in that order, and a line says so. `--wide` shows all.
 */
export function printTable(
  head: string[],
  rows: Array<Array<string | number | null | undefined>>,
  fit: TableFit = {},
): void {
  const cells = rows.map((row) => row.map(cellText));
  const width = tableWidth();
  const natural = head.map((title, i) =>
    Math.max(title.length, ...cells.map((row) => longestLine(row[i] ?? ''))),
  );
  const fits = (shown: number[], widths: (i: number) => number) =>
    shown.reduce((sum, i) => sum + widths(i) + 3, 1) <= width;
  let shown = head.map((_, i) => i);
  if (wideTables || fits(shown, (i) => natural[i] ?? 0)) {
    const table = new Table({ head, style: plainStyle });
    for (const row of cells) table.push(row);
    process.stdout.write(`${table.toString()}\n`);
    return;
  }
  // The narrowest a column may get: its heading, and its longest word (up to 30 characters).
  const least = head.map((title, i) =>
    Math.min(
      natural[i] ?? 0,
      Math.max(title.length, 6, Math.min(30, Math.max(0, ...cells.map((row) => longestWord(row[i] ?? ''))))),
    ),
  );
  const hidden: string[] = [];
  for (const index of fit.drop ?? []) {
    if (fits(shown, (i) => least[i] ?? 0)) break;
    shown = shown.filter((i) => i !== index);
    hidden.push(head[index] ?? '');
  }
  const widths = new Map(shown.map((i) => [i, least[i] ?? 0]));
  // Still too wide: narrow the widest columns that may be narrowed (their words break), down to 8.
  const total = () => shown.reduce((sum, i) => sum + (widths.get(i) ?? 0) + 3, 1);
  const narrowable = shown.filter((i) => !(fit.keep ?? []).includes(i));
  while (total() > width) {
    const widest = narrowable.reduce<number | undefined>(
      (best, i) => (best === undefined || (widths.get(i) ?? 0) > (widths.get(best) ?? 0) ? i : best),
      undefined,
    );
    if (widest === undefined || (widths.get(widest) ?? 0) <= 8) break;
    widths.set(widest, (widths.get(widest) ?? 0) - 1);
  }
  // Share the room left among the columns that want more, narrowest need first.
  let room = width - shown.reduce((sum, i) => sum + (widths.get(i) ?? 0) + 3, 1);
  const wanting = shown.filter((i) => (natural[i] ?? 0) > (widths.get(i) ?? 0));
  wanting.sort((a, b) => (natural[a] ?? 0) - (least[a] ?? 0) - ((natural[b] ?? 0) - (least[b] ?? 0)));
  for (const [n, i] of wanting.entries()) {
    const share = Math.floor(room / (wanting.length - n));
    const extra = Math.min(share, (natural[i] ?? 0) - (widths.get(i) ?? 0));
    widths.set(i, (widths.get(i) ?? 0) + Math.max(0, extra));
    room -= Math.max(0, extra);
  }
  const table = new Table({
    head: shown.map((i) => head[i] ?? ''),
    colWidths: shown.map((i) => (widths.get(i) ?? 0) + 2),
    style: plainStyle,
  });
  for (const row of cells) table.push(shown.map((i) => wrapText(row[i] ?? '', widths.get(i) ?? 1)));
  process.stdout.write(`${table.toString()}\n`);
  if (hidden.length > 0) {
    process.stdout.write(`(${hidden.join(', ')} left out to fit ${width} columns; --wide shows them)\n`);
  }
}

/** Prints name/value pairs as a two-column table whose values wrap to fit {@link tableWidth}. */
export function printRecord(pairs: Array<[string, string | number | null | undefined]>): void {
  const keyWidth = Math.max(...pairs.map(([key]) => key.length));
  const valueWidth = Math.max(20, tableWidth() - keyWidth - 7);
  const text = (value: string | number | null | undefined) =>
    value === null || value === undefined ? '—' : String(value);
  const longest = Math.max(...pairs.map(([, value]) => longestLine(text(value))));
  const wrap = !wideTables && longest > valueWidth;
  const table = new Table({
    style: plainStyle,
    ...(wrap ? { colWidths: [keyWidth + 2, valueWidth + 2] } : {}),
  });
  for (const [key, value] of pairs)
    table.push({ [key]: wrap ? wrapText(text(value), valueWidth) : text(value) });
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

function printError(error: unknown, json: boolean, flags: FlagTable): number {
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
  if (json) {
    printJson({ error: { code, message, details } });
    return exitCode;
  }
  if (error instanceof LatchkeyError && code === 'VALIDATION_FAILED') {
    // The flags, in plain words: never the API's field paths or a validator's pattern.
    const [first, ...more] = explainValidation(message, details, flags);
    process.stderr.write(`error: ${code}: ${first}\n`);
    for (const line of more) process.stderr.write(`  ${line}\n`);
    return exitCode;
  }
  const shortfalls = shortfallFlags(details, flags);
  if (shortfalls !== null) {
    // "Asks for more than you hold": the message says what; the flags say where it came from.
    process.stderr.write(`error: ${code}: ${message}${shortfalls ? ` (${shortfalls})` : ''}\n`);
    return exitCode;
  }
  process.stderr.write(`error: ${code}: ${message}\n`);
  if (details !== null && details !== undefined && typeof details === 'object') {
    process.stderr.write(`${JSON.stringify(details)}\n`);
  }
  return exitCode;
}

/**
 * Wraps a command's action: an error prints the API's code and message (as JSON with `--json`)
 * and sets a non-zero exit code, without a stack trace. `flags` names the command's flags for the
 * API fields a `400` may point at (see validation.ts).
 */
export function run<A extends unknown[]>(action: (...args: A) => Promise<unknown>, flags: FlagTable = {}) {
  return async (...args: A): Promise<void> => {
    const command = args[args.length - 1];
    const opts = command instanceof Command ? command.opts() : {};
    const json = opts.json === true;
    wideTables = opts.wide === true;
    try {
      const code = await action(...args);
      if (typeof code === 'number' && code !== 0) process.exitCode = code;
    } catch (error) {
      process.exitCode = printError(error, json, flags);
    }
  };
}
