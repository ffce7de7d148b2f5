import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PERMISSION_KEY_MAX_LENGTH, PERMISSION_KEY_PATTERN } from '@latchkey/sdk/rules';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';

export interface Permission {
  key: string;
  label: string;
  description: string;
  group: string;
}

export interface BuiltInRole {
  id: string;
  name: string;
  description: string;
  permissions: string[];
}

export interface Catalog {
  readonly permissions: Permission[];
  readonly keys: ReadonlySet<string>;
  readonly builtInRoles: ReadonlyMap<string, BuiltInRole>;
}

const CatalogFile = Type.Object({
  permissions: Type.Array(
    Type.Object({
      key: Type.String({ pattern: PERMISSION_KEY_PATTERN, maxLength: PERMISSION_KEY_MAX_LENGTH }),
      label: Type.String({ minLength: 1, maxLength: 100 }),
      description: Type.String({ maxLength: 500 }),
      group: Type.String({ minLength: 1, maxLength: 100 }),
    }),
    { maxItems: 1000 },
  ),
});
const catalogFile = Compile(CatalogFile);

function readCatalogFile(path: string): Permission[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the permission catalog ${path}: ${(error as Error).message}`);
  }
  if (!catalogFile.Check(parsed)) {
    const first = [...catalogFile.Errors(parsed)][0];
    throw new Error(
      `the permission catalog ${path} is not {"permissions": [{key, label, description, group}]}: ${first?.instancePath ?? ''} ${first?.message ?? ''}`,
    );
  }
  return parsed.permissions;
}

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** Loads the catalog (the default one, or LATCHKEY_CATALOG) and always adds the management permissions. */
export function loadCatalog(path?: string): Catalog {
  const management = readCatalogFile(here('./management.json'));
  const managementKeys = new Set(management.map((p) => p.key));
  const custom = readCatalogFile(path ?? here('./default-catalog.json')).filter(
    (p) => !managementKeys.has(p.key),
  );
  const seen = new Set<string>();
  for (const p of custom) {
    if (seen.has(p.key)) throw new Error(`the permission catalog lists "${p.key}" twice`);
    seen.add(p.key);
  }
  const permissions = [...custom, ...management];
  const all = permissions.map((p) => p.key);
  const nonManagement = custom.map((p) => p.key);
  const readOnly = nonManagement.filter((k) => k.endsWith(':read'));
  const builtInRoles = new Map<string, BuiltInRole>([
    [
      'rol_admin',
      {
        id: 'rol_admin',
        name: 'Organization Administrator',
        description: 'Every permission',
        permissions: all,
      },
    ],
    [
      'rol_readwrite',
      {
        id: 'rol_readwrite',
        name: 'Read/Write User',
        description: 'Every resource permission, and viewing resources',
        permissions: [...nonManagement, 'resources:read'],
      },
    ],
    [
      'rol_readonly',
      {
        id: 'rol_readonly',
        name: 'Read Only User',
        description: 'Every read permission, and viewing resources',
        permissions: [...readOnly, 'resources:read'],
      },
    ],
  ]);
  return Object.freeze({ permissions, keys: new Set(all), builtInRoles });
}
