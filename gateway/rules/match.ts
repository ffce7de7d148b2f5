// Matching: path patterns and JSON-RPC method globs compiled to tests, and the questions the gateway
// asks of its rules for each request. Pure functions; paths come in normalized (path.ts).
import { normalizePath } from '../path.ts';
import type { CompiledRule, GatewayRules } from './types.ts';

const SEGMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A `:name` a path pattern may capture. */
export const isSegmentName = (name: unknown): name is string =>
  typeof name === 'string' && SEGMENT_NAME.test(name);

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `broadcast_tx_*` → a test; `*` matches any run of characters. Without `*`, an exact comparison. */
export function glob(pattern: string): (value: string) => boolean {
  if (!pattern.includes('*')) return (value) => value === pattern;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 's');
  return (value) => re.test(value);
}

/** Why a literal segment of a pattern could never match a normalized path, or null when it can. */
function literalProblem(part: string): string | null {
  if (part === '') return 'an empty segment ("//"): requests are matched with duplicate slashes collapsed';
  if (part === '.' || part === '..') {
    return `a "${part}" segment: requests are matched with dot segments resolved`;
  }
  const normalized = normalizePath(`/${part}`);
  if (!normalized.ok) return `"${part}": ${normalized.message.replace('The request path', 'it')}`;
  if (normalized.path !== `/${part}`) {
    return `"${part}" is written as "${normalized.path.slice(1)}" in the normalized paths rules are matched against`;
  }
  return null;
}

/**
 * `/shards/:shard/blocks/*` → a regular expression on normalized paths. `:name` captures one segment,
 * `*` matches one segment, a final `**` matches any rest (none included); a trailing slash is ignored.
 * Literal segments must be written as normalized paths write them (`admin`, not `%61dmin`).
 */
export function compilePath(
  pattern: string,
  caseInsensitive: boolean,
): { re: RegExp; names: string[] } | string {
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
      if (!isSegmentName(name)) return `"${part}" is not a valid segment name`;
      if (names.includes(name)) return `the segment name "${name}" appears twice`;
      names.push(name);
      source += '/([^/]+)';
    } else if (part.includes('*') || part.includes(':')) {
      return `"${part}": "*" and ":" stand alone in a segment (":name", "*", a final "**")`;
    } else {
      const problem = literalProblem(part);
      if (problem !== null) return problem;
      source += `/${escapeRegExp(part)}`;
    }
  }
  return { re: new RegExp(`${source}/?$`, caseInsensitive ? 'i' : ''), names };
}

/** A rule that applies to a request's method and path, with the segments its pattern captured. */
export interface RouteMatch {
  rule: CompiledRule;
  /** Captured segments, percent-decoded, in the letter case the request used. */
  params: Record<string, string>;
}

/**
 * The rules whose method and path match, in order. `path` is a normalized path (`normalizePath`):
 * its segments hold no `%2F` and decode as UTF-8.
 */
export function routeMatches(rules: GatewayRules, method: string, path: string): RouteMatch[] {
  const out: RouteMatch[] = [];
  for (const rule of rules.rules) {
    if (rule.methods !== null && !rule.methods.has(method)) continue;
    const m = rule.path.exec(path);
    if (m === null) continue;
    const params: Record<string, string> = {};
    rule.paramNames.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1] ?? '');
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
