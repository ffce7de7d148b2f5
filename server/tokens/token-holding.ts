// Gathers the facts the token policy decides on (what a principal holds, what a token holds) and
// turns its decisions into answers. The decisions themselves live in token-policy.ts.

import { parseIpRange } from '@latchkey/sdk/rules';
import type { Deps } from '../context.ts';
import type { TokenRow } from '../db/schema.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { findMembership } from '../members/members.repository.ts';
import type { OrgAccess } from '../orgs/access.ts';
import { rolePermissions } from '../roles/role-permissions.ts';
import { findCustomRole } from '../roles/roles.repository.ts';
import type { Actor, Decision, Holding, IpRange, RateLimitFacts } from './token-policy.ts';

/** The policy's view of the caller: a session holds its role; a token holds what verification gave it. */
export function actorOf(access: OrgAccess): Actor {
  const { principal } = access;
  if (principal.type === 'user') {
    return {
      type: 'session',
      userId: principal.user.id,
      holding: {
        permissions: access.permissions,
        resourceIds: null,
        ipRanges: null,
        rateLimit: null,
        notAfter: null,
      },
    };
  }
  const token = principal.token;
  const ends = [token.expiresAt, token.valueNotAfter].filter((t): t is number => t !== null);
  return {
    type: 'token',
    tokenId: token.id,
    ownerId: token.ownerId,
    access: token.access,
    inGrace: token.valueNotAfter !== null,
    holding: {
      permissions: token.permissions,
      resourceIds: token.resourceIds,
      ipRanges: token.ipRanges,
      rateLimit:
        token.rateLimit === null
          ? null
          : { limit: token.rateLimit.limit, windowSeconds: Math.round(token.rateLimit.windowMs / 1000) },
      notAfter: ends.length === 0 ? null : Math.min(...ends),
    },
  };
}

/** Throws the answer for a refusal: 404 when the caller may not know the token, else 403. */
export function enforce(decision: Decision, what = 'token'): void {
  if (decision.allowed) return;
  if (decision.status === 'hidden') throw notFound(what);
  throw new AppError('FORBIDDEN', decision.message, decision.details);
}

/** Parses allowedIps entries; bad ones are refused naming the field. */
export function ipRangesOf(allowedIps: readonly string[] | null, field = 'allowedIps'): IpRange[] | null {
  if (allowedIps === null) return null;
  const bad = allowedIps.filter((ip) => parseIpRange(ip) === null);
  if (bad.length > 0) {
    throw invalid(`${field} holds entries that are neither an address nor a CIDR`, { field, bad });
  }
  return allowedIps.map((ip) => parseIpRange(ip) as IpRange);
}

/** A role's permissions in this org; unknown roles are bad input. */
export async function permissionsOfRole(deps: Deps, orgId: string, roleId: string): Promise<string[]> {
  if (deps.catalog.builtInRoles.has(roleId)) return rolePermissions(deps.catalog, roleId, null);
  const role = await findCustomRole(deps.db, orgId, roleId);
  if (role === undefined) throw invalid('unknown roleId', { field: 'roleId', roleId });
  return rolePermissions(deps.catalog, roleId, role.permissions);
}

/** The grants of a token as stored (or as asked for), before the owner bound. */
export interface Grants {
  readonly kind: 'personal' | 'application';
  readonly ownerId: string | null;
  readonly access: 'full' | 'granular';
  readonly permissions: readonly string[] | null;
  readonly roleId: string | null;
  readonly resourceIds: readonly string[] | null;
  readonly allowedIps: readonly string[] | null;
  readonly rateLimit: RateLimitFacts | null;
  readonly expiresAt: number | null;
}

/** A JSON list column (permissions, resources, addresses), or null. */
export const listColumn = (json: string | null): string[] | null =>
  json === null ? null : (JSON.parse(json) as string[]);

/** A token row's rate limit columns as one value, or null. */
export const rateLimitOfRow = (
  row: Pick<TokenRow, 'rateLimit' | 'rateLimitWindow'>,
): RateLimitFacts | null =>
  row.rateLimit === null || row.rateLimitWindow === null
    ? null
    : { limit: row.rateLimit, windowSeconds: row.rateLimitWindow };

export function grantsOfRow(row: TokenRow): Grants {
  return {
    kind: row.kind,
    ownerId: row.ownerId,
    access: row.access,
    permissions: listColumn(row.permissions),
    roleId: row.roleId,
    resourceIds: listColumn(row.resourceIds),
    allowedIps: listColumn(row.allowedIps),
    rateLimit: rateLimitOfRow(row),
    expiresAt: row.expiresAt === null ? null : Number(row.expiresAt),
  };
}

/**
 * What a token with these grants holds right now: `full` is the whole catalog, a role its current
 * permissions, and a personal token never more than its owner's current role (the verify-time bound).
 */
export async function holdingOf(deps: Deps, orgId: string, grants: Grants): Promise<Holding> {
  let permissions: string[];
  if (grants.access === 'full') permissions = deps.catalog.permissions.map((p) => p.key);
  else if (grants.roleId !== null) permissions = await permissionsOfRole(deps, orgId, grants.roleId);
  else permissions = (grants.permissions ?? []).filter((p) => deps.catalog.keys.has(p));
  if (grants.kind === 'personal' && grants.ownerId !== null) {
    const membership = await findMembership(deps.db, orgId, grants.ownerId);
    const owner = new Set(
      membership === undefined
        ? []
        : rolePermissions(deps.catalog, membership.roleId, membership.permissions),
    );
    permissions = permissions.filter((p) => owner.has(p));
  }
  return {
    permissions: new Set(permissions),
    resourceIds: grants.resourceIds === null ? null : new Set(grants.resourceIds),
    ipRanges: ipRangesOf(grants.allowedIps),
    rateLimit: grants.rateLimit,
    notAfter: grants.expiresAt,
  };
}
