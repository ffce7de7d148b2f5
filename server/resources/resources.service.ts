import { recordAudit } from '../audit/audit.service.ts';
import type { Deps, RequestContext } from '../context.ts';
import type { ResourceRow } from '../db/schema.ts';
import { conflict, notFound } from '../errors.ts';
import { toPage } from '../http/page.ts';
import { newId } from '../ids.ts';
import { type OrgAccess, requirePermission } from '../orgs/access.ts';
import {
  deleteResource,
  findResource,
  findResourceByName,
  insertResource,
  listResources as listRows,
} from './resources.repository.ts';

export const resourceView = (row: ResourceRow) => ({
  id: row.id,
  orgId: row.orgId,
  type: row.type,
  name: row.name,
  createdAt: new Date(Number(row.createdAt)).toISOString(),
});

export type ResourceView = ReturnType<typeof resourceView>;

export async function listResources(
  deps: Deps,
  access: OrgAccess,
  page: { cursor?: string; limit: number; type?: string },
): Promise<{ items: ResourceView[]; nextCursor: string | null }> {
  requirePermission(access, 'resources:read');
  const rows = await listRows(deps.db, access.orgId, { ...page, limit: page.limit + 1 });
  return toPage(rows, page.limit, (row) => row.id, resourceView);
}

export async function getResource(deps: Deps, access: OrgAccess, id: string): Promise<ResourceView> {
  requirePermission(access, 'resources:read');
  const row = await findResource(deps.db, access.orgId, id);
  if (row === undefined) throw notFound('resource');
  return resourceView(row);
}

export async function createResource(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  input: { type: string; name: string },
): Promise<ResourceView> {
  requirePermission(access, 'resources:write');
  const row: ResourceRow = {
    id: newId('res'),
    orgId: access.orgId,
    type: input.type,
    name: input.name,
    createdAt: Date.now(),
  };
  await deps.db.transaction().execute(async (trx) => {
    if (await findResourceByName(trx, access.orgId, input.type, input.name)) {
      throw conflict(`a ${input.type} named "${input.name}" exists`);
    }
    await insertResource(trx, row);
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'resource.created',
      target: { type: 'resource', id: row.id },
      details: { type: row.type, name: row.name },
    });
  });
  deps.events.resourcesChanged(access.orgId);
  return resourceView(row);
}

export async function removeResource(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  id: string,
): Promise<void> {
  requirePermission(access, 'resources:write');
  await deps.db.transaction().execute(async (trx) => {
    const row = await findResource(trx, access.orgId, id);
    if (row === undefined) throw notFound('resource');
    await deleteResource(trx, access.orgId, id);
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'resource.deleted',
      target: { type: 'resource', id },
      details: { type: row.type, name: row.name },
    });
  });
  deps.events.resourcesChanged(access.orgId);
}
