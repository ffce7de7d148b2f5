// JSON-RPC 2.0 bodies as the gateway sees them: the calls to judge, and error objects to answer with.
import type { Readable } from 'node:stream';

export interface JsonRpcCall {
  id: unknown;
  method: string;
  params: unknown;
}

export type ParsedBody =
  | { ok: true; calls: JsonRpcCall[]; batch: boolean }
  | { ok: false; status: number; rpcCode: number; code: string; message: string };

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

/**
 * Reads a body up to `limit` bytes; null when it is longer. The rest of a longer body is drained and
 * dropped, so that the answer can still be written on the connection.
 */
export function readCapped(stream: Readable, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        stream.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/** Parses a JSON-RPC request or batch into its calls; anything else is refused before it reaches a rule. */
export function parseJsonRpc(body: Buffer): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return {
      ok: false,
      status: 400,
      rpcCode: rpcCodes.PARSE_ERROR,
      code: 'VALIDATION_FAILED',
      message: 'Parse error',
    };
  }
  const batch = Array.isArray(value);
  const list = batch ? (value as unknown[]) : [value];
  if (list.length === 0) {
    return {
      ok: false,
      status: 400,
      rpcCode: rpcCodes.INVALID_REQUEST,
      code: 'VALIDATION_FAILED',
      message: 'Invalid Request: an empty batch',
    };
  }
  const calls: JsonRpcCall[] = [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return invalidRequest();
    const call = item as Record<string, unknown>;
    if (typeof call.method !== 'string') return invalidRequest();
    calls.push({ id: Object.hasOwn(call, 'id') ? call.id : null, method: call.method, params: call.params });
  }
  return { ok: true, calls, batch };
}

function invalidRequest(): ParsedBody {
  return {
    ok: false,
    status: 400,
    rpcCode: rpcCodes.INVALID_REQUEST,
    code: 'VALIDATION_FAILED',
    message: 'Invalid Request: each call needs a string "method"',
  };
}

export interface RpcError {
  rpcCode: number;
  code: string;
  message: string;
  details?: unknown;
}

/** One error object per call (the whole batch is refused together), or one for a single call. */
export function rpcErrorBody(calls: readonly JsonRpcCall[] | null, batch: boolean, error: RpcError): string {
  const one = (id: unknown) => ({
    jsonrpc: '2.0',
    id: id ?? null,
    error: {
      code: error.rpcCode,
      message: error.message,
      data: { code: error.code, ...(error.details === undefined ? {} : { details: error.details }) },
    },
  });
  if (calls === null || !batch) return JSON.stringify(one(calls?.[0]?.id ?? null));
  return JSON.stringify(calls.map((call) => one(call.id)));
}
