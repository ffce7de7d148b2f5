import { recordAudit } from '../audit/audit.service.ts';
import type { Deps, RequestContext } from '../context.ts';
import type { RoleRow } from '../db/schema.ts';
import { conflict, forbidden, invalid, notFound } from '../errors.ts';
import { toPage } from '../http/page.ts';
import { newId } from '../ids.ts';
import { countMembersWithRole } from '../members/members.repository.ts';
import { type OrgAccess, requirePermission, requireSession } from '../orgs/access.ts';
import { actorOf, enforce } from '../tokens/token-holding.ts';
import { canManageRole } from '../tokens/token-policy.ts';
import { rolePermissions } from './role-permissions.ts';
import {
  countActiveTokensWithRole,
  deleteRole,
  findCustomRole,
  findCustomRoleByName,
  insertRole,
  listCustomRoles,
  updateRole,
} from './roles.repository.ts';

export interface RoleView {
  id: string;
  name: string;
  description: string;
  permissions: string[];
  builtIn: boolean;
  createdAt: string | null;
}

function customRoleView(row: RoleRow): RoleView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    permissions: JSON.parse(row.permissions) as string[],
    builtIn: false,
    createdAt: new Date(Number(row.createdAt)).toISOString(),
  };
}

export async function listRoles(deps: Deps, access: OrgAccess): Promise<RoleView[]> {
  requirePermission(access, 'roles:read');
  const builtIn = [...deps.catalog.builtInRoles.values()].map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    permissions: [...r.permissions],
    builtIn: true,
    createdAt: null,
  }));
  const custom = await listCustomRoles(deps.db, access.orgId);
  return [...builtIn, ...custom.map(customRoleView)];
}

/** Built-in roles first, then custom ones by id; few enough per org to page in memory. */
export async function listRolesPage(deps: Deps, access: OrgAccess, page: { cursor?: string; limit: number }) {
  const all = await listRoles(deps, access);
  let start = 0;
  if (page.cursor !== undefined) {
    start = all.findIndex((role) => role.id === page.cursor) + 1;
    if (start === 0) throw invalid('unknown cursor');
  }
  return toPage(
    all.slice(start, start + page.limit + 1),
    page.limit,
    (role) => role.id,
    (role) => role,
  );
}

export async function getRole(deps: Deps, access: OrgAccess, roleId: string): Promise<RoleView> {
  requirePermission(access, 'roles:read');
  const builtIn = deps.catalog.builtInRoles.get(roleId);
  if (builtIn) return { ...builtIn, permissions: [...builtIn.permissions], builtIn: true, createdAt: null };
  const row = await findCustomRole(deps.db, access.orgId, roleId);
  if (row === undefined) throw notFound('role');
  return customRoleView(row);
}

function checkPermissions(deps: Deps, _access: OrgAccess, permissions: string[]): string[] {
  const unknown = permissions.filter((p) => !deps.catalog.keys.has(p));
  if (unknown.length > 0) throw invalid('unknown permissions', { unknown });
  return [...new Set(permissions)];
}

export async function createRole(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  input: { name: string; description?: string; permissions: string[] },
): Promise<RoleView> {
  requireSession(ctx.principal);
  const permissions = checkPermissions(deps, access, input.permissions);
  enforce(canManageRole(actorOf(access), null, new Set(permissions)), 'role');
  if (
    [...deps.catalog.builtInRoles.values()].some((r) => r.name.toLowerCase() === input.name.toLowerCase())
  ) {
    throw conflict('a built-in role has this name');
  }
  const row: RoleRow = {
    id: newId('rol'),
    orgId: access.orgId,
    name: input.name,
    description: input.description ?? '',
    permissions: JSON.stringify(permissions),
    createdAt: Date.now(),
  };
  await deps.db.transaction().execute(async (trx) => {
    if (await findCustomRoleByName(trx, access.orgId, input.name))
      throw conflict('a role with this name exists');
    await insertRole(trx, row);
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'role.created',
      target: { type: 'role', id: row.id },
      details: { name: row.name, permissions },
    });
  });
  return customRoleView(row);
}

export async function patchRole(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  roleId: string,
  input: { name?: string; description?: string; permissions?: string[] },
): Promise<RoleView> {
  requireSession(ctx.principal);
  requirePermission(access, 'roles:write');
  if (deps.catalog.builtInRoles.has(roleId)) throw forbidden('built-in roles cannot be edited');
  const permissions =
    input.permissions === undefined ? undefined : checkPermissions(deps, access, input.permissions);
  const updated = await deps.db.transaction().execute(async (trx) => {
    const row = await findCustomRole(trx, access.orgId, roleId);
    if (row === undefined) throw notFound('role');
    // Editing a role changes every member and token holding it: both sides within the editor.
    const before = new Set(rolePermissions(deps.catalog, row.id, row.permissions));
    enforce(
      canManageRole(actorOf(access), before, permissions === undefined ? null : new Set(permissions)),
      'role',
    );
    if (input.name !== undefined && input.name !== row.name) {
      if (await findCustomRoleByName(trx, access.orgId, input.name))
        throw conflict('a role with this name exists');
    }
    const changes = {
      ...(input.name !== undefined && { name: input.name }),
      ...(input.description !== undefined && { description: input.description }),
      ...(permissions !== undefined && { permissions: JSON.stringify(permissions) }),
    };
    await updateRole(trx, roleId, changes);
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'role.updated',
      target: { type: 'role', id: roleId },
      details: { ...input },
    });
    return { ...row, ...changes };
  });
  // Tokens that use the role, and personal tokens of members who hold it, change at once.
  deps.events.orgChanged(access.orgId);
  return customRoleView(updated);
}

export async function removeRole(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  roleId: string,
): Promise<void> {
  requireSession(ctx.principal);
  requirePermission(access, 'roles:write');
  if (deps.catalog.builtInRoles.has(roleId)) throw forbidden('built-in roles cannot be deleted');
  await deps.db.transaction().execute(async (trx) => {
    const row = await findCustomRole(trx, access.orgId, roleId);
    if (row === undefined) throw notFound('role');
    enforce(
      canManageRole(actorOf(access), new Set(rolePermissions(deps.catalog, row.id, row.permissions)), null),
      'role',
    );
    const members = await countMembersWithRole(trx, access.orgId, roleId);
    const tokens = await countActiveTokensWithRole(trx, access.orgId, roleId);
    if (members > 0 || tokens > 0) {
      throw conflict('the role is in use; move its members and tokens to another role first', {
        members,
        tokens,
      });
    }
    await deleteRole(trx, roleId);
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'role.deleted',
      target: { type: 'role', id: roleId },
      details: { name: row.name },
    });
  });
  deps.events.orgChanged(access.orgId);
}
