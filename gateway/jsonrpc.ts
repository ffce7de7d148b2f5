// JSON-RPC 2.0 bodies as the gateway sees them: the calls to judge. Pure, but for readCapped, which
// reads the body off the request. The error objects the gateway answers with are in answers.ts.
import type { Readable } from 'node:stream';
import { rpcCodes } from './answers.ts';

export interface JsonRpcCall {
  id: unknown;
  method: string;
  params: unknown;
}

export type ParsedBody =
  | { ok: true; calls: JsonRpcCall[]; batch: boolean }
  | { ok: false; status: number; rpcCode: number; code: string; message: string };

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

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The JSON-RPC 2.0 members of a call object, compared as Go's encoding/json compares names. */
const CALL_MEMBERS = new Set(['jsonrpc', 'id', 'method', 'params']);

/** Folds a member name as a case-insensitive decoder would (`ſ` is `s`, the Kelvin sign is `k`). */
const fold = (name: string) => name.toUpperCase().toLowerCase();

/**
 * The first name that an object of a valid JSON text holds twice, or null. Names are compared once
 * their escapes are decoded (`"method"` and `"\u006dethod"` are one name). In a call object (the
 * top-level object, or an element of a top-level array) a JSON-RPC member name is also held twice when
 * two names differ only by letter case (`"method"` and `"Method"`), since case-insensitive decoders
 * (Go's encoding/json) read either. Pure; the text must already have parsed as JSON.
 */
export function duplicateKey(text: string): string | null {
  // One frame per open object or array: the names an object has seen, and whether a name comes next.
  const stack: Array<{ names: Set<string> | null; folded: Set<string> | null; expectName: boolean }> = [];
  let topIsArray = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123 /* { */) {
      const isCall = stack.length === 0 || (stack.length === 1 && topIsArray);
      stack.push({ names: new Set(), folded: isCall ? new Set() : null, expectName: true });
    } else if (c === 91 /* [ */) {
      if (stack.length === 0) topIsArray = true;
      stack.push({ names: null, folded: null, expectName: false });
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
    } else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top?.names) top.expectName = true;
    } else if (c === 34 /* " */) {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top?.names && top.expectName) {
        const token = text.slice(i, end + 1);
        const name = token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1);
        if (top.names.has(name)) return name;
        top.names.add(name);
        if (top.folded) {
          const folded = fold(name);
          if (CALL_MEMBERS.has(folded)) {
            if (top.folded.has(folded)) return name;
            top.folded.add(folded);
          }
        }
        top.expectName = false;
      }
      i = end;
    }
  }
  return null;
}

/** The index of the quote that closes the string opening at `start` (the text is valid JSON). */
function stringEnd(text: string, start: number): number {
  let quote = text.indexOf('"', start + 1);
  while (quote !== -1) {
    // A quote preceded by an odd number of backslashes is escaped.
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return text.length;
}

/**
 * Parses a JSON-RPC request or batch into its calls; anything else is refused before it reaches a rule:
 * a body that is not UTF-8 or not JSON, and a body naming a member twice (the gateway and the upstream
 * could each read a different one).
 */
export function parseJsonRpc(body: Buffer): ParsedBody {
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(body);
    value = JSON.parse(text);
  } catch {
    return {
      ok: false,
      status: 400,
      rpcCode: rpcCodes.PARSE_ERROR,
      code: 'VALIDATION_FAILED',
      message: 'Parse error',
    };
  }
  const twice = duplicateKey(text);
  if (twice !== null) {
    return {
      ok: false,
      status: 400,
      rpcCode: rpcCodes.INVALID_REQUEST,
      code: 'VALIDATION_FAILED',
      message: `Invalid Request: the name ${JSON.stringify(twice)} appears twice in one object`,
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
