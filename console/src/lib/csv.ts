// The token CSV itself (columns, quoting, formula guarding, CRLF) is a shared rule: `tokenCsv` of
// `@latchkey/sdk/rules`, the same function the CLI's `--csv` uses. Only the file name is the console's.

/** The download's file name: `latchkey-token-<name as a slug>.csv`. */
export function csvFileName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `latchkey-token-${slug || 'token'}.csv`;
}
