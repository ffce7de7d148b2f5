// The gateway's rules file: loading (JSON or YAML), validation with line numbers, and matching.
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { isPermissionKey, type PermissionQuery } from '@latchkey/sdk/rules';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

export type { PermissionQuery } from '@latchkey/sdk/rules';

/** Where a rule takes the resource (`res_…`) a token must be allowed on. */
export type ResourceSpec =
  | { kind: 'fixed'; id: string }
  | { kind: 'param'; name: string; map: Readonly<Record<string, string>> | null }
  | { kind: 'header'; name: string; map: Readonly<Record<string, string>> | null };

export type RuleAccess =
  | { type: 'permission'; permission: PermissionQuery }
  | { type: 'authenticated' }
  | { type: 'public' }
  | { type: 'deny' };

type ValueMatcher = (value: unknown) => boolean;

export interface JsonRpcMatcher {
  method: ((method: string) => boolean) | null;
  params: ReadonlyArray<{ path: readonly string[]; test: ValueMatcher }>;
}

export interface CompiledRule {
  readonly index: number;
  readonly name: string;
  /** Upper-case methods, or null for any. */
  readonly methods: ReadonlySet<string> | null;
  readonly path: RegExp;
  readonly paramNames: readonly string[];
  readonly jsonrpc: JsonRpcMatcher | null;
  readonly access: RuleAccess;
  readonly resource: ResourceSpec | null;
  /** Where the rule was written, for logs and answers: `near-rpc.yaml line 12`. */
  readonly source: string;
}

export interface GatewayRules {
  readonly rules: readonly CompiledRule[];
  /** Lower-case name of the header holding the token; `authorization` takes `Bearer <token>`. */
  readonly tokenHeader: string;
  readonly identityHeaders: { readonly tokenId: string; readonly orgId: string };
  readonly maxJsonRpcBodyBytes: number;
  /** Every permission a rule names, to check against the server's catalog at start. */
  readonly permissions: ReadonlyArray<{ key: string; source: string }>;
}

export interface RuleProblem {
  file: string;
  line: number | null;
  path: string;
  message: string;
}

/** The rules file is wrong: every problem found, each with its line. Start-up stops on it. */
export class RulesError extends Error {
  constructor(readonly problems: RuleProblem[]) {
    super(
      problems
        .map(
          (p) =>
            `${p.file}${p.line === null ? '' : ` line ${p.line}`}: ${p.path ? `${p.path}: ` : ''}${p.message}`,
        )
        .join('\n'),
    );
    this.name = 'RulesError';
  }
}

const DEFAULT_MAX_JSONRPC_BODY = 1024 * 1024;
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const RESOURCE_ID = /^res_[0-9A-Za-z_-]+$/;
const SEGMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Path = Array<string | number>;

const showPath = (path: Path) =>
  path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part),
    '',
  );

/** Finds the node at a path of a parsed document, to name its line; falls back to the nearest parent. */
function locate(root: unknown, path: Path, key: boolean): Node | null {
  let node: unknown = root;
  let found: Node | null = isMap(root) || isSeq(root) ? (root as Node) : null;
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === part);
      if (!pair) return found;
      if (last && key && isScalar(pair.key)) return pair.key as Node;
      node = pair.value;
      if (node && (isScalar(node) || isMap(node) || isSeq(node))) found = node as Node;
      else if (isScalar(pair.key)) found = pair.key as Node;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (!item) return found;
      node = item;
      if (isScalar(item) || isMap(item) || isSeq(item)) found = item as Node;
    } else return found;
  }
  return found;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `broadcast_tx_*` → a test; `*` matches any run of characters. Without `*`, an exact comparison. */
function glob(pattern: string): (value: string) => boolean {
  if (!pattern.includes('*')) return (value) => value === pattern;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 's');
  return (value) => re.test(value);
}

/**
 * `/shards/:shard/blocks/*` → a regular expression. `:name` captures one segment, `*` matches one
 * segment, a final `**` matches any rest (none included).
 */
function compilePath(pattern: string): { re: RegExp; names: string[] } | string {
  if (!pattern.startsWith('/')) return 'must start with "/"';
  if (pattern === '/') return { re: /^\/$/, names: [] };
  const names: string[] = [];
  const parts = pattern.replace(/\/+$/, '').split('/').slice(1);
  let source = '^';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (part === '**') {
      if (i !== parts.length - 1) return '"**" may only end a pattern';
      source += '(?:/.*)?';
      continue;
    }
    if (part === '*') source += '/[^/]+';
    else if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!SEGMENT_NAME.test(name)) return `"${part}" is not a valid segment name`;
      if (names.includes(name)) return `the segment name "${name}" appears twice`;
      names.push(name);
      source += '/([^/]+)';
    } else if (part.includes('*') || part.includes(':')) {
      return `"${part}": "*" and ":" stand alone in a segment (":name", "*", a final "**")`;
    } else source += `/${escapeRegExp(part)}`;
  }
  return { re: new RegExp(`${source}/?$`), names };
}

interface Ctx {
  problems: Array<{ path: Path; message: string; key?: boolean }>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function only(ctx: Ctx, value: Record<string, unknown>, path: Path, allowed: string[]): void {
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

function stringOrList(ctx: Ctx, value: unknown, path: Path, what: string): string[] | null {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((v) => typeof v === 'string' && v.length > 0)) {
    ctx.problems.push({ path, message: `must be ${what} or a non-empty list of them` });
    return null;
  }
  return list as string[];
}

function parsePermission(ctx: Ctx, value: unknown, path: Path): PermissionQuery | null {
  const key = (v: unknown, p: Path): string | null => {
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

function parseMap(ctx: Ctx, value: unknown, path: Path): Record<string, string> | null | undefined {
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

function parseResource(ctx: Ctx, value: unknown, path: Path): ResourceSpec | null | undefined {
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
      if (typeof value.param !== 'string' || !SEGMENT_NAME.test(value.param)) {
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

function parseValueMatcher(ctx: Ctx, value: unknown, path: Path): ValueMatcher | null {
  const one = (v: unknown, p: Path): ValueMatcher | null => {
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

function parseJsonRpc(ctx: Ctx, value: unknown, path: Path): JsonRpcMatcher | undefined {
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

interface RawRule {
  rule: Omit<CompiledRule, 'source' | 'resource'> & { resource: ResourceSpec | null | 'default' };
  path: Path;
}

function parseRule(ctx: Ctx, value: unknown, path: Path, index: number): RawRule | null {
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
      const result = compilePath(pattern);
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

export interface RulesSource {
  /** The file name shown in messages. */
  name: string;
  text: string;
  /** `json` parses strictly as JSON first; otherwise YAML (which JSON also is). */
  format: 'json' | 'yaml';
}

export interface ParseOptions {
  /** Rules appended after the file's own (a preset the file builds on). */
  extraRules?: RulesSource[];
  /** A resource every rule without its own checks (overrides the file's default). */
  resource?: string;
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

interface ParsedFile {
  value: unknown;
  problems: RuleProblem[];
  lineOf: (path: Path, key?: boolean) => number | null;
}

function parseFile(source: RulesSource): ParsedFile {
  const problems: RuleProblem[] = [];
  if (source.format === 'json') {
    try {
      JSON.parse(source.text);
    } catch (error) {
      const message = (error as Error).message;
      const position = /position (\d+)/.exec(message);
      const line = position ? lineOfOffset(source.text, Number(position[1])) : null;
      problems.push({ file: source.name, line, path: '', message: `not valid JSON: ${message}` });
      return { value: undefined, problems, lineOf: () => null };
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  for (const error of doc.errors) {
    const line = error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line;
    problems.push({
      file: source.name,
      line,
      path: '',
      message: error.message.split('\n')[0] ?? error.message,
    });
  }
  if (problems.length > 0) return { value: undefined, problems, lineOf: () => null };
  return {
    value: doc.toJS(),
    problems,
    lineOf: (path, key = false) => {
      const node = locate(doc.contents, path, key);
      const start = node?.range?.[0];
      return start === undefined ? null : lineCounter.linePos(start).line;
    },
  };
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
    const ctx: Ctx = { problems: [] };
    const doc = parsed.value;
    const isMain = sourceIndex === 0;
    let fileResource: ResourceSpec | null = null;
    if (!isRecord(doc)) {
      ctx.problems.push({ path: [], message: 'the file must hold an object with a "rules" list' });
    } else {
      only(ctx, doc, [], ['version', 'token', 'identityHeaders', 'jsonrpc', 'resource', 'rules']);
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
          ctx.problems.push({ path: ['jsonrpc'], message: 'must be {maxBodyBytes}' });
        else {
          only(ctx, doc.jsonrpc, ['jsonrpc'], ['maxBodyBytes']);
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
  return { rules, tokenHeader, identityHeaders, maxJsonRpcBodyBytes, permissions };
}

/** Reads a rules file from disk: `.json` as JSON, anything else as YAML. */
export function readRulesSource(file: string): RulesSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RulesError([
      { file, line: null, path: '', message: `cannot read the rules file: ${(error as Error).message}` },
    ]);
  }
  return { name: file, text, format: extname(file).toLowerCase() === '.json' ? 'json' : 'yaml' };
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

// ---------------------------------------------------------------- matching

/** A rule that applies to a request's method and path, with the segments its pattern captured. */
export interface RouteMatch {
  rule: CompiledRule;
  params: Record<string, string>;
}

/** The rules whose method and path match, in order. */
export function routeMatches(rules: GatewayRules, method: string, path: string): RouteMatch[] {
  const out: RouteMatch[] = [];
  for (const rule of rules.rules) {
    if (rule.methods !== null && !rule.methods.has(method)) continue;
    const m = rule.path.exec(path);
    if (m === null) continue;
    const params: Record<string, string> = {};
    rule.paramNames.forEach((name, i) => {
      const raw = m[i + 1] ?? '';
      try {
        params[name] = decodeURIComponent(raw);
      } catch {
        params[name] = raw;
      }
    });
    out.push({ rule, params });
  }
  return out;
}

function fieldAt(params: unknown, path: readonly string[]): unknown {
  let value = params;
  for (const part of path) {
    if (Array.isArray(value)) {
      if (!/^\d+$/.test(part)) return undefined;
      value = value[Number(part)];
    } else if (isRecord(value)) {
      if (!Object.hasOwn(value, part)) return undefined;
      value = value[part];
    } else return undefined;
  }
  return value;
}

/** Whether a rule applies to one JSON-RPC call (a rule without a JSON-RPC matcher applies to every call). */
export function matchesCall(rule: CompiledRule, call: { method: string; params: unknown }): boolean {
  const matcher = rule.jsonrpc;
  if (matcher === null) return true;
  if (matcher.method !== null && !matcher.method(call.method)) return false;
  return matcher.params.every(({ path, test }) => test(fieldAt(call.params, path)));
}
