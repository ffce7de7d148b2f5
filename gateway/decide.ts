// What a request needs, as the rules say, and whether the token holds it. No I/O but the verifier's
// question, which is given: the proxy (proxy.ts) reads and forwards, this module judges.
import type { IncomingHttpHeaders } from 'node:http';
import { readBearer, refusalKindOf } from '@latchkey/sdk/rules';
import type { Refusal, Refusals } from './answers.ts';
import type { CompiledRule, PermissionQuery, RouteMatch } from './rules/index.ts';
import type { GatewayVerdict, GatewayVerifier } from './verifiers.ts';

/** What a request (or each call of a JSON-RPC batch) needs, as one of the rules said. */
export interface Need {
  rule: CompiledRule;
  /** The resource to check; undefined when the rule names none, null when it names one the request does not give. */
  resource: string | undefined | null;
}

export interface Identity {
  tokenId: string;
  orgId: string;
}

export type Decision = { ok: true; identity: Identity | null } | { ok: false; refusal: Refusal };

/** The token of a request: `Bearer <token>` in Authorization, or the bare value (or Bearer) in another header. */
export function readToken(headers: IncomingHttpHeaders, header: string): string | undefined {
  const raw = headers[header];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return undefined;
  const bearer = readBearer(value);
  if (bearer !== undefined) return bearer;
  return header === 'authorization' ? undefined : value.trim() || undefined;
}

/** The resource a rule names for this request: fixed, a captured path segment or a header, through its map. */
export function resolveResource(
  rule: CompiledRule,
  params: Record<string, string>,
  headers: IncomingHttpHeaders,
): string | undefined | null {
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
  return Object.hasOwn(spec.map, value) ? (spec.map[value] ?? null) : null;
}

export function needOf(match: RouteMatch, headers: IncomingHttpHeaders): Need {
  return { rule: match.rule, resource: resolveResource(match.rule, match.params, headers) };
}

/** One question to ask the verifier: a permission (or none) on a resource (or none). */
export interface Question {
  need: Need;
  permission: PermissionQuery | undefined;
  resource: string | undefined;
}

/**
 * What must be asked for a set of needs, or the refusal that needs no question: a `deny` rule, a
 * missing token, a resource the request does not give. Every need must pass (a batch passes whole or
 * not at all); the permissions every call on one resource needs are asked at once (`{all: […]}`), so
 * a batch costs one verification per resource, not one per call. An empty list: all needs are public.
 */
export function questionsFor(
  needs: readonly Need[],
  hasToken: boolean,
  refuse: Refusals,
): { ok: true; questions: Question[] } | { ok: false; refusal: Refusal } {
  const denied = needs.find((n) => n.rule.access.type === 'deny');
  if (denied) {
    return {
      ok: false,
      refusal: refuse.forbidden('A rule refuses this request', { reason: 'DENIED', rule: denied.rule.name }),
    };
  }
  const checked = needs.filter((n) => n.rule.access.type !== 'public');
  if (checked.length === 0) return { ok: true, questions: [] };
  if (!hasToken) return { ok: false, refusal: refuse.unauthenticated('A bearer token is required', false) };
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
      refusal: refuse.forbidden(`The request names no resource this gateway knows (${where})`, {
        reason: 'RESOURCE_FORBIDDEN',
        rule: unresolved.rule.name,
      }),
    };
  }
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
  const questions: Question[] = [];
  for (const group of groups.values()) {
    const resource = group.need.resource ?? undefined;
    const ask = (permission: PermissionQuery | undefined) =>
      questions.push({ need: group.need, permission, resource });
    if (group.keys.size === 1) ask([...group.keys][0]);
    else if (group.keys.size > 1) ask({ all: [...group.keys] });
    for (const query of group.queries) ask(query);
    if (group.keys.size === 0 && group.queries.length === 0) ask(undefined);
  }
  return { ok: true, questions };
}

/** The answer to a verdict that is not a yes. */
export function refusalOf(
  verdict: Exclude<GatewayVerdict, { ok: true }>,
  question: Question,
  refuse: Refusals,
): Refusal {
  if (verdict.code === 'THROTTLED') {
    return refuse.rateLimited('Too many failed attempts; try again later', verdict.retryAfterSeconds);
  }
  if (verdict.code === 'UNAVAILABLE') return refuse.unavailable();
  switch (refusalKindOf(verdict.code)) {
    case 'forbidden':
      return verdict.code === 'FORBIDDEN'
        ? refuse.forbidden('The token lacks the permission this request needs', {
            reason: 'FORBIDDEN',
            permission: question.permission ?? null,
          })
        : refuse.forbidden('The token is not allowed on the resource this request touches', {
            reason: 'RESOURCE_FORBIDDEN',
            resource: question.resource,
            rule: question.need.rule.name,
          });
    case 'rate_limited':
      return refuse.rateLimited('The token has made too many requests');
    case 'unauthenticated':
      // Malformed, unknown, expired, revoked, or from an address it does not allow: one answer for all.
      return refuse.unauthenticated('The bearer token is not valid', true);
  }
}

/** Decides a set of needs: the questions, each put to the verifier; the first no refuses. */
export async function decide(
  needs: readonly Need[],
  token: string | undefined,
  ip: string,
  verifier: GatewayVerifier,
  refuse: Refusals,
): Promise<Decision> {
  const plan = questionsFor(needs, token !== undefined, refuse);
  if (!plan.ok) return plan;
  let identity: Identity | null = null;
  for (const question of plan.questions) {
    const verdict = await verifier.verify(token as string, {
      ip,
      ...(question.permission === undefined ? {} : { permission: question.permission }),
      ...(question.resource === undefined ? {} : { resource: question.resource }),
    });
    if (!verdict.ok) return { ok: false, refusal: refusalOf(verdict, question, refuse) };
    identity = { tokenId: verdict.tokenId, orgId: verdict.orgId };
  }
  return { ok: true, identity };
}
