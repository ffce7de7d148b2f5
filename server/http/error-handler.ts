import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { AppError, type ErrorCode, errorStatus } from '../errors.ts';
import type { App } from './app-type.ts';
import { BEARER_CHALLENGE } from './manners.ts';

function envelope(
  reply: FastifyReply,
  request: FastifyRequest,
  code: ErrorCode,
  message: string,
  details?: unknown,
) {
  // A refusal is read by people: it starts with a capital letter, whatever the service wrote.
  const status = errorStatus[code];
  const text = status < 500 ? message.charAt(0).toUpperCase() + message.slice(1) : message;
  // Set here, not by a hook: refusals of /v1/verify (a scope without hooks) carry them too.
  reply.header('x-request-id', request.id);
  if (status === 401 && !reply.hasHeader('www-authenticate'))
    reply.header('www-authenticate', BEARER_CHALLENGE);
  return reply.code(status).send({
    error: { code, message: text, ...(details !== undefined && { details }), requestId: request.id },
  });
}

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
};

/**
 * Errors the router raises before any hook runs (a bad URL encoding, a path parameter over maxParamLength):
 * the same envelope as every other refusal. Passed to Fastify as `frameworkErrors`.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path parameter is too long'
      : 'the request URL is malformed';
  void envelope(reply, request, 'VALIDATION_FAILED', message);
}

/** One place writes the error envelope `{error:{code,message,details,requestId}}`; only 5xx are logged. */
export function installErrorHandling(
  app: App,
  /** notFound: false leaves the not-found handler to a scope registered later (app.ts: helmet's scope). */
  options: { consoleIndex: boolean; notFound?: boolean },
): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      if (error.headers) reply.headers(error.headers);
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      return envelope(reply, request, error.code, error.message, withFields(error));
    }
    if (error.validation) {
      const fields = validationFields(error.validation);
      const first = fields[0];
      return envelope(
        reply,
        request,
        'VALIDATION_FAILED',
        first ? first.message : 'The request is not valid.',
        {
          fields,
        },
      );
    }
    if (error.statusCode === 429) {
      return envelope(reply, request, 'RATE_LIMITED', 'too many attempts; retry later');
    }
    const mapped = error.code ? fastifyCodes[error.code] : undefined;
    if (mapped) return envelope(reply, request, mapped, error.message);
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own 4xx (bad JSON, bad content type, prototype poisoning): bad input, stated plainly.
      return envelope(reply, request, 'VALIDATION_FAILED', error.message);
    }
    if (isStorageFull(error)) {
      request.log.error({ err: error }, 'storage full');
      return envelope(reply, request, 'UNAVAILABLE', 'the server cannot write to its storage right now');
    }
    if (isDatabaseUnreachable(error)) {
      request.log.error({ err: error }, 'database unreachable');
      return envelope(reply, request, 'UNAVAILABLE', 'the database is unreachable; retry shortly');
    }
    request.log.error({ err: error }, 'unexpected error');
    return envelope(reply, request, 'INTERNAL', 'internal error');
  });

  if (options.notFound === false) return;
  app.setNotFoundHandler((request, reply) => {
    // Client-side routes of the console (/tokens, /accept-invite …) are its index page.
    if (
      options.consoleIndex &&
      request.method === 'GET' &&
      !request.url.startsWith('/v1/') &&
      request.headers.accept?.includes('text/html')
    ) {
      return reply.type('text/html').sendFile('index.html');
    }
    return envelope(reply, request, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
  });
}

/**
 * SQLite cannot write: the disk is full or failing. When that happens inside a transaction SQLite rolls it back
 * itself, and the driver's own rollback then fails with "no transaction is active", hiding the first error.
 */
function isStorageFull(error: Error): boolean {
  const code = (error as { code?: string }).code ?? '';
  return (
    code === 'SQLITE_FULL' ||
    code.startsWith('SQLITE_IOERR') ||
    /ENOSPC/.test(error.message) ||
    (code === 'SQLITE_ERROR' && /cannot rollback - no transaction is active/.test(error.message))
  );
}

function isDatabaseUnreachable(error: Error): boolean {
  const code = (error as { code?: string }).code ?? '';
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ETIMEDOUT' ||
    code === 'EHOSTUNREACH' ||
    // PostgreSQL: connection exceptions (class 08), shutdown or termination, too many connections, database gone.
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '53300' ||
    code === '3D000' ||
    /Connection terminated|timeout exceeded when trying to connect|not currently accepting connections/i.test(
      error.message,
    )
  );
}

/**
 * A service's 400 that names its field (`invalid(message, {field: 'expiresAt'})`) carries it the way schema
 * errors do: `details.fields: [{field, message}]`, beside whatever else its details hold.
 */
function withFields(error: AppError): unknown {
  const details = error.details;
  if (error.code !== 'VALIDATION_FAILED' || typeof details !== 'object' || details === null) return details;
  const field = (details as { field?: unknown }).field;
  if (typeof field !== 'string' || 'fields' in details) return details;
  const message = error.message.charAt(0).toUpperCase() + error.message.slice(1);
  return { ...details, fields: [{ field, message }] };
}

/** One refused field of a request: its dotted path in the part it came from, and a sentence about it. */
export interface FieldError {
  field: string;
  message: string;
}

// Words spelled in capitals when a field name is turned into a label.
const ACRONYMS: Record<string, string> = {
  id: 'ID',
  ids: 'IDs',
  ip: 'IP',
  ips: 'IPs',
  ttl: 'TTL',
  url: 'URL',
  urls: 'URLs',
  smtp: 'SMTP',
  csrf: 'CSRF',
};

/** `policy.maxTtlDays` → "Max TTL days"; `allowedIps.2` → "Allowed IPs"; `tok` → "Token ID". */
export function fieldLabel(field: string): string {
  const name = field
    .split('.')
    .filter((part) => part !== '' && !/^\d+$/.test(part))
    .pop();
  if (name === undefined) return 'The request';
  const prefixed: Record<string, string> = {
    org: 'Organization ID',
    tok: 'Token ID',
    res: 'Resource ID',
    rol: 'Role ID',
    usr: 'User ID',
    inv: 'Invite ID',
    whk: 'Webhook ID',
  };
  if (prefixed[name]) return prefixed[name];
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .split(' ')
    .filter(Boolean)
    .map((word) => ACRONYMS[word] ?? word);
  const label = words.join(' ');
  return label.charAt(0).toUpperCase() + label.slice(1);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'null',
};

const FORMAT_NAMES: Record<string, string> = {
  email: 'an e-mail address',
  'date-time': 'a date and time such as 2030-01-31T12:00:00Z',
  date: 'a date such as 2030-01-31',
  uri: 'a URL',
  url: 'a URL',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
};

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function typeName(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_NAMES[String(t)] ?? String(t)).join(' or ');
}

/** A sentence for one ajv error about `label`, from its keyword and params (never ajv's own text). */
function sentence(label: string, keyword: string, params: Record<string, unknown>): string {
  const limit = Number(params.limit);
  switch (keyword) {
    case 'required':
      return `${label} is required.`;
    case 'additionalProperties':
      return `${label} is not a field this request takes.`;
    case 'type':
      return `${label} must be ${typeName(params.type)}.`;
    case 'minLength':
      return limit <= 1
        ? `${label} must not be empty.`
        : `${label} must be at least ${plural(limit, 'character', 'characters')} long.`;
    case 'maxLength':
      return `${label} must be at most ${plural(limit, 'character', 'characters')} long.`;
    case 'minimum':
      return `${label} must be at least ${limit}.`;
    case 'maximum':
      return `${label} must be at most ${limit}.`;
    case 'exclusiveMinimum':
      return `${label} must be more than ${limit}.`;
    case 'exclusiveMaximum':
      return `${label} must be less than ${limit}.`;
    case 'minItems':
      return limit <= 1 ? `${label} must not be empty.` : `${label} must hold at least ${limit} entries.`;
    case 'maxItems':
      return `${label} must hold at most ${plural(limit, 'entry', 'entries')}.`;
    case 'uniqueItems':
      return `${label} must not list the same entry twice.`;
    case 'minProperties':
      return `${label} must set at least ${plural(limit, 'field', 'fields')}.`;
    case 'maxProperties':
      return `${label} must set at most ${plural(limit, 'field', 'fields')}.`;
    case 'format':
      return `${label} must be ${FORMAT_NAMES[String(params.format)] ?? `in ${String(params.format)} format`}.`;
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues : [];
      return `${label} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}.`;
    }
    case 'const':
      return `${label} must be ${JSON.stringify(params.allowedValue)}.`;
    case 'pattern': {
      const pattern = String(params.pattern ?? '');
      const prefix = /^\^([a-z]+_)/.exec(pattern);
      if (prefix) return `${label} must start with ${prefix[1]}.`;
      if (pattern === '\\S') return `${label} must not be blank.`;
      return `${label} is not in the expected format.`;
    }
    case 'multipleOf':
      return `${label} must be a multiple of ${String(params.multipleOf)}.`;
    default:
      return `${label} is not valid.`;
  }
}

/**
 * ajv's errors as `{field, message}` pairs, one per field: the field is the dotted path inside the body,
 * query or path parameters (never prefixed with "body."), the message a capitalised sentence naming the
 * field by its label. A union's branches each report an error; the first specific one per field is kept.
 */
export function validationFields(errors: readonly FastifySchemaValidationError[]): FieldError[] {
  const byField = new Map<string, FieldError>();
  for (const error of errors) {
    const params = (error.params ?? {}) as Record<string, unknown>;
    const base = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const extra =
      error.keyword === 'required'
        ? params.missingProperty
        : error.keyword === 'additionalProperties'
          ? params.additionalProperty
          : undefined;
    const field = typeof extra === 'string' ? (base ? `${base}.${extra}` : extra) : base;
    const current = byField.get(field);
    const generic = error.keyword === 'anyOf' || error.keyword === 'oneOf';
    if (current !== undefined && generic) continue;
    if (current !== undefined && !current.message.endsWith(' is not valid.')) continue;
    byField.set(field, { field, message: sentence(fieldLabel(field), error.keyword, params) });
  }
  return [...byField.values()];
}
