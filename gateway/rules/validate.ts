// Validation: a parsed rules file (load.ts) checked whole, every problem reported with its line, and
// compiled into the rules the gateway matches (match.ts).
import { basename } from 'node:path';
import { isPermissionKey, type PermissionQuery } from '@latchkey/sdk/rules';
import { type DocPath, parseFile, type RulesSource } from './load.ts';
import { compilePath, glob, isRecord, isSegmentName } from './match.ts';
import {
  type CompiledRule,
  type CorsPolicy,
  type GatewayRules,
  type JsonRpcErrorStyle,
  type JsonRpcMatcher,
  type ResourceSpec,
  type RuleAccess,
  type RuleProblem,
  RulesError,
  type ValueMatcher,
} from './types.ts';

const DEFAULT_MAX_JSONRPC_BODY = 1024 * 1024;
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const RESOURCE_ID = /^res_[0-9A-Za-z_-]+$/;
const JSONRPC_ERROR_STYLES: readonly JsonRpcErrorStyle[] = ['standard', 'nearcore'];
/** Longest a browser may cache a preflight: a day (Firefox's own cap; Chromium stops at two hours). */
const MAX_CORS_MAX_AGE = 86_400;
const DEFAULT_CORS_MAX_AGE = 600;
const DEFAULT_CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

const showPath = (path: DocPath) =>
  path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part),
    '',
  );

interface Ctx {
  problems: Array<{ path: DocPath; message: string; key?: boolean }>;
  /** How the rules' path patterns compare letters (the main file's `caseInsensitivePaths`). */
  caseInsensitivePaths: boolean;
}

function only(ctx: Ctx, value: Record<string, unknown>, path: DocPath, allowed: string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      ctx.problems.push({
        path: [...path, key],
        message: `unknown key "${key}" (expected one of: ${allowed.join(', ')})`,
        key: true,
      });
    }
  }
}

function stringOrList(ctx: Ctx, value: unknown, path: DocPath, what: string): string[] | null {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v) => typeof v === 'string' && v.length > 0)) {
    ctx.problems.push({ path, message: `must be ${what} or a non-empty list of them` });
    return null;
  }
  return list as string[];
}

function parsePermission(ctx: Ctx, value: unknown, path: DocPath): PermissionQuery | null {
  const key = (v: unknown, p: DocPath): string | null => {
    if (!isPermissionKey(v)) {
      ctx.problems.push({
        path: p,
        message: `${JSON.stringify(v)} is not a permission key (like "blocks:read")`,
      });
      return null;
    }
    return v;
  };
  if (typeof value === 'string') return key(value, path);
  if (isRecord(value)) {
    const names = Object.keys(value);
    const op = names[0];
    if (names.length === 1 && (op === 'all' || op === 'any')) {
      const list = value[op];
      if (!Array.isArray(list) || list.length === 0) {
        ctx.problems.push({ path: [...path, op], message: 'must be a non-empty list of permission keys' });
        return null;
      }
      const keys = list.map((v, i) => key(v, [...path, op, i]));
      if (keys.some((k) => k === null)) return null;
      return op === 'all' ? { all: keys as string[] } : { any: keys as string[] };
    }
  }
  ctx.problems.push({
    path,
    message: 'must be a permission key, {all: [keys]} or {any: [keys]}',
  });
  return null;
}

function parseMap(ctx: Ctx, value: unknown, path: DocPath): Record<string, string> | null | undefined {
  if (value === undefined) return null;
  if (!isRecord(value) || Object.keys(value).length === 0) {
    ctx.problems.push({ path, message: 'must map values to resource ids ({"testnet-1": "res_…"})' });
    return undefined;
  }
  let ok = true;
  for (const [name, id] of Object.entries(value)) {
    if (typeof id !== 'string' || !RESOURCE_ID.test(id)) {
      ctx.problems.push({
        path: [...path, name],
        message: `${JSON.stringify(id)} is not a resource id (res_…)`,
      });
      ok = false;
    }
  }
  return ok ? (value as Record<string, string>) : undefined;
}

function parseResource(ctx: Ctx, value: unknown, path: DocPath): ResourceSpec | null | undefined {
  if (typeof value === 'string') {
    if (!RESOURCE_ID.test(value)) {
      ctx.problems.push({ path, message: `${JSON.stringify(value)} is not a resource id (res_…)` });
      return undefined;
    }
    return { kind: 'fixed', id: value };
  }
  if (isRecord(value)) {
    only(ctx, value, path, ['param', 'header', 'map']);
    const hasParam = value.param !== undefined;
    const hasHeader = value.header !== undefined;
    if (hasParam === hasHeader) {
      ctx.problems.push({ path, message: 'takes exactly one of "param" (a path segment) or "header"' });
      return undefined;
    }
    const map = parseMap(ctx, value.map, [...path, 'map']);
    if (map === undefined) return undefined;
    if (hasParam) {
      if (!isSegmentName(value.param)) {
        ctx.problems.push({
          path: [...path, 'param'],
          message: 'must name a ":segment" of the path pattern',
        });
        return undefined;
      }
      return { kind: 'param', name: value.param, map };
    }
    if (typeof value.header !== 'string' || !HEADER_NAME.test(value.header)) {
      ctx.problems.push({ path: [...path, 'header'], message: 'must be a header name' });
      return undefined;
    }
    return { kind: 'header', name: value.header.toLowerCase(), map };
  }
  ctx.problems.push({
    path,
    message:
      'must be a resource id ("res_…"), {param: "<segment>"} or {header: "<name>"} (optionally with a map)',
  });
  return undefined;
}

function parseValueMatcher(ctx: Ctx, value: unknown, path: DocPath): ValueMatcher | null {
  const one = (v: unknown, p: DocPath): ValueMatcher | null => {
    if (typeof v === 'string') {
      const test = glob(v);
      return (actual) => typeof actual === 'string' && test(actual);
    }
    if (typeof v === 'number' || typeof v === 'boolean' || v === null) return (actual) => actual === v;
    ctx.problems.push({
      path: p,
      message: 'must be a string (with * as wildcard), a number, a boolean or null',
    });
    return null;
  };
  if (Array.isArray(value)) {
    if (value.length === 0) {
      ctx.problems.push({ path, message: 'an empty list matches nothing' });
      return null;
    }
    const tests = value.map((v, i) => one(v, [...path, i]));
    if (tests.some((t) => t === null)) return null;
    return (actual) => tests.some((t) => t?.(actual));
  }
  return one(value, path);
}

function parseJsonRpc(ctx: Ctx, value: unknown, path: DocPath): JsonRpcMatcher | undefined {
  if (value === true) return { method: null, params: [] };
  if (!isRecord(value)) {
    ctx.problems.push({ path, message: 'must be true (any call) or {method?, params?}' });
    return undefined;
  }
  only(ctx, value, path, ['method', 'params']);
  let method: JsonRpcMatcher['method'] = null;
  if (value.method !== undefined) {
    const list = stringOrList(ctx, value.method, [...path, 'method'], 'a method name (with * as wildcard)');
    if (list === null) return undefined;
    const tests = list.map(glob);
    method = (m) => tests.some((t) => t(m));
  }
  const params: Array<{ path: string[]; test: ValueMatcher }> = [];
  if (value.params !== undefined) {
    if (!isRecord(value.params)) {
      ctx.problems.push({
        path: [...path, 'params'],
        message: 'must map params fields ("request_type", "0", "a.b") to the values they must hold',
      });
      return undefined;
    }
    for (const [field, expected] of Object.entries(value.params)) {
      const test = parseValueMatcher(ctx, expected, [...path, 'params', field]);
      if (test === null) return undefined;
      params.push({ path: field.split('.'), test });
    }
  }
  return { method, params };
}

function headerList(ctx: Ctx, value: unknown, path: DocPath): string[] | null {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && HEADER_NAME.test(v))) {
    ctx.problems.push({ path, message: 'must be a list of header names' });
    return null;
  }
  return [...new Set(value.map((v: string) => v.toLowerCase()))];
}

/** `https://app.example.com` as browsers send it in `Origin`, or why the value is not one. */
function originOf(value: unknown): { origin: string } | { problem: string } {
  if (typeof value !== 'string' || value === '')
    return { problem: 'must be an origin like "https://app.example.com"' };
  if (value === '*' || value === 'null') {
    return {
      problem: `${JSON.stringify(value)} is not allowed: name each origin whose pages may call through the gateway`,
    };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `${JSON.stringify(value)} is not an origin (scheme://host[:port])` };
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== value.toLowerCase()) {
    return {
      problem: `${JSON.stringify(value)} is not an origin: write scheme://host[:port] (http or https), without a path or a trailing slash`,
    };
  }
  return { origin: url.origin };
}

/** The `cors` section, without the token header (added once the whole file is read). */
function parseCors(ctx: Ctx, value: unknown): CorsPolicy | null {
  const path: DocPath = ['cors'];
  if (!isRecord(value)) {
    ctx.problems.push({
      path,
      message: 'must be {origins: [...], credentials?, methods?, allowHeaders?, exposeHeaders?, maxAge?}',
    });
    return null;
  }
  const before = ctx.problems.length;
  only(ctx, value, path, ['origins', 'credentials', 'methods', 'allowHeaders', 'exposeHeaders', 'maxAge']);
  const origins = new Set<string>();
  if (!Array.isArray(value.origins) || value.origins.length === 0) {
    ctx.problems.push({
      path: [...path, 'origins'],
      message: 'must be a non-empty list of origins ("https://app.example.com")',
    });
  } else {
    value.origins.forEach((item, i) => {
      const parsed = originOf(item);
      if ('problem' in parsed) ctx.problems.push({ path: [...path, 'origins', i], message: parsed.problem });
      else origins.add(parsed.origin);
    });
  }
  if (value.credentials !== undefined && typeof value.credentials !== 'boolean') {
    ctx.problems.push({
      path: [...path, 'credentials'],
      message: 'must be true (the browser may send its cookies) or false (the default)',
    });
  }
  let methods = DEFAULT_CORS_METHODS;
  if (value.methods !== undefined) {
    const list = Array.isArray(value.methods) ? value.methods : [value.methods];
    const upper = list.map((m) => (typeof m === 'string' ? m.toUpperCase() : m));
    if (upper.length === 0 || !upper.every((m) => typeof m === 'string' && HTTP_METHODS.has(m))) {
      ctx.problems.push({
        path: [...path, 'methods'],
        message: `must be a non-empty list of HTTP methods (${[...HTTP_METHODS].join(', ')})`,
      });
    } else methods = [...new Set(upper as string[])];
  }
  const allowHeaders = headerList(ctx, value.allowHeaders, [...path, 'allowHeaders']);
  const exposeHeaders = headerList(ctx, value.exposeHeaders, [...path, 'exposeHeaders']);
  let maxAgeSeconds = DEFAULT_CORS_MAX_AGE;
  if (value.maxAge !== undefined) {
    const age = value.maxAge;
    if (typeof age !== 'number' || !Number.isInteger(age) || age < 0 || age > MAX_CORS_MAX_AGE) {
      ctx.problems.push({
        path: [...path, 'maxAge'],
        message: `must be a whole number of seconds from 0 to ${MAX_CORS_MAX_AGE}`,
      });
    } else maxAgeSeconds = age;
  }
  if (ctx.problems.length > before || allowHeaders === null || exposeHeaders === null) return null;
  return {
    origins,
    credentials: value.credentials === true,
    methods,
    allowHeaders,
    exposeHeaders,
    maxAgeSeconds,
  };
}

interface RawRule {
  rule: Omit<CompiledRule, 'source' | 'resource'> & { resource: ResourceSpec | null | 'default' };
  path: DocPath;
}

function parseRule(ctx: Ctx, value: unknown, path: DocPath, index: number): RawRule | null {
  if (!isRecord(value)) {
    ctx.problems.push({
      path,
      message: 'a rule is an object: {match, permission | authenticated | public | deny}',
    });
    return null;
  }
  const before = ctx.problems.length;
  only(ctx, value, path, ['name', 'match', 'permission', 'authenticated', 'public', 'deny', 'resource']);
  if (value.name !== undefined && typeof value.name !== 'string') {
    ctx.problems.push({ path: [...path, 'name'], message: 'must be a string' });
  }
  const match = value.match ?? {};
  let methods: Set<string> | null = null;
  let compiled: { re: RegExp; names: string[] } = { re: /^/, names: [] };
  let jsonrpc: JsonRpcMatcher | null = null;
  if (!isRecord(match)) {
    ctx.problems.push({ path: [...path, 'match'], message: 'must be an object {method?, path?, jsonrpc?}' });
  } else {
    only(ctx, match, [...path, 'match'], ['method', 'path', 'jsonrpc']);
    if (match.method !== undefined) {
      const list = stringOrList(ctx, match.method, [...path, 'match', 'method'], 'an HTTP method');
      if (list !== null) {
        const upper = list.map((m) => m.toUpperCase());
        if (!upper.includes('*')) {
          const unknown = upper.filter((m) => !HTTP_METHODS.has(m));
          if (unknown.length > 0) {
            ctx.problems.push({
              path: [...path, 'match', 'method'],
              message: `unknown HTTP method ${unknown.join(', ')} (${[...HTTP_METHODS].join(', ')} or *)`,
            });
          }
          methods = new Set(upper);
        }
      }
    }
    const pattern = match.path ?? '/**';
    if (typeof pattern !== 'string') {
      ctx.problems.push({
        path: [...path, 'match', 'path'],
        message: 'must be a path pattern like /shards/:shard/**',
      });
    } else {
      const result = compilePath(pattern, ctx.caseInsensitivePaths);
      if (typeof result === 'string') {
        ctx.problems.push({
          path: [...path, 'match', 'path'],
          message: `${JSON.stringify(pattern)}: ${result}`,
        });
      } else compiled = result;
    }
    if (match.jsonrpc !== undefined)
      jsonrpc = parseJsonRpc(ctx, match.jsonrpc, [...path, 'match', 'jsonrpc']) ?? null;
  }

  const chosen = (['permission', 'authenticated', 'public', 'deny'] as const).filter(
    (k) => value[k] !== undefined,
  );
  let access: RuleAccess | null = null;
  if (chosen.length !== 1) {
    ctx.problems.push({
      path,
      message:
        chosen.length === 0
          ? 'says nothing about access: give "permission", or "authenticated: true" (any valid token), "public: true" or "deny: true"'
          : `takes only one of ${chosen.join(', ')}`,
    });
  } else if (chosen[0] === 'permission') {
    const permission = parsePermission(ctx, value.permission, [...path, 'permission']);
    if (permission !== null) access = { type: 'permission', permission };
  } else {
    const flag = chosen[0] as 'authenticated' | 'public' | 'deny';
    if (value[flag] !== true) ctx.problems.push({ path: [...path, flag], message: 'must be true' });
    else access = { type: flag };
  }

  let resource: ResourceSpec | null | 'default' = 'default';
  if (value.resource !== undefined) {
    if (access !== null && access.type !== 'permission' && access.type !== 'authenticated') {
      ctx.problems.push({ path: [...path, 'resource'], message: `a ${access.type} rule checks no resource` });
    }
    const parsed = value.resource === null ? null : parseResource(ctx, value.resource, [...path, 'resource']);
    if (parsed !== undefined) resource = parsed;
    if (parsed && parsed.kind === 'param' && !compiled.names.includes(parsed.name)) {
      ctx.problems.push({
        path: [...path, 'resource', 'param'],
        message: `the path pattern has no segment ":${parsed.name}"`,
      });
    }
  }
  if (ctx.problems.length > before || access === null) return null;
  return {
    rule: {
      index,
      name: typeof value.name === 'string' ? value.name : `rule ${index + 1}`,
      methods,
      path: compiled.re,
      paramNames: compiled.names,
      jsonrpc,
      access,
      resource,
    },
    path,
  };
}

export interface ParseOptions {
  /** Rules appended after the file's own (a preset the file builds on). */
  extraRules?: RulesSource[];
  /** A resource every rule without its own checks (overrides the file's default). */
  resource?: string;
}

/**
 * Parses and validates a rules file (and the preset files it is combined with) into matchers.
 * Throws a {@link RulesError} listing every problem with its line.
 */
export function parseRules(main: RulesSource, options: ParseOptions = {}): GatewayRules {
  const sources = [main, ...(options.extraRules ?? [])];
  const problems: RuleProblem[] = [];
  const rules: CompiledRule[] = [];
  const permissions: Array<{ key: string; source: string }> = [];
  let tokenHeader = 'authorization';
  let identityHeaders = { tokenId: 'x-latchkey-token-id', orgId: 'x-latchkey-org-id' };
  let maxJsonRpcBodyBytes = DEFAULT_MAX_JSONRPC_BODY;
  // The main file's error style, else the first preset's that names one (near-rpc names nearcore).
  let jsonRpcErrors: JsonRpcErrorStyle | undefined;
  let presetJsonRpcErrors: JsonRpcErrorStyle | undefined;
  let cors: CorsPolicy | null = null;
  // Safer by default: see docs/decisions.md, "Gateway paths: case-insensitive matching by default".
  let caseInsensitivePaths = true;
  // A --resource given at start wins; then the file's own default; a preset inherits the main file's.
  const forced: ResourceSpec | null =
    options.resource === undefined ? null : { kind: 'fixed', id: options.resource };
  let inherited: ResourceSpec | null = null;

  sources.forEach((source, sourceIndex) => {
    const parsed = parseFile(source);
    if (parsed.problems.length > 0) {
      problems.push(...parsed.problems);
      return;
    }
    const ctx: Ctx = { problems: [], caseInsensitivePaths };
    const doc = parsed.value;
    const isMain = sourceIndex === 0;
    let fileResource: ResourceSpec | null = null;
    if (!isRecord(doc)) {
      ctx.problems.push({ path: [], message: 'the file must hold an object with a "rules" list' });
    } else {
      only(
        ctx,
        doc,
        [],
        [
          'version',
          'token',
          'identityHeaders',
          'jsonrpc',
          'caseInsensitivePaths',
          'cors',
          'resource',
          'rules',
        ],
      );
      if (doc.version !== undefined && doc.version !== 1) {
        ctx.problems.push({ path: ['version'], message: 'the only version is 1' });
      }
      if (doc.token !== undefined) {
        if (!isRecord(doc.token))
          ctx.problems.push({ path: ['token'], message: 'must be {header: "<name>"}' });
        else {
          only(ctx, doc.token, ['token'], ['header']);
          const header = doc.token.header;
          if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
            ctx.problems.push({ path: ['token', 'header'], message: 'must be a header name' });
          } else if (isMain) tokenHeader = header.toLowerCase();
        }
      }
      if (doc.identityHeaders !== undefined) {
        if (!isRecord(doc.identityHeaders)) {
          ctx.problems.push({ path: ['identityHeaders'], message: 'must be {tokenId?, orgId?}' });
        } else {
          only(ctx, doc.identityHeaders, ['identityHeaders'], ['tokenId', 'orgId']);
          const next = { ...identityHeaders };
          for (const key of ['tokenId', 'orgId'] as const) {
            const header = doc.identityHeaders[key];
            if (header === undefined) continue;
            if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
              ctx.problems.push({ path: ['identityHeaders', key], message: 'must be a header name' });
            } else next[key] = header.toLowerCase();
          }
          if (isMain) identityHeaders = next;
        }
      }
      if (doc.jsonrpc !== undefined) {
        if (!isRecord(doc.jsonrpc))
          ctx.problems.push({ path: ['jsonrpc'], message: 'must be {maxBodyBytes?, errors?}' });
        else {
          only(ctx, doc.jsonrpc, ['jsonrpc'], ['maxBodyBytes', 'errors']);
          const errors = doc.jsonrpc.errors;
          if (errors !== undefined) {
            if (!JSONRPC_ERROR_STYLES.includes(errors as JsonRpcErrorStyle)) {
              ctx.problems.push({
                path: ['jsonrpc', 'errors'],
                message: `must be one of: ${JSONRPC_ERROR_STYLES.join(', ')}`,
              });
            } else if (isMain) jsonRpcErrors = errors as JsonRpcErrorStyle;
            else presetJsonRpcErrors ??= errors as JsonRpcErrorStyle;
          }
          const max = doc.jsonrpc.maxBodyBytes;
          if (max !== undefined) {
            if (typeof max !== 'number' || !Number.isInteger(max) || max < 2 || max > 64 * 1024 * 1024) {
              ctx.problems.push({
                path: ['jsonrpc', 'maxBodyBytes'],
                message: 'must be a whole number of bytes up to 67108864 (64 MB)',
              });
            } else if (isMain) maxJsonRpcBodyBytes = max;
          }
        }
      }
      if (doc.caseInsensitivePaths !== undefined) {
        if (typeof doc.caseInsensitivePaths !== 'boolean') {
          ctx.problems.push({
            path: ['caseInsensitivePaths'],
            message: 'must be true (paths match whatever their letter case) or false (exactly)',
          });
        } else if (isMain) {
          // Read before the rules below, which are compiled with it; presets follow the main file.
          caseInsensitivePaths = doc.caseInsensitivePaths;
          ctx.caseInsensitivePaths = caseInsensitivePaths;
        }
      }
      if (doc.cors !== undefined) {
        // Only the rules file opens the gateway to other origins: a preset never does.
        if (!isMain) {
          ctx.problems.push({ path: ['cors'], message: 'is read from the main rules file only' });
        } else cors = parseCors(ctx, doc.cors);
      }
      if (doc.resource !== undefined && doc.resource !== null) {
        const parsedResource = parseResource(ctx, doc.resource, ['resource']);
        if (parsedResource && parsedResource.kind === 'param') {
          ctx.problems.push({
            path: ['resource'],
            message: 'a default resource cannot come from a path segment',
          });
        } else if (parsedResource) fileResource = parsedResource;
      }
      if (!Array.isArray(doc.rules)) {
        ctx.problems.push({
          path: doc.rules === undefined ? [] : ['rules'],
          message: doc.rules === undefined ? 'no "rules" list' : '"rules" must be a list',
        });
      } else if (doc.rules.length === 0 && sources.length === 1) {
        ctx.problems.push({ path: ['rules'], message: 'is empty: every request would be refused' });
      } else {
        doc.rules.forEach((raw, i) => {
          const parsedRule = parseRule(ctx, raw, ['rules', i], rules.length);
          if (parsedRule === null) return;
          const line = parsed.lineOf(['rules', i]);
          const where = `${basename(source.name)}${line === null ? '' : ` line ${line}`}`;
          const resource =
            parsedRule.rule.resource === 'default'
              ? (forced ?? fileResource ?? inherited)
              : parsedRule.rule.resource;
          const rule: CompiledRule = { ...parsedRule.rule, index: rules.length, resource, source: where };
          rules.push(rule);
          if (rule.access.type === 'permission') {
            const p = rule.access.permission;
            const keys = typeof p === 'string' ? [p] : 'all' in p ? p.all : p.any;
            for (const key of keys) permissions.push({ key, source: where });
          }
        });
      }
    }
    if (isMain) inherited = fileResource;
    for (const problem of ctx.problems) {
      problems.push({
        file: source.name,
        line: parsed.lineOf(problem.path, problem.key === true),
        path: showPath(problem.path),
        message: problem.message,
      });
    }
  });
  if (problems.length > 0) throw new RulesError(problems);
  // A page must be allowed to send the token (and a JSON body), whatever else the file lists.
  // (Assigned in the callback above, which TypeScript's narrowing does not follow.)
  const policy = cors as CorsPolicy | null;
  if (policy !== null) {
    cors = { ...policy, allowHeaders: [...new Set([tokenHeader, 'content-type', ...policy.allowHeaders])] };
  }
  return {
    rules,
    tokenHeader,
    identityHeaders,
    maxJsonRpcBodyBytes,
    caseInsensitivePaths,
    jsonRpcErrors: jsonRpcErrors ?? presetJsonRpcErrors ?? 'standard',
    cors,
    permissions,
  };
}

/** Checks that every permission the rules name exists in the server's catalog. */
export function checkPermissions(rules: GatewayRules, known: ReadonlySet<string>): void {
  const problems: RuleProblem[] = [];
  for (const { key, source } of rules.permissions) {
    if (known.has(key)) continue;
    const match = /^(.*?)(?: line (\d+))?$/.exec(source);
    problems.push({
      file: match?.[1] ?? source,
      line: match?.[2] === undefined ? null : Number(match[2]),
      path: '',
      message: `unknown permission "${key}": the server's catalog does not hold it`,
    });
  }
  if (problems.length > 0) throw new RulesError(problems);
}
