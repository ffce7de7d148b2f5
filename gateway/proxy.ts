// `latchkey gateway`: a reverse proxy that lets through only what the bearer token may do, on node:http
// and an undici Pool. Bodies stream both ways; only a body that a JSON-RPC rule has to read is buffered
// (and capped). The judging is elsewhere and pure: path.ts reads the path, rules/ match it, jsonrpc.ts
// reads calls, decide.ts asks the verifier, cors.ts and headers.ts say which headers cross, answers.ts
// writes refusals. This file only reads requests and writes answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Dispatcher, Pool } from 'undici';
import { envelopeBody, type Refusal, type RpcContext, refusals, rpcErrorBody } from './answers.ts';
import { isPreflight, preflight, responseCorsHeaders } from './cors.ts';
import { decide, type Identity, type Need, needOf, readToken } from './decide.ts';
import { clientAddress, clientHeaders, upstreamHeaders } from './headers.ts';
import { parseJsonRpc, readCapped } from './jsonrpc.ts';
import { type NormalizedTarget, normalizeTarget } from './path.ts';
import { type GatewayRules, matchesCall, routeMatches } from './rules/index.ts';
import type { GatewayVerifier } from './verifiers.ts';

/** Where the gateway writes what an operator should see: pino's shape, which the CLI passes. */
export interface GatewayLogger {
  info(object: object, message?: string): void;
  info(message: string): void;
  warn(object: object, message?: string): void;
  warn(message: string): void;
  error(object: object, message?: string): void;
}

const silent: GatewayLogger = { info() {}, warn() {}, error() {} };

export interface GatewayOptions {
  /** The API behind the gateway: `http://127.0.0.1:3030` (a path prefix is kept). */
  upstream: string;
  rules: GatewayRules;
  verifier: GatewayVerifier;
  /** Take the client's address from X-Forwarded-For (only behind a proxy you run). */
  trustProxy?: boolean;
  logger?: GatewayLogger;
  /** Connections kept open to the upstream. Default 128. */
  upstreamConnections?: number;
  /** Longest wait for the upstream's answer headers, and between body chunks. Default 300 s. */
  upstreamTimeoutMs?: number;
  /** The `realm` of WWW-Authenticate. Default `latchkey`. */
  realm?: string;
}

export interface Gateway {
  /** The HTTP server, not yet listening. */
  readonly server: Server;
  /** Stops taking requests (new ones on open connections get 503), waits for those in flight, closes the pool. */
  close(): Promise<void>;
}

/** A request body to stream on: one with a length or chunked framing (a GET has none). */
function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

const UPSTREAM_TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Builds the gateway (not listening). Every request is matched against the rules in order; the first rule that applies decides. */
export function createGateway(options: GatewayOptions): Gateway {
  const { rules, verifier } = options;
  const log = options.logger ?? silent;
  const refuse = refusals(options.realm ?? 'latchkey');
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') {
    throw new TypeError(`the upstream must be an http:// or https:// URL, not ${options.upstream}`);
  }
  const prefix = upstream.pathname.replace(/\/+$/, '');
  const timeout = options.upstreamTimeoutMs ?? 300_000;
  const pool = new Pool(upstream.origin, {
    connections: options.upstreamConnections ?? 128,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
  const cors = rules.cors;
  const trustProxy = options.trustProxy === true;
  let requestCount = 0;
  let closing = false;

  /** Writes a refusal: the envelope, or JSON-RPC error objects when the request was read as JSON-RPC. */
  function answer(
    response: ServerResponse,
    refusal: Refusal,
    rpc: RpcContext | null,
    corsHeaders: Record<string, string> | null,
  ): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const body =
      rpc === null
        ? envelopeBody(refusal, `req-${(++requestCount).toString(36)}`)
        : rpcErrorBody(rpc, refusal, rules.jsonRpcErrors);
    response.writeHead(refusal.status, {
      ...refusal.headers,
      ...corsHeaders,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  }

  /**
   * Sends the request on: to exactly the normalized path the rules matched (under the upstream's
   * prefix), with the query as the client sent it. Nothing is taken again from the raw URL.
   */
  function forward(
    request: IncomingMessage,
    response: ServerResponse,
    target: NormalizedTarget,
    identity: Identity | null,
    clientIp: string,
    body: Buffer | undefined,
    rpc: RpcContext | null,
    corsHeaders: Record<string, string> | null,
  ): void {
    const headers = upstreamHeaders(request.headers, {
      tokenHeader: rules.tokenHeader,
      identityHeaders: rules.identityHeaders,
      identity,
      clientIp,
      peerAddress: request.socket.remoteAddress ?? clientIp,
      trustProxy,
      bodyReplaced: body !== undefined,
    });
    let abort: ((reason?: Error) => void) | null = null;
    let done = false;
    const onClientGone = () => {
      if (!done) abort?.(new Error('the client went away'));
    };
    response.once('close', onClientGone);
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortRequest) {
        abort = abortRequest;
      },
      onHeaders(statusCode, rawHeaders, resume) {
        // Informational answers (103 Early Hints) are optional; the final one follows.
        if (statusCode < 200) return true;
        response.writeHead(statusCode, clientHeaders(rawHeaders, cors !== null, corsHeaders));
        response.on('drain', resume);
        return true;
      },
      onData(chunk) {
        // false pauses the upstream until the client has taken what was written ('drain' resumes).
        return response.write(chunk);
      },
      onComplete() {
        done = true;
        response.end();
      },
      onError(error) {
        done = true;
        if (response.destroyed) return;
        if (response.headersSent) {
          // Part of the answer is out: the client must see it cut, not complete.
          response.destroy(error);
          return;
        }
        const code = (error as { code?: string }).code ?? '';
        log.warn({ err: error, upstream: upstream.origin }, 'upstream request failed');
        answer(
          response,
          UPSTREAM_TIMEOUTS.has(code) ? refuse.gatewayTimeout() : refuse.badGateway(),
          rpc,
          corsHeaders,
        );
      },
    };
    pool.dispatch(
      {
        origin: upstream.origin,
        path: target.query === null ? prefix + target.path : `${prefix}${target.path}?${target.query}`,
        method: request.method as Dispatcher.HttpMethod,
        headers,
        body: body ?? (hasBody(request) ? request : null),
      },
      handler,
    );
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const headers = request.headers;
    let corsHeaders: Record<string, string> | null = null;
    if (cors !== null) {
      const origin = headers.origin;
      const requestMethod = headers['access-control-request-method'];
      if (isPreflight(method, origin, requestMethod)) {
        // Answered here: a preflight carries no token, and the upstream need not know CORS.
        const verdict = preflight(
          cors,
          origin as string,
          requestMethod as string,
          headers['access-control-request-headers'],
        );
        if (verdict.allowed) {
          response.writeHead(204, verdict.headers);
          response.end();
        } else {
          answer(
            response,
            refuse.forbidden(verdict.message, { reason: verdict.reason, origin }),
            null,
            verdict.headers,
          );
        }
        return;
      }
      corsHeaders = responseCorsHeaders(cors, origin);
    }
    if (closing) {
      answer(
        response,
        { ...refuse.unavailable('The gateway is shutting down'), headers: { connection: 'close' } },
        null,
        corsHeaders,
      );
      return;
    }

    // One reading of the path: the rules match it, and it alone is forwarded.
    const target = normalizeTarget(request.url ?? '/');
    if (!target.ok) return answer(response, refuse.path(target), null, corsHeaders);
    const path = target.path;
    const matches = routeMatches(rules, method, path);
    const token = readToken(headers, rules.tokenHeader);
    const peer = request.socket.remoteAddress ?? '';
    const ip = clientAddress(peer, headers['x-forwarded-for'], trustProxy);
    const rpcCandidate = hasBody(request) && matches.some((m) => m.rule.jsonrpc !== null);

    if (!rpcCandidate) {
      const match = matches.find((m) => m.rule.jsonrpc === null);
      if (match === undefined) {
        return answer(
          response,
          refuse.forbidden('No rule of this gateway allows this request', {
            reason: 'NO_RULE',
            method,
            path,
          }),
          null,
          corsHeaders,
        );
      }
      const decision = await decide([needOf(match, headers)], token, ip, verifier, refuse);
      if (!decision.ok) return answer(response, decision.refusal, null, corsHeaders);
      return forward(request, response, target, decision.identity, ip, undefined, null, corsHeaders);
    }

    // A JSON-RPC rule applies: the body must be read to judge it, up to the cap.
    const body = await readCapped(request, rules.maxJsonRpcBodyBytes);
    const unread: RpcContext = { calls: null, batch: false };
    if (body === null)
      return answer(response, refuse.tooLarge(rules.maxJsonRpcBodyBytes), unread, corsHeaders);
    const parsed = parseJsonRpc(body);
    if (!parsed.ok) {
      return answer(
        response,
        { status: parsed.status, code: parsed.code, rpcCode: parsed.rpcCode, message: parsed.message },
        unread,
        corsHeaders,
      );
    }
    const rpc: RpcContext = { calls: parsed.calls, batch: parsed.batch };
    const needs: Need[] = [];
    for (const [i, call] of parsed.calls.entries()) {
      const match = matches.find((m) => matchesCall(m.rule, call));
      if (match === undefined) {
        return answer(
          response,
          refuse.forbidden(
            parsed.batch
              ? `No rule of this gateway allows the call "${call.method}" (the whole batch is refused)`
              : `No rule of this gateway allows the call "${call.method}"`,
            { reason: 'NO_RULE', method: call.method, ...(parsed.batch ? { index: i } : {}) },
          ),
          rpc,
          corsHeaders,
        );
      }
      needs.push(needOf(match, headers));
    }
    const decision = await decide(needs, token, ip, verifier, refuse);
    if (!decision.ok) return answer(response, decision.refusal, rpc, corsHeaders);
    return forward(request, response, target, decision.identity, ip, body, rpc, corsHeaders);
  }

  const server = createServer({ maxHeaderSize: 32 * 1024 }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A client that went away mid-body, or a bug: never a hanging request.
      if (request.destroyed || response.destroyed) return void response.destroy();
      log.error({ err: error }, 'the gateway failed to answer a request');
      if (response.headersSent) return void response.destroy();
      answer(
        response,
        { status: 500, code: 'INTERNAL', rpcCode: -32603, message: 'The gateway failed to answer' },
        null,
        null,
      );
    });
  });

  return {
    server,
    async close() {
      closing = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await pool.close();
      verifier.close();
    },
  };
}
