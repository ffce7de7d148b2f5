// The CSV a one-time token reveal is saved as (SPEC §4 "Console"): the console's download and the
// CLI's `--csv` write exactly this.

/**
 * The columns of the token CSV, in order.
 *
 * @example
 * TOKEN_CSV_HEADER.join(','); // 'client_id,token,name,permissions,resources,expires_at'
 */
export const TOKEN_CSV_HEADER = [
  'client_id',
  'token',
  'name',
  'permissions',
  'resources',
  'expires_at',
] as const;

/**
 * What the CSV needs of a create or rotate answer (`{token, clientId, tokenInfo}`).
 *
 * @example
 * const input: TokenCsvInput = await latchkey.tokens.create(org, { name: 'ci', access: 'full' });
 */
export interface TokenCsvInput {
  clientId: string;
  token: string;
  tokenInfo: {
    name: string;
    access: 'full' | 'granular';
    permissions: readonly string[] | null;
    roleId?: string | null | undefined;
    resourceIds: readonly string[] | null;
    expiresAt: string | null;
  };
}

/** A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell: a value starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed
 * with a single quote so that a spreadsheet shows it instead of running it (names are user-chosen),
 * then the cell is quoted per RFC 4180 when it holds a comma, a double quote, CR or LF.
 *
 * @example
 * csvCell('a,b'); // '"a,b"'
 * csvCell('=HYPERLINK("x")'); // '"\'=HYPERLINK(""x"")"'
 */
export function csvCell(value: string): string {
  const guarded = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

/**
 * The token CSV: the header and one row, CRLF line endings (RFC 4180). `permissions` are the keys
 * separated by spaces, `full` for a full-access token, `role:<id>` for a token that takes its
 * permissions from a role; `resources` are resource ids separated by spaces, `all` for every
 * resource of the org; `expires_at` is RFC 3339, empty for a token that never expires.
 *
 * @example
 * const issued = await latchkey.tokens.create(org, { name: 'ci', access: 'full' });
 * await writeFile('ci-token.csv', tokenCsv(issued), { mode: 0o600 });
 */
export function tokenCsv(issued: TokenCsvInput): string {
  const info = issued.tokenInfo;
  let permissions: string;
  if (info.access === 'full') permissions = 'full';
  else if (info.permissions && info.permissions.length > 0) permissions = info.permissions.join(' ');
  else if (info.roleId) permissions = `role:${info.roleId}`;
  else permissions = '';
  const resources = info.resourceIds === null ? 'all' : info.resourceIds.join(' ');
  const row = [issued.clientId, issued.token, info.name, permissions, resources, info.expiresAt ?? ''];
  return `${TOKEN_CSV_HEADER.join(',')}\r\n${row.map(csvCell).join(',')}\r\n`;
}
