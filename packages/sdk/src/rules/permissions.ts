// Permission keys and permission questions (SPEC §1 "Permission catalog", §3 "Verify").

/**
 * A permission question: one key, every key of a list, or any key of a list. There is no wildcard:
 * `'*'` is a key like any other, and no token holds it (a full-access token holds every catalog key).
 *
 * @example
 * const one: PermissionQuery = 'blocks:read';
 * const both: PermissionQuery = { all: ['blocks:read', 'chunks:read'] };
 * const either: PermissionQuery = { any: ['accounts:read', 'keys:read'] };
 */
export type PermissionQuery = string | { all: string[] } | { any: string[] };

/**
 * Anything that answers "is this key held": a `Set` of keys, or {@link permissionSet} of a list.
 *
 * @example
 * const held: PermissionSet = new Set(['blocks:read']);
 */
export interface PermissionSet {
  has(key: string): boolean;
}

/**
 * Whether the held permissions answer a question: a key must be held exactly (no wildcard), `all`
 * needs every key of its list, `any` at least one. The server's verify, the SDK's cache and the
 * gateway all answer with this function.
 *
 * @example
 * permissionAllows(new Set(['blocks:read']), { any: ['blocks:read', 'chunks:read'] }); // true
 * permissionAllows(new Set(['blocks:read']), '*'); // false
 */
export function permissionAllows(held: PermissionSet, query: PermissionQuery): boolean {
  if (typeof query === 'string') return held.has(query);
  if ('all' in query) {
    for (const key of query.all) if (!held.has(key)) return false;
    return true;
  }
  for (const key of query.any) if (held.has(key)) return true;
  return false;
}

/**
 * The grammar of a permission key, as a pattern string (for JSON Schema `pattern`): a name and an
 * action, each starting with `[a-z0-9]` and going on with `[a-z0-9._-]`, joined by one colon
 * (`blocks:read`, `contract-code:read`, `contract.code:read`). Keys are at most
 * {@link PERMISSION_KEY_MAX_LENGTH} characters.
 *
 * @example
 * Type.String({ pattern: PERMISSION_KEY_PATTERN, maxLength: PERMISSION_KEY_MAX_LENGTH });
 */
export const PERMISSION_KEY_PATTERN = '^[a-z0-9][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*$';
/**
 * The longest permission key.
 *
 * @example
 * key.length <= PERMISSION_KEY_MAX_LENGTH;
 */
export const PERMISSION_KEY_MAX_LENGTH = 100;
const PERMISSION_KEY = new RegExp(PERMISSION_KEY_PATTERN);

/**
 * Whether a string is a well-formed permission key (see {@link PERMISSION_KEY_PATTERN}).
 *
 * @example
 * isPermissionKey('contract.code:read'); // true
 * isPermissionKey('blocks'); // false
 */
export function isPermissionKey(value: unknown): value is string {
  return typeof value === 'string' && value.length <= PERMISSION_KEY_MAX_LENGTH && PERMISSION_KEY.test(value);
}
