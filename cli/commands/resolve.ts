/**
 * Names where people think in names: every command that takes a token, resource, role, org or user
 * accepts its id or its name, and this module is the one place that turns a name into an id. An id
 * (`tok_…`, `res_…`, `rol_…`, `org_…`, `usr_…`) is used as given; a name is looked up among what the
 * caller can see, and a name that matches several things, or none, is an error naming the candidates.
 */

import type { Member, Resource, Role, TokenInfo } from '@latchkey/sdk';
import { isWellFormedToken } from '@latchkey/sdk/rules';
import { CliError, type Context } from './context.ts';

interface Candidate<T> {
  item: T;
  /** What the name is compared with. */
  name: string;
  /** How the candidate is shown in an error: `indexer (tok_…, active)`. */
  label: string;
}

const SHOWN = 8;

function listed(labels: string[]): string {
  const shown = labels.slice(0, SHOWN).join('; ');
  return labels.length > SHOWN ? `${shown}; and ${labels.length - SHOWN} more` : shown;
}

/**
 * The one candidate called `ref` (exactly, else ignoring case). `prefer` breaks a tie (several
 * tokens of one name, one of them active); otherwise a tie is `AMBIGUOUS` and no match `NOT_FOUND`,
 * each naming the candidates.
 */
function pick<T>(
  kind: string,
  ref: string,
  candidates: Array<Candidate<T>>,
  options: { where?: string; idHint: string; prefer?: (item: T) => boolean },
): T {
  const exact = candidates.filter((c) => c.name === ref);
  const folded =
    exact.length > 0 ? exact : candidates.filter((c) => c.name.toLowerCase() === ref.toLowerCase());
  let found = folded;
  if (found.length > 1 && options.prefer) {
    const preferred = found.filter((c) => options.prefer?.(c.item));
    if (preferred.length === 1) found = preferred;
  }
  const [only] = found;
  if (only && found.length === 1) return only.item;
  const where = options.where ? ` ${options.where}` : '';
  if (found.length > 1) {
    throw new CliError(
      'AMBIGUOUS',
      `"${ref}" names ${found.length} ${kind}s${where}: ${listed(found.map((c) => c.label))}. Give the ${options.idHint} instead`,
    );
  }
  const known =
    candidates.length === 0 ? `there are none` : `there are: ${listed(candidates.map((c) => c.label))}`;
  throw new CliError('NOT_FOUND', `No ${kind} named "${ref}"${where}; ${known}`);
}

async function collectAll<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) items.push(item);
  return items;
}

async function* pagesOf<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    yield* next.items;
    cursor = next.nextCursor ?? undefined;
  } while (cursor);
}

const tokenLabel = (t: TokenInfo) => `${t.name} (${t.id}, ${t.status}${t.ownerId ? '' : ', application'})`;

/**
 * A token by id, or by name: first among the caller's own tokens (`owner=me`), then among every
 * token of the org the caller may list. Of several tokens of one name (a revoked one and its
 * active successor) the active one is meant. Answers the token when it had to be read.
 */
export async function resolveToken(
  context: Context,
  org: string,
  ref: string,
): Promise<{ id: string; info?: TokenInfo }> {
  if (/^tok_/.test(ref)) return { id: ref };
  if (isWellFormedToken(ref)) {
    // Never put a value in a URL: it would land in logs.
    throw new CliError(
      'VALIDATION_FAILED',
      "That is a token's value, not its name or id: give the name or the id (tok_…) that `latchkey tokens list` shows",
    );
  }
  const active = (t: TokenInfo) => t.status === 'active';
  const mine = await collectAll(context.client.tokens.listAll(org, { owner: 'me', limit: 100 }));
  const own = mine.filter((t) => t.name === ref || t.name.toLowerCase() === ref.toLowerCase());
  if (own.length > 0) {
    const info = pick(
      'token',
      ref,
      mine.map((t) => ({ item: t, name: t.name, label: tokenLabel(t) })),
      {
        where: 'among your tokens',
        idHint: 'token id (tok_…)',
        prefer: active,
      },
    );
    return { id: info.id, info };
  }
  let all: TokenInfo[] | null = null;
  try {
    all = await collectAll(context.client.tokens.listAll(org, { limit: 100 }));
  } catch {
    // The caller may list only their own tokens: the name is not among them.
  }
  const candidates = (all ?? mine).map((t) => ({ item: t, name: t.name, label: tokenLabel(t) }));
  const info = pick('token', ref, candidates, {
    where: all ? 'in this organization' : 'among your tokens',
    idHint: 'token id (tok_…)',
    prefer: active,
  });
  return { id: info.id, info };
}

const resourceLabel = (r: Resource) => `${r.type}/${r.name} (${r.id})`;

/** Every resource of the org, for resolving several names with one read. */
export async function listResources(context: Context, org: string): Promise<Resource[]> {
  return collectAll(
    pagesOf((cursor) => context.client.resources.list(org, { limit: 100, ...(cursor ? { cursor } : {}) })),
  );
}

/** `type/name` of each resource by id; empty when the caller may not read resources. */
export async function resourceNames(context: Context, org: string): Promise<Map<string, string>> {
  try {
    return new Map((await listResources(context, org)).map((r) => [r.id, `${r.type}/${r.name}`]));
  } catch {
    return new Map();
  }
}

/** A resource by id, as `type/name` (`shard/testnet-1`), or by its name alone when one type has it. */
export function pickResource(resources: Resource[], ref: string): string {
  if (/^res_/.test(ref)) return ref;
  const slash = ref.indexOf('/');
  const byTypedName = resources.map((r) => ({
    item: r,
    name: `${r.type}/${r.name}`,
    label: resourceLabel(r),
  }));
  if (slash > 0 && byTypedName.some((c) => c.name.toLowerCase() === ref.toLowerCase())) {
    return pick('resource', ref, byTypedName, { idHint: 'type/name or the id (res_…)' }).id;
  }
  const byName = resources.map((r) => ({ item: r, name: r.name, label: resourceLabel(r) }));
  return pick('resource', ref, byName, { idHint: 'type/name or the id (res_…)' }).id;
}

/** Resource ids for ids, `type/name`s and names (one read of the list, only when a name is given). */
export async function resolveResources(context: Context, org: string, refs: string[]): Promise<string[]> {
  if (refs.every((ref) => /^res_/.test(ref))) return refs;
  const resources = await listResources(context, org);
  return refs.map((ref) => pickResource(resources, ref));
}

/** Every role of the org, built-in ones first. */
export async function listRoles(context: Context, org: string): Promise<Role[]> {
  return collectAll(context.client.roles.listAll(org, { limit: 100 }));
}

/** A role by id, by name ("Read Only User", any case), or by the id without its prefix ("readonly"). */
export function pickRole(roles: Role[], ref: string): string {
  if (/^rol_/.test(ref)) return ref;
  const byId = roles.find((r) => r.id === `rol_${ref.toLowerCase()}`);
  const named = roles.filter((r) => r.name.toLowerCase() === ref.toLowerCase());
  if (byId && named.length === 0) return byId.id;
  return pick(
    'role',
    ref,
    roles.map((r) => ({ item: r, name: r.name, label: `${r.name} (${r.id})` })),
    { idHint: 'role id (rol_…)' },
  ).id;
}

export async function resolveRole(context: Context, org: string, ref: string): Promise<string> {
  if (/^rol_/.test(ref)) return ref;
  return pickRole(await listRoles(context, org), ref);
}

/** The names of roles by id, or an empty map when the caller may not read roles. */
export async function roleNames(context: Context, org: string): Promise<Map<string, string>> {
  try {
    return new Map((await listRoles(context, org)).map((r) => [r.id, r.name]));
  } catch {
    return new Map();
  }
}

/** An org by id, or by the name of one of the caller's orgs. */
export async function resolveOrgRef(context: Context, ref: string): Promise<string> {
  if (/^org_/.test(ref)) return ref;
  const session = await context.client.auth.session();
  return pick(
    'organization',
    ref,
    session.orgs.map((o) => ({ item: o, name: o.name, label: `${o.name} (${o.id})` })),
    { where: 'among yours', idHint: 'org id (org_…)' },
  ).id;
}

/** Every member of the org, or null when the caller may not list them. */
export async function listMembers(context: Context, org: string): Promise<Member[] | null> {
  try {
    return await collectAll(
      pagesOf((cursor) => context.client.members.list(org, { limit: 100, ...(cursor ? { cursor } : {}) })),
    );
  } catch {
    return null;
  }
}

/** A user by id, `me`, or the e-mail address (or name) of a member of the org. */
export async function resolveUser(context: Context, org: string, ref: string): Promise<string> {
  if (/^usr_/.test(ref) || ref === 'me') return ref;
  const members = await listMembers(context, org);
  if (members === null) {
    throw new CliError('FORBIDDEN', `Finding "${ref}" needs members:read; give the user id (usr_…) instead`);
  }
  const byEmail = members.find((m) => m.email.toLowerCase() === ref.toLowerCase());
  if (byEmail) return byEmail.userId;
  return pick(
    'member',
    ref,
    members.map((m) => ({ item: m, name: m.name, label: `${m.name} <${m.email}> (${m.userId})` })),
    { idHint: 'e-mail address or the user id (usr_…)' },
  ).userId;
}

/** `Name <email>` of each member by user id; empty when the caller may not list members. */
export async function userNames(context: Context, org: string): Promise<Map<string, string>> {
  const members = await listMembers(context, org);
  return new Map((members ?? []).map((m) => [m.userId, `${m.name} <${m.email}>`]));
}

/** A pending invitation by id, or by the invited e-mail address. */
export async function resolveInvite(context: Context, org: string, ref: string): Promise<string> {
  if (/^inv_/.test(ref)) return ref;
  const pending = await collectAll(context.client.invites.listAll(org, { limit: 100 }));
  return pick(
    'pending invitation',
    ref,
    pending.map((i) => ({ item: i, name: i.email, label: `${i.email} (${i.id})` })),
    { idHint: 'invitation id (inv_…)' },
  ).id;
}
