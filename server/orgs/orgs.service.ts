import type { Transaction } from 'kysely';
import { recordAudit } from '../audit/audit.service.ts';
import type { Deps, Principal, RequestContext } from '../context.ts';
import type { Database, OrgRow } from '../db/schema.ts';
import { conflict, invalid } from '../errors.ts';
import { newId } from '../ids.ts';
import { insertMember } from '../members/members.repository.ts';
import { rolePermissions } from '../roles/role-permissions.ts';
import { type OrgAccess, requireOrgSettingsAccess, requireSession } from './access.ts';
import { findOrg, insertOrg, orgsOfUser, updateOrg } from './orgs.repository.ts';

export interface Policy {
  maxTtlDays: number;
  allowNoExpiry: boolean;
  /** E-mail owners about tokens unused for 90 days (opt-in; docs/notifications.md). */
  notifyUnused: boolean;
  /** Members without a second factor may only enrol one (docs/security.md). */
  requireTwoFactor: boolean;
  /** Members reach the org only from a session opened by single sign-on (docs/security.md). */
  requireSso: boolean;
}

export interface OrgView {
  id: string;
  name: string;
  policy: Policy;
  createdAt: string;
  /** The caller's role in the org (null for a token) and what they may do there. */
  roleId: string | null;
  permissions: string[];
}

export const defaultPolicy: Policy = {
  maxTtlDays: 365,
  allowNoExpiry: false,
  notifyUnused: false,
  requireTwoFactor: false,
  requireSso: false,
};

export function orgView(row: OrgRow, roleId: string | null, permissions: Iterable<string>): OrgView {
  return {
    id: row.id,
    name: row.name,
    policy: {
      maxTtlDays: row.maxTtlDays,
      allowNoExpiry: row.allowNoExpiry === 1,
      notifyUnused: row.notifyUnused === 1,
      requireTwoFactor: row.requireTwoFactor === 1,
      requireSso: row.requireSso === 1,
    },
    createdAt: new Date(Number(row.createdAt)).toISOString(),
    roleId,
    permissions: [...permissions].sort(),
  };
}

/** Creates an org with `userId` as its first administrator, inside the caller's transaction. */
export async function insertOrgWithAdmin(
  trx: Transaction<Database>,
  input: { name: string; policy?: Partial<Policy> },
  userId: string,
): Promise<OrgRow> {
  const now = Date.now();
  const row: OrgRow = {
    id: newId('org'),
    name: input.name,
    maxTtlDays: input.policy?.maxTtlDays ?? defaultPolicy.maxTtlDays,
    allowNoExpiry: (input.policy?.allowNoExpiry ?? defaultPolicy.allowNoExpiry) ? 1 : 0,
    notifyUnused: (input.policy?.notifyUnused ?? defaultPolicy.notifyUnused) ? 1 : 0,
    requireTwoFactor: 0,
    requireSso: 0,
    createdAt: now,
  };
  await insertOrg(trx, row);
  await insertMember(trx, { orgId: row.id, userId, roleId: 'rol_admin', createdAt: now });
  return row;
}

export async function createOrg(
  deps: Deps,
  ctx: RequestContext,
  input: { name: string; policy?: Partial<Policy> },
): Promise<OrgView> {
  requireSession(ctx.principal);
  const userId = ctx.principal.user.id;
  const row = await deps.db.transaction().execute(async (trx) => {
    const org = await insertOrgWithAdmin(trx, input, userId);
    await recordAudit(trx, ctx, {
      orgId: org.id,
      action: 'org.created',
      target: { type: 'org', id: org.id },
      details: { name: org.name },
    });
    return org;
  });
  return orgView(row, 'rol_admin', rolePermissions(deps.catalog, 'rol_admin', null));
}

export async function listOrgs(deps: Deps, principal: Principal): Promise<OrgView[]> {
  if (principal.type === 'token') {
    const org = await findOrg(deps.db, principal.token.orgId);
    return org ? [orgView(org, null, principal.token.permissions)] : [];
  }
  const rows = await orgsOfUser(deps.db, principal.user.id);
  return rows.map((r) =>
    orgView(
      {
        id: r.id,
        name: r.name,
        maxTtlDays: r.maxTtlDays,
        allowNoExpiry: r.allowNoExpiry,
        notifyUnused: r.notifyUnused,
        requireTwoFactor: r.requireTwoFactor,
        requireSso: r.requireSso,
        createdAt: r.createdAt,
      },
      r.roleId,
      rolePermissions(deps.catalog, r.roleId, r.permissions),
    ),
  );
}

export async function getOrg(deps: Deps, access: OrgAccess): Promise<OrgView> {
  const row = await findOrg(deps.db, access.orgId);
  if (row === undefined) throw invalid('organization vanished');
  return orgView(row, access.roleId, access.permissions);
}

/** Changing the org or its token policy needs a signed-in person who may manage members and roles. */
export async function patchOrg(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  input: { name?: string; policy?: Partial<Policy> },
): Promise<OrgView> {
  requireOrgSettingsAccess(ctx.principal, access);
  const row = await deps.db.transaction().execute(async (trx) => {
    const current = await findOrg(trx, access.orgId);
    if (current === undefined) throw invalid('organization vanished');
    const changes = {
      ...(input.name !== undefined && { name: input.name }),
      ...(input.policy?.maxTtlDays !== undefined && { maxTtlDays: input.policy.maxTtlDays }),
      ...(input.policy?.allowNoExpiry !== undefined && { allowNoExpiry: input.policy.allowNoExpiry ? 1 : 0 }),
      ...(input.policy?.notifyUnused !== undefined && { notifyUnused: input.policy.notifyUnused ? 1 : 0 }),
      ...(input.policy?.requireTwoFactor !== undefined && {
        requireTwoFactor: input.policy.requireTwoFactor ? 1 : 0,
      }),
      ...(input.policy?.requireSso !== undefined && { requireSso: input.policy.requireSso ? 1 : 0 }),
    };
    // Whoever requires SSO is signed in by SSO: nobody locks themselves out by accident.
    if (input.policy?.requireSso === true && ctx.principal.type === 'user' && !ctx.principal.viaSso) {
      throw conflict('sign in with single sign-on before requiring it of every member', {
        fields: [{ field: 'policy.requireSso', message: 'Sign in with single sign-on first.' }],
      });
    }
    // Whoever turns the requirement on holds a second factor: nobody locks themselves out by accident.
    const actor = ctx.principal.type === 'user' ? ctx.principal.user : null;
    if (input.policy?.requireTwoFactor === true && actor?.totpEnabledAt === null) {
      throw conflict('set up two-factor authentication for yourself before requiring it of every member', {
        fields: [
          {
            field: 'policy.requireTwoFactor',
            message: 'Set up two-factor authentication for yourself first.',
          },
        ],
      });
    }
    await updateOrg(trx, access.orgId, changes);
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: input.policy ? 'org.policy_changed' : 'org.updated',
      target: { type: 'org', id: access.orgId },
      details: { ...input },
    });
    return { ...current, ...changes };
  });
  return orgView(row, access.roleId, access.permissions);
}
