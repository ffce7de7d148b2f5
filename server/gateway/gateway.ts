// `latchkey gateway`: a reverse proxy that lets through only what the bearer token may do.
// Bodies stream both ways; only a body that a JSON-RPC rule has to read is buffered (and capped).
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import replyFrom from '@fastify/reply-from';
import { readBearer } from '@latchkey/sdk/rules';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { type JsonRpcCall, parseJsonRpc, readCapped, rpcCodes, rpcErrorBody } from './jsonrpc.ts';
import { type NormalizedTarget, normalizeTarget, type PathRefusal } from './path.ts';
import {
  type CompiledRule,
  type GatewayRules,
  matchesCall,
  type PermissionQuery,
  type RouteMatch,
  routeMatches,
} from './rules.ts';
import type { GatewayVerdict, GatewayVerifier } from './verifiers.ts';

export interface GatewayOptions {
  /** The API behind the gateway: `http://127.0.0.1:3030` (a path prefix is kept). */
  upstream: string;
  rules: GatewayRules;
  verifier: GatewayVerifier;
  /** Take the client's address from X-Forwarded-For (only behind a proxy you run). */
  trustProxy?: boolean;
  logger?: FastifyServerOptions['logger'];
  /** Connections kept open to the upstream. Default 128. */
  upstreamConnections?: number;
  /** Longest wait for the upstream's answer headers, and between body chunks. Default 300 s. */
  upstreamTimeoutMs?: number;
  /** The `realm` of WWW-Authenticate. Default `latchkey`. */
  realm?: string;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** What a request (or each call of a JSON-RPC batch) needs, as one of the rules said. */
interface Need {
  rule: CompiledRule;
  /** The resource to check; null when the rule names one the request does not give. */
  resource: string | undefined | null;
}

interface Refusal {
  status: number;
  code: string;
  rpcCode: number;
  message: string;
  details?: unknown;
  headers?: Record<string, string>;
}

type Decision =
  | { ok: true; identity: { tokenId: string; orgId: string } | null }
  | { ok: false; refusal: Refusal };

/** The token of a request: `Bearer <token>` in Authorization, or the bare value (or Bearer) in another header. */
function readToken(headers: IncomingHttpHeaders, header: string): string | undefined {
  const raw = headers[header];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return undefined;
  const bearer = readBearer(value);
  if (bearer !== undefined) return bearer;
  return header === 'authorization' ? undefined : value.trim() || undefined;
}

function resolveResource(rule: CompiledRule, params: Record<string, string>, headers: IncomingHttpHeaders) {
  const spec = rule.resource;
  if (spec === null) return undefined;
  if (spec.kind === 'fixed') return spec.id;
  let value: string | undefined;
  if (spec.kind === 'param') value = params[spec.name];
  else {
    const raw = headers[spec.name];
    value = Array.isArray(raw) ? raw[0] : raw;
  }
  if (value === undefined || value === '') return null;
  if (spec.map === null) return value;
  return Object.hasOwn(spec.map, value) ? spec.map[value] : null;
}

/**
 * Builds the gateway (not listening). Every request is matched against the rules in order; the first
 * rule that applies decides. A request no rule allows is refused.
 */
export async function buildGateway(options: GatewayOptions): Promise<FastifyInstance> {
  const { rules, verifier } = options;
  const realm = options.realm ?? 'latchkey';
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') {
    throw new TypeError(`the upstream must be an http:// or https:// URL, not ${options.upstream}`);
  }
  const prefix = upstream.pathname.replace(/\/+$/, '');
  const identityHeaders = [rules.identityHeaders.tokenId, rules.identityHeaders.orgId];

  const app = Fastify({
    logger: options.logger ?? false,
    // --trust-proxy believes the one hop in front (the address it appended), never the left end of
    // X-Forwarded-For, which the client writes: the address goes to verify as the end client's `ip`.
    trustProxy: options.trustProxy ? (_address: string, hop: number) => hop < 1 : false,
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    routerOptions: { maxParamLength: 16 * 1024 },
    return503OnClosing: true,
    // Fastify's router refuses some paths before any handler (a "%" without two hex digits, encoded
    // bytes that are not UTF-8): answered like every other refusal of the gateway.
    frameworkErrors: (error, request, reply) => {
      if (error.code === 'FST_ERR_BAD_URL') {
        const target = normalizeTarget(request.raw.url ?? '/');
        const refusal = target.ok
          ? { reason: 'INVALID_PERCENT_ENCODING' as const, message: 'The request path cannot be decoded' }
          : target;
        return refuse(request, reply, pathRefused(refusal), null);
      }
      return refuse(
        request,
        reply,
        {
          status: error.statusCode ?? 400,
          code: 'VALIDATION_FAILED',
          rpcCode: rpcCodes.INVALID_REQUEST,
          message: error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'The request path is too long' : error.message,
        },
        null,
      );
    },
  });

  // No parsing: the body stays a stream, forwarded as it arrives unless a JSON-RPC rule must read it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  await app.register(replyFrom, {
    base: upstream.origin,
    disableRequestLogging: true,
    retryMethods: [],
    maxRetriesOn503: 0,
    undici: {
      connections: options.upstreamConnections ?? 128,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: options.upstreamTimeoutMs ?? 300_000,
      bodyTimeout: options.upstreamTimeoutMs ?? 300_000,
    },
  });

  const unauthenticated = (message: string, invalid: boolean): Refusal => ({
    status: 401,
    code: 'UNAUTHENTICATED',
    rpcCode: rpcCodes.UNAUTHENTICATED,
    message,
    headers: { 'www-authenticate': `Bearer realm="${realm}"${invalid ? ', error="invalid_token"' : ''}` },
  });
  const forbidden = (message: string, details: unknown): Refusal => ({
    status: 403,
    code: 'FORBIDDEN',
    rpcCode: rpcCodes.FORBIDDEN,
    message,
    details,
    headers: { 'www-authenticate': `Bearer realm="${realm}", error="insufficient_scope"` },
  });

  /** A path the gateway will not guess at (path.ts): 400, whatever the rules say. */
  const pathRefused = (refusal: { reason: PathRefusal; message: string }): Refusal => ({
    status: 400,
    code: 'VALIDATION_FAILED',
    rpcCode: rpcCodes.INVALID_REQUEST,
    message: refusal.message,
    details: { field: 'path', reason: refusal.reason },
  });

  function refusalOf(
    verdict: Exclude<GatewayVerdict, { ok: true }>,
    need: Need,
    permission: unknown,
  ): Refusal {
    switch (verdict.code) {
      case 'FORBIDDEN':
        return forbidden('The token lacks the permission this request needs', {
          reason: 'FORBIDDEN',
          permission,
        });
      case 'RESOURCE_FORBIDDEN':
        return forbidden('The token is not allowed on the resource this request touches', {
          reason: 'RESOURCE_FORBIDDEN',
          resource: need.resource,
          rule: need.rule.name,
        });
      case 'RATE_LIMITED':
        return {
          status: 429,
          code: 'RATE_LIMITED',
          rpcCode: rpcCodes.RATE_LIMITED,
          message: 'The token has made too many requests',
        };
      case 'THROTTLED':
        return {
          status: 429,
          code: 'RATE_LIMITED',
          rpcCode: rpcCodes.RATE_LIMITED,
          message: 'Too many failed attempts; try again later',
          headers: { 'retry-after': String(verdict.retryAfterSeconds) },
        };
      case 'UNAVAILABLE':
        return {
          status: 503,
          code: 'UNAVAILABLE',
          rpcCode: rpcCodes.UNAVAILABLE,
          message: 'Token verification is unavailable',
        };
      default:
        // Malformed, unknown, expired, revoked, or from an address it does not allow: one answer for all.
        return unauthenticated('The bearer token is not valid', true);
    }
  }

  /** Decides a set of needs together: every one must pass (a batch passes whole or not at all). */
  async function decide(needs: Need[], token: string | undefined, ip: string): Promise<Decision> {
    const denied = needs.find((n) => n.rule.access.type === 'deny');
    if (denied) {
      return {
        ok: false,
        refusal: forbidden('A rule refuses this request', { reason: 'DENIED', rule: denied.rule.name }),
      };
    }
    const checked = needs.filter((n) => n.rule.access.type !== 'public');
    if (checked.length === 0) return { ok: true, identity: null };
    if (token === undefined)
      return { ok: false, refusal: unauthenticated('A bearer token is required', false) };
    const unresolved = checked.find((n) => n.resource === null);
    if (unresolved) {
      const spec = unresolved.rule.resource;
      const where =
        spec?.kind === 'header'
          ? `header ${spec.name}`
          : spec?.kind === 'param'
            ? `path segment :${spec.name}`
            : '';
      return {
        ok: false,
        refusal: forbidden(`The request names no resource this gateway knows (${where})`, {
          reason: 'RESOURCE_FORBIDDEN',
          rule: unresolved.rule.name,
        }),
      };
    }
    // One question per resource: the permissions every call on it needs, all at once.
    const groups = new Map<string, { need: Need; keys: Set<string>; queries: PermissionQuery[] }>();
    for (const need of checked) {
      const key = need.resource ?? '';
      let group = groups.get(key);
      if (group === undefined) {
        group = { need, keys: new Set(), queries: [] };
        groups.set(key, group);
      }
      const access = need.rule.access;
      if (access.type !== 'permission') continue;
      if (typeof access.permission === 'string') group.keys.add(access.permission);
      else group.queries.push(access.permission);
    }
    let identity: { tokenId: string; orgId: string } | null = null;
    for (const group of groups.values()) {
      const questions: Array<PermissionQuery | undefined> = [];
      if (group.keys.size === 1) questions.push([...group.keys][0]);
      else if (group.keys.size > 1) questions.push({ all: [...group.keys] });
      questions.push(...group.queries);
      if (questions.length === 0) questions.push(undefined);
      for (const permission of questions) {
        const resource = group.need.resource ?? undefined;
        const verdict = await verifier.verify(token, {
          ip,
          ...(permission === undefined ? {} : { permission }),
          ...(resource === undefined ? {} : { resource }),
        });
        if (!verdict.ok) {
          return { ok: false, refusal: refusalOf(verdict, group.need, permission ?? null) };
        }
        identity = { tokenId: verdict.tokenId, orgId: verdict.orgId };
      }
    }
    return { ok: true, identity };
  }

  function refuse(request: FastifyRequest, reply: FastifyReply, refusal: Refusal, rpc: RpcContext | null) {
    reply.code(refusal.status);
    if (refusal.headers) reply.headers(refusal.headers);
    reply.header('content-type', 'application/json; charset=utf-8');
    if (rpc !== null) {
      return reply.send(
        rpcErrorBody(rpc.calls, rpc.batch, {
          rpcCode: refusal.rpcCode,
          code: refusal.code,
          message: refusal.message,
          ...(refusal.details === undefined ? {} : { details: refusal.details }),
        }),
      );
    }
    return reply.send(
      JSON.stringify({
        error: {
          code: refusal.code,
          message: refusal.message,
          details: refusal.details ?? null,
          requestId: request.id,
        },
      }),
    );
  }

  interface RpcContext {
    calls: JsonRpcCall[] | null;
    batch: boolean;
  }

  /**
   * Sends the request on: to exactly the normalized path the rules matched (under the upstream's
   * prefix), with the query as the client sent it. Nothing is taken again from the raw URL.
   */
  function forward(
    request: FastifyRequest,
    reply: FastifyReply,
    target: NormalizedTarget,
    identity: { tokenId: string; orgId: string } | null,
    body: Buffer | undefined,
    rpc: RpcContext | null,
  ) {
    const source = prefix + target.path;
    const clientIp = request.ip;
    return reply.from(source, {
      queryString: () => target.query ?? '',
      ...(body === undefined
        ? {}
        : { body, contentType: String(request.headers['content-type'] ?? 'application/json') }),
      rewriteRequestHeaders: (_request, headers) => {
        // The token is the client's secret with Latchkey: the upstream never sees it.
        delete headers[rules.tokenHeader];
        if (rules.tokenHeader !== 'authorization') {
          const auth = headers.authorization;
          if (typeof auth === 'string' && /^Bearer[ \t]/i.test(auth)) delete headers.authorization;
        }
        // Identity headers are the gateway's word: whatever the client sent under those names goes.
        for (const name of Object.keys(headers)) {
          if (name.startsWith('x-latchkey-') || identityHeaders.includes(name)) delete headers[name];
        }
        if (identity !== null) {
          headers[rules.identityHeaders.tokenId] = identity.tokenId;
          headers[rules.identityHeaders.orgId] = identity.orgId;
        }
        if (body !== undefined) delete headers['transfer-encoding'];
        const forwardedFor = headers['x-forwarded-for'];
        headers['x-forwarded-for'] =
          options.trustProxy && typeof forwardedFor === 'string'
            ? `${forwardedFor}, ${request.socket.remoteAddress ?? clientIp}`
            : clientIp;
        headers['x-forwarded-proto'] ??= request.protocol;
        const host = request.headers.host;
        if (host !== undefined) headers['x-forwarded-host'] ??= host;
        return headers;
      },
      onError: (errorReply, { error }) => {
        const status = (error as { statusCode?: number }).statusCode === 504 ? 504 : 502;
        request.log.warn({ err: error }, 'upstream request failed');
        const refusal: Refusal =
          status === 504
            ? {
                status,
                code: 'GATEWAY_TIMEOUT',
                rpcCode: rpcCodes.GATEWAY_TIMEOUT,
                message: 'The upstream did not answer in time',
              }
            : {
                status,
                code: 'BAD_GATEWAY',
                rpcCode: rpcCodes.BAD_GATEWAY,
                message: 'The upstream could not be reached',
              };
        refuse(request, errorReply as FastifyReply, refusal, rpc);
      },
    });
  }

  async function handle(request: FastifyRequest, reply: FastifyReply) {
    // One reading of the path: the rules match it, and it alone is forwarded.
    const target = normalizeTarget(request.raw.url ?? '/');
    if (!target.ok) return refuse(request, reply, pathRefused(target), null);
    const path = target.path;
    const matches = routeMatches(rules, request.method, path);
    const token = readToken(request.headers, rules.tokenHeader);
    const ip = request.ip;
    const stream = request.body as Readable | undefined;
    const rpcCandidate = stream !== undefined && matches.some((m) => m.rule.jsonrpc !== null);

    if (!rpcCandidate) {
      const match = matches.find((m) => m.rule.jsonrpc === null);
      if (match === undefined) {
        return refuse(
          request,
          reply,
          forbidden('No rule of this gateway allows this request', {
            reason: 'NO_RULE',
            method: request.method,
            path,
          }),
          null,
        );
      }
      const decision = await decide([needOf(match, request.headers)], token, ip);
      if (!decision.ok) return refuse(request, reply, decision.refusal, null);
      return forward(request, reply, target, decision.identity, undefined, null);
    }

    // A JSON-RPC rule applies: the body must be read to judge it, up to the cap.
    const body = await readCapped(stream, rules.maxJsonRpcBodyBytes);
    if (body === null) {
      reply.header('connection', 'close');
      return refuse(
        request,
        reply,
        {
          status: 413,
          code: 'PAYLOAD_TOO_LARGE',
          rpcCode: rpcCodes.INVALID_REQUEST,
          message: `A JSON-RPC body is judged whole and may not exceed ${rules.maxJsonRpcBodyBytes} bytes`,
        },
        { calls: null, batch: false },
      );
    }
    const parsed = parseJsonRpc(body);
    if (!parsed.ok) {
      return refuse(
        request,
        reply,
        { status: parsed.status, code: parsed.code, rpcCode: parsed.rpcCode, message: parsed.message },
        { calls: null, batch: false },
      );
    }
    const rpc: RpcContext = { calls: parsed.calls, batch: parsed.batch };
    const needs: Need[] = [];
    for (const [i, call] of parsed.calls.entries()) {
      const match = matches.find((m) => matchesCall(m.rule, call));
      if (match === undefined) {
        return refuse(
          request,
          reply,
          forbidden(
            parsed.batch
              ? `No rule of this gateway allows the call "${call.method}" (the whole batch is refused)`
              : `No rule of this gateway allows the call "${call.method}"`,
            { reason: 'NO_RULE', method: call.method, ...(parsed.batch ? { index: i } : {}) },
          ),
          rpc,
        );
      }
      needs.push(needOf(match, request.headers));
    }
    const decision = await decide(needs, token, ip);
    if (!decision.ok) return refuse(request, reply, decision.refusal, rpc);
    return forward(request, reply, target, decision.identity, body, rpc);
  }

  function needOf(match: RouteMatch, headers: IncomingHttpHeaders): Need {
    return { rule: match.rule, resource: resolveResource(match.rule, match.params, headers) };
  }

  app.route({ method: METHODS, url: '/*', handler: handle });
  app.addHook('onClose', async () => verifier.close());
  return app;
}
