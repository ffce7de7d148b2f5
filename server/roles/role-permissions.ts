import type { Catalog } from '../catalog/catalog.ts';

/** A role's permissions: built-in roles from the catalog, custom ones from their stored list. */
export function rolePermissions(catalog: Catalog, roleId: string, storedJson: string | null): string[] {
  const builtIn = catalog.builtInRoles.get(roleId);
  if (builtIn) return [...builtIn.permissions];
  if (storedJson === null) return [];
  return (JSON.parse(storedJson) as string[]).filter((p) => catalog.keys.has(p));
}
