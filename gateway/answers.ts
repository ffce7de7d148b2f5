// The gateway's own answers: the refusals it can give, and the bodies they are written as — the error
// envelope of the spec for plain requests, JSON-RPC 2.0 error objects for requests judged as JSON-RPC
// (in nearcore's shape when the rules ask for it). Pure: no I/O.
import type { PermissionQuery } from '@latchkey/sdk/rules';
import type { JsonRpcCall } from './jsonrpc.ts';
import type { PathRefusal } from './path.ts';
import type { JsonRpcErrorStyle } from './rules/index.ts';

/**
 * Error codes of the gateway's JSON-RPC answers: the standard ones where they fit, and the
 * implementation-defined range -32000…-32099 for the rest (see docs/gateway.md).
 */
export const rpcCodes = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  UNAUTHENTICATED: -32001,
  FORBIDDEN: -32003,
  RATE_LIMITED: -32029,
  BAD_GATEWAY: -32052,
  UNAVAILABLE: -32053,
  GATEWAY_TIMEOUT: -32054,
} as const;

export interface Refusal {
  status: number;
  /** The envelope's code (`FORBIDDEN`), also `error.data.code` of a JSON-RPC answer. */
  code: string;
  rpcCode: number;
  message: string;
  details?: unknown;
  headers?: Record<string, string>;
}

/** The calls of a JSON-RPC request, once read: each refusal carries their ids. */
export interface RpcContext {
  calls: readonly JsonRpcCall[] | null;
  batch: boolean;
}

/** The refusals of a gateway whose WWW-Authenticate realm is `realm`. */
export function refusals(realm: string) {
  const challenge = `Bearer realm="${realm}"`;
  return {
    unauthenticated(message: string, invalidToken: boolean): Refusal {
      return {
        status: 401,
        code: 'UNAUTHENTICATED',
        rpcCode: rpcCodes.UNAUTHENTICATED,
        message,
        headers: { 'www-authenticate': invalidToken ? `${challenge}, error="invalid_token"` : challenge },
      };
    },
    forbidden(message: string, details: unknown): Refusal {
      return {
        status: 403,
        code: 'FORBIDDEN',
        rpcCode: rpcCodes.FORBIDDEN,
        message,
        details,
        headers: { 'www-authenticate': `${challenge}, error="insufficient_scope"` },
      };
    },
    /** A path the gateway will not guess at (path.ts): 400, whatever the rules say. */
    path(refusal: { reason: PathRefusal; message: string }): Refusal {
      return {
        status: 400,
        code: 'VALIDATION_FAILED',
        rpcCode: rpcCodes.INVALID_REQUEST,
        message: refusal.message,
        details: { field: 'path', reason: refusal.reason },
      };
    },
    tooLarge(limit: number): Refusal {
      return {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        rpcCode: rpcCodes.INVALID_REQUEST,
        message: `A JSON-RPC body is judged whole and may not exceed ${limit} bytes`,
        headers: { connection: 'close' },
      };
    },
    badGateway(): Refusal {
      return {
        status: 502,
        code: 'BAD_GATEWAY',
        rpcCode: rpcCodes.BAD_GATEWAY,
        message: 'The upstream could not be reached',
      };
    },
    gatewayTimeout(): Refusal {
      return {
        status: 504,
        code: 'GATEWAY_TIMEOUT',
        rpcCode: rpcCodes.GATEWAY_TIMEOUT,
        message: 'The upstream did not answer in time',
      };
    },
    rateLimited(message: string, retryAfterSeconds?: number): Refusal {
      return {
        status: 429,
        code: 'RATE_LIMITED',
        rpcCode: rpcCodes.RATE_LIMITED,
        message,
        ...(retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(retryAfterSeconds) } }),
      };
    },
    unavailable(message = 'Token verification is unavailable'): Refusal {
      return { status: 503, code: 'UNAVAILABLE', rpcCode: rpcCodes.UNAVAILABLE, message };
    },
  };
}

export type Refusals = ReturnType<typeof refusals>;

/** `{"error": {code, message, details, requestId}}`, as every Latchkey API answers. */
export function envelopeBody(refusal: Refusal, requestId: string): string {
  return JSON.stringify({
    error: {
      code: refusal.code,
      message: refusal.message,
      details: refusal.details ?? null,
      requestId,
    },
  });
}

function describePermission(permission: PermissionQuery): string {
  if (typeof permission === 'string') return permission;
  return 'all' in permission ? `all of ${permission.all.join(', ')}` : `one of ${permission.any.join(', ')}`;
}

/**
 * The refusal as one sentence a person can act on: the message, and what the details name (the
 * permission a token lacks, the rule that refused, the resource).
 */
export function readableReason(refusal: Refusal): string {
  const details = (refusal.details ?? {}) as {
    permission?: PermissionQuery | null;
    resource?: string | null;
    rule?: string;
  };
  const parts: string[] = [];
  if (details.permission) parts.push(`needs ${describePermission(details.permission)}`);
  if (details.resource) parts.push(`resource ${details.resource}`);
  if (details.rule && !details.permission) parts.push(`rule "${details.rule}"`);
  return `Latchkey gateway: ${refusal.message}${parts.length > 0 ? ` (${parts.join('; ')})` : ''}`;
}

/**
 * nearcore's `name` and `cause` for a refusal (chain/jsonrpc-primitives, errors.rs). nearcore has
 * three kinds: REQUEST_VALIDATION_ERROR (the request is at fault: retrying it cannot help), HANDLER_ERROR
 * (a fact of the chain: unknown account, block…) and INTERNAL_ERROR (the server is at fault: try again
 * later). A refusal the client caused (400, 401, 403, 413) is a REQUEST_VALIDATION_ERROR; one the
 * client can wait out (429, 502, 503, 504) an INTERNAL_ERROR. The cause is the one of each kind that
 * carries a free message, which near-api-js shows as the error's message (docs/gateway.md, "NEAR
 * clients").
 */
export function nearcoreKind(refusal: Refusal): { name: string; cause: unknown } {
  const error_message = readableReason(refusal);
  if (refusal.status === 429 || refusal.status >= 500) {
    return { name: 'INTERNAL_ERROR', cause: { name: 'INTERNAL_ERROR', info: { error_message } } };
  }
  return { name: 'REQUEST_VALIDATION_ERROR', cause: { name: 'PARSE_ERROR', info: { error_message } } };
}

/**
 * One error object per call (the whole batch is refused together), or one for a single call. The
 * `standard` style is JSON-RPC 2.0's {code, message, data}; `nearcore` adds nearcore's `name` and
 * `cause` before them, as a NEAR node writes its own errors.
 */
export function rpcErrorBody(rpc: RpcContext, refusal: Refusal, style: JsonRpcErrorStyle): string {
  const data = { code: refusal.code, ...(refusal.details === undefined ? {} : { details: refusal.details }) };
  const error =
    style === 'nearcore'
      ? { ...nearcoreKind(refusal), code: refusal.rpcCode, message: refusal.message, data }
      : { code: refusal.rpcCode, message: refusal.message, data };
  const one = (id: unknown) => ({ jsonrpc: '2.0', id: id ?? null, error });
  if (rpc.calls === null || !rpc.batch) return JSON.stringify(one(rpc.calls?.[0]?.id ?? null));
  return JSON.stringify(rpc.calls.map((call) => one(call.id)));
}
