import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, errorStatus } from '../errors.ts';
import type { App } from './app-type.ts';

function envelope(
  reply: FastifyReply,
  request: FastifyRequest,
  code: ErrorCode,
  message: string,
  details?: unknown,
) {
  return reply.code(errorStatus[code]).send({
    error: { code, message, ...(details !== undefined && { details }), requestId: request.id },
  });
}

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'VALIDATION_FAILED',
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
export function installErrorHandling(app: App, options: { consoleIndex: boolean }): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      if (error.headers) reply.headers(error.headers);
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      return envelope(reply, request, error.code, error.message, error.details);
    }
    if (error.validation) {
      const details = error.validation.map((v) => ({
        field: `${error.validationContext ?? ''}${v.instancePath}`.replace(/\//g, '.'),
        message: v.message,
        ...(v.params && Object.keys(v.params).length > 0 && { params: v.params }),
      }));
      const first = details[0];
      return envelope(
        reply,
        request,
        'VALIDATION_FAILED',
        first ? `${first.field || 'request'} ${first.message}` : 'invalid request',
        details,
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
