/**
 * Error codes of the Latchkey API envelope, plus the SDK's own `NETWORK_ERROR` for a server that
 * could not be reached or answered something that is not the envelope.
 *
 * @example
 * const code: LatchkeyErrorCode = 'NOT_FOUND';
 */
export type LatchkeyErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'SESSION_REQUIRED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'NETWORK_ERROR'
  | (string & {});

/**
 * An API error: a non-2xx answer of the server, carrying the envelope's `code`, `message` and
 * `details`, the HTTP `status`, and `retryAfter` (seconds) when the server sent `Retry-After`.
 *
 * @example
 * try {
 *   await latchkey.tokens.get('org_1', 'tok_missing');
 * } catch (error) {
 *   if (error instanceof LatchkeyError && error.code === 'NOT_FOUND') console.log('no such token');
 *   else throw error;
 * }
 */
export class LatchkeyError extends Error {
  override readonly name = 'LatchkeyError';
  readonly code: LatchkeyErrorCode;
  readonly status: number;
  readonly details: unknown;
  readonly requestId: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(
    code: LatchkeyErrorCode,
    message: string,
    options: { status: number; details?: unknown; requestId?: string; retryAfter?: number; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.details = options.details;
    this.requestId = options.requestId;
    this.retryAfter = options.retryAfter;
  }
}

/**
 * Whether a value is a {@link LatchkeyError}, optionally with a given code.
 *
 * @example
 * if (isLatchkeyError(error, 'CONFLICT')) console.log('that name is taken');
 */
export function isLatchkeyError(value: unknown, code?: LatchkeyErrorCode): value is LatchkeyError {
  return value instanceof LatchkeyError && (code === undefined || value.code === code);
}
