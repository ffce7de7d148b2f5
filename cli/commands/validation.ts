/**
 * Turns a `400 VALIDATION_FAILED` answer into sentences about the command's flags: the API's field
 * (`body.policy.maxTtlDays`, `params.tok`) becomes the flag a person typed (`--max-ttl-days`, the
 * TOKEN argument), and a validator's wording (`must be <= 36500`) becomes plain words (`must be at
 * most 36500`). Each command group has one table of its fields (passed to `run()`); a field missing
 * from it is named as its flag would be (`maxTtlDays` → `--max-ttl-days`).
 */

import { fieldLabel } from '../../server/http/error-handler.ts';

/** API field (without `body.`/`params.`/`querystring.`, array indexes dropped) → the flag or argument. */
export type FlagTable = Readonly<Record<string, string>>;

/** One problem as the server reports it in `details`: a field and a message (either may be missing). */
interface Problem {
  field?: string;
  message?: string;
  params?: Record<string, unknown>;
}

const LOCATIONS = /^(body|params|querystring|query|headers)(\.|\/|$)/;

/** `body/policy/maxTtlDays`, `body.permissions.0` → `policy.maxTtlDays`, `permissions`. */
export function fieldPath(field: string): string {
  return field
    .replace(/^\//, '')
    .replaceAll('/', '.')
    .replace(LOCATIONS, '')
    .split('.')
    .filter((part) => part !== '' && !/^\d+$/.test(part))
    .join('.');
}

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** The flag for an API field: the table's, else the field's last part as a flag. */
export function flagFor(field: string, flags: FlagTable): string {
  const path = fieldPath(field);
  if (path === '') return 'the request';
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n--) {
    const known = flags[parts.slice(0, n).join('.')];
    if (known) return known;
  }
  return `--${kebab(parts[parts.length - 1] ?? path)}`;
}

const ID_KINDS: Record<string, string> = {
  tok: 'a token id (tok_…) or a token name',
  org: 'an organization id (org_…) or name',
  res: 'a resource id (res_…), type/name or name',
  rol: 'a role id (rol_…) or name',
  usr: 'a user id (usr_…) or e-mail address',
  inv: 'an invitation id (inv_…)',
  whk: 'a webhook id (whk_…)',
};

const COMPARISONS: Record<string, string> = {
  '<=': 'at most',
  '>=': 'at least',
  '<': 'less than',
  '>': 'more than',
};
const FORMATS: Record<string, string> = {
  'date-time': 'must be a date and time, like 2027-01-31T12:00:00Z',
  email: 'must be an e-mail address',
  uri: 'must be a URL',
};
const KINDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a set of fields',
  null: 'empty',
};

/** Validator wordings (Ajv's) and their plain words. */
const WORDINGS: Array<[RegExp, (m: RegExpExecArray, params: Record<string, unknown>) => string]> = [
  [/^must be (<=|>=|<|>) (\S+)$/, (m) => `must be ${COMPARISONS[m[1] ?? '']} ${m[2]}`],
  [/^must NOT have more than (\d+) characters?$/, (m) => `must be at most ${m[1]} characters long`],
  [
    /^must NOT have fewer than (\d+) characters?$/,
    (m) => (m[1] === '1' ? 'must not be empty' : `must be at least ${m[1]} characters long`),
  ],
  [/^must NOT have more than (\d+) items?$/, (m) => `takes at most ${m[1]} values`],
  [/^must NOT have fewer than (\d+) items?$/, (m) => `takes at least ${m[1]} values`],
  [
    /^must match pattern /,
    (m, params) => {
      const prefix = /\^([a-z]{3})_/.exec(String(params.pattern ?? m.input))?.[1];
      return prefix && ID_KINDS[prefix] ? `must be ${ID_KINDS[prefix]}` : 'is not in the expected form';
    },
  ],
  [/^must match format "([^"]+)"$/, (m) => FORMATS[m[1] ?? ''] ?? `must be a ${m[1]}`],
  [
    /^must be equal to one of the allowed values$/,
    (m, params) =>
      Array.isArray(params.allowedValues) ? `must be one of ${params.allowedValues.join(', ')}` : m[0],
  ],
  [
    /^must be (integer|number|string|boolean|array|object|null)$/,
    (m) => `must be ${KINDS[m[1] ?? ''] ?? m[1]}`,
  ],
  [/^must NOT have additional properties$/, () => 'is not an option here'],
];

/** A validator's wording in plain words; a sentence that is already plain is kept. */
export function plainMessage(message: string, params: Record<string, unknown> = {}): string {
  const text = message.trim();
  for (const [pattern, plain] of WORDINGS) {
    const match = pattern.exec(text);
    if (match) return plain(match, params);
  }
  return text.replace(/\bmust NOT\b/g, 'must not');
}

function problemsOf(details: unknown): Problem[] {
  const list = Array.isArray(details)
    ? details
    : details && typeof details === 'object' && Array.isArray((details as { fields?: unknown }).fields)
      ? ((details as { fields: unknown[] }).fields as unknown[])
      : details && typeof details === 'object' && Array.isArray((details as { errors?: unknown }).errors)
        ? ((details as { errors: unknown[] }).errors as unknown[])
        : [details];
  const problems: Problem[] = [];
  for (const item of list) {
    if (!item || typeof item !== 'object') continue;
    const record = item as Record<string, unknown>;
    const field = typeof record.field === 'string' ? record.field : undefined;
    const message = typeof record.message === 'string' ? record.message : undefined;
    if (field === undefined && message === undefined) continue;
    const params =
      record.params && typeof record.params === 'object' ? (record.params as Record<string, unknown>) : {};
    problems.push({
      ...(field === undefined ? {} : { field }),
      ...(message === undefined ? {} : { message }),
      params,
    });
  }
  return problems;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces the API's field names a server sentence mentions (`expiresAt is in the past`, any case) by
 * flags. Only names no English sentence holds (camelCase or dotted: `expiresAt`, `policy.maxTtlDays`):
 * "name" or "access" in a sentence stay words.
 */
function withFlags(sentence: string, flags: FlagTable): string {
  let out = sentence;
  const fields = Object.keys(flags)
    .filter((field) => /[A-Z.]/.test(field))
    .sort((a, b) => b.length - a.length);
  for (const field of fields) {
    const flag = flags[field];
    if (!flag) continue;
    const pattern = new RegExp(
      `(^|[^\\w.-])(?:(?:body|params|querystring)\\.)?${escapeRegExp(field)}(?![\\w])`,
      'gi',
    );
    out = out.replace(pattern, (_, before: string) => `${before}${flag}`);
  }
  return out;
}

/** One sentence: the flag, then what is wrong with it. */
function sentence(problem: Problem, flags: FlagTable): string {
  const params = problem.params ?? {};
  let field = problem.field ?? '';
  const message = (problem.message ?? 'is not valid').trim().replace(/\.$/, '');
  if (typeof params.missingProperty === 'string') {
    field = field ? `${field}.${params.missingProperty}` : params.missingProperty;
    return `${flagFor(field, flags)} is required`;
  }
  if (typeof params.additionalProperty === 'string') {
    return `${flagFor(field ? `${field}.${params.additionalProperty}` : params.additionalProperty, flags)} is not an option here`;
  }
  if (!field) return capitalize(withFlags(message, flags));
  const flag = flagFor(field, flags);
  // The server's sentence names the field by its label ("Max TTL days must be …") or its API name
  // ("expiresAt is in the past"): the flag takes that place. Otherwise the flag leads the sentence.
  const label = fieldLabel(fieldPath(field));
  if (message.toLowerCase().startsWith(`${label.toLowerCase()} `)) {
    return `${flag} ${plainMessage(message.slice(label.length + 1), params)}`;
  }
  const name = fieldPath(field).split('.').pop() ?? '';
  const mention = new RegExp(`(^|[^\\w-])${escapeRegExp(name)}(?![\\w])`, 'i');
  if (/[A-Z]/.test(name) && mention.test(message)) {
    return capitalize(
      withFlags(
        message.replace(mention, (_, before: string) => `${before}${flag}`),
        flags,
      ),
    );
  }
  const plain = plainMessage(message, params);
  // A validator's wording ("must be …") continues the flag; a server's own sentence follows it.
  if (/^(must|is|takes) /.test(plain)) return `${flag} ${withFlags(plain, flags)}`;
  return `${flag}: ${capitalize(withFlags(plain, flags))}`;
}

const capitalize = (text: string) => (text ? text[0]?.toUpperCase() + text.slice(1) : text);

/**
 * The sentences to print for a validation error: one per problem in `details`, or the message with
 * any API field names it mentions replaced by flags.
 */
export function explainValidation(message: string, details: unknown, flags: FlagTable): string[] {
  const problems = problemsOf(details);
  const sentences = problems.map((problem) => sentence(problem, flags));
  const unique = [...new Set(sentences)];
  if (unique.length > 0) return unique;
  return [capitalize(withFlags(message, flags))];
}

/** The token field each dimension of a `403`'s `details.shortfalls` is about (server/tokens/token-policy.ts). */
const DIMENSION_FIELDS: Record<string, string> = {
  permissions: 'permissions',
  resources: 'resourceIds',
  allowedIps: 'allowedIps',
  rateLimit: 'rateLimit',
  lifetime: 'expiresAt',
};

/**
 * For a refusal that says where the request asks for more than the caller holds
 * (`details.shortfalls: [{dimension}]`), the flags behind it (`--permissions, --expires-at`); null
 * when the details are not such a list.
 */
export function shortfallFlags(details: unknown, flags: FlagTable): string | null {
  const shortfalls = (details as { shortfalls?: unknown } | null)?.shortfalls;
  if (!Array.isArray(shortfalls)) return null;
  const named = shortfalls
    .map((s) => (s && typeof s === 'object' ? (s as { dimension?: unknown }).dimension : undefined))
    .filter((d): d is string => typeof d === 'string')
    .map((d) => flagFor(DIMENSION_FIELDS[d] ?? d, flags));
  return [...new Set(named)].join(', ');
}
