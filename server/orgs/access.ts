import type { Deps, Principal } from '../context.ts';
import { AppError, forbidden, notFound } from '../errors.ts';
import { findMembership } from '../members/members.repository.ts';
import { rolePermissions } from '../roles/role-permissions.ts';

/** What a principal may do in one org. */
export interface OrgAccess {
  readonly orgId: string;
  readonly principal: Principal;
  readonly permissions: ReadonlySet<string>;
  /** The member's role for a session; null for a token. */
  readonly roleId: string | null;
  /** The person behind the request: the signed-in user, or a personal token's owner. */
  readonly userId: string | null;
}

/** Resolves the caller's standing in an org; anything they cannot see is answered 404, never 403. */
export async function orgAccess(deps: Deps, principal: Principal, orgId: string): Promise<OrgAccess> {
  if (principal.type === 'token') {
    if (principal.token.orgId !== orgId) throw notFound('organization');
    return {
      orgId,
      principal,
      permissions: principal.token.permissions,
      roleId: null,
      userId: principal.token.ownerId,
    };
  }
  const membership = await findMembership(deps.db, orgId, principal.user.id);
  if (membership === undefined) throw notFound('organization');
  // The org requires a second factor: a member without one may only enrol (under /v1/auth/two-factor).
  if (membership.requireTwoFactor === 1 && principal.user.totpEnabledAt === null) {
    throw forbidden(
      'this organization requires two-factor authentication: set it up on your account page first',
      {
        reason: 'TWO_FACTOR_REQUIRED',
      },
    );
  }
  // The org requires single sign-on: a session opened by password does not reach it.
  if (membership.requireSso === 1 && principal.viaSso !== true) {
    throw forbidden("this organization requires single sign-on: sign in with your organization's provider", {
      reason: 'SSO_REQUIRED',
    });
  }
  return {
    orgId,
    principal,
    permissions: new Set(rolePermissions(deps.catalog, membership.roleId, membership.permissions)),
    roleId: membership.roleId,
    userId: principal.user.id,
  };
}

export function requirePermission(access: OrgAccess, permission: string): void {
  if (!access.permissions.has(permission)) {
    throw forbidden(`this needs the ${permission} permission`, { missing: [permission] });
  }
}

/** Policy, member and role changes need a signed-in person, whatever a token's permissions. */
export function requireSession(
  principal: Principal,
): asserts principal is Extract<Principal, { type: 'user' }> {
  if (principal.type !== 'user') {
    throw new AppError('SESSION_REQUIRED', 'this action needs a signed-in person, not a token');
  }
}

/**
 * Org-wide settings (the token policy, insight settings, webhooks' peers): a signed-in person who manages
 * both members and roles, since these settings bind everyone in the org.
 */
export function requireOrgSettingsAccess(
  principal: Principal,
  access: OrgAccess,
): asserts principal is Extract<Principal, { type: 'user' }> {
  requireSession(principal);
  requirePermission(access, 'members:write');
  requirePermission(access, 'roles:write');
}
