import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { StoredExercise } from '../tokens/token-insights.repository.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** What one token's successful verifications of one UTC day exercised. */
export interface Exercised {
  tokenId: string;
  day: number;
  permissions: ReadonlySet<string>;
  resources: ReadonlySet<string>;
}

const parse = (json: string | null): string[] => (json === null ? [] : (JSON.parse(json) as string[]));

/** How a day row stores a set of exercised permissions or resources: a sorted JSON list. */
export const exerciseJson = (keys: Iterable<string>): string => JSON.stringify([...keys].sort());

/**
 * Adds exercised permissions and resources to the day rows, which the same transaction has just upserted
 * with `addDailyUsage` (so on PostgreSQL it holds their row locks, and concurrent flushes of other
 * processes merge after it: nothing is lost); `stored` is what that upsert returned. Writes only rows
 * that gain a key, in one statement per 500 (issue 13: a statement per token made the usage flush of a
 * day with many distinct tokens the cold benchmark's main cost).
 */
export async function mergeExercised(
  db: Db,
  entries: readonly Exercised[],
  stored: readonly StoredExercise[],
): Promise<void> {
  const storedOf = new Map(stored.map((row) => [`${row.day}:${row.tokenId}`, row]));
  const changed: { tokenId: string; day: number; permissionsUsed: string; resourcesUsed: string }[] = [];
  for (const e of entries) {
    const row = storedOf.get(`${e.day}:${e.tokenId}`);
    const permissions = new Set(parse(row?.permissionsUsed ?? null));
    const resources = new Set(parse(row?.resourcesUsed ?? null));
    const before = permissions.size + resources.size;
    for (const p of e.permissions) permissions.add(p);
    for (const r of e.resources) resources.add(r);
    if (row !== undefined && permissions.size + resources.size === before) continue;
    changed.push({
      tokenId: e.tokenId,
      day: e.day,
      permissionsUsed: exerciseJson(permissions),
      resourcesUsed: exerciseJson(resources),
    });
  }
  for (let i = 0; i < changed.length; i += 500) {
    await db
      .insertInto('tokenUsageDaily')
      .values(changed.slice(i, i + 500).map((c) => ({ ...c, valid: 0, refused: 0 })))
      .onConflict((oc) =>
        oc.columns(['tokenId', 'day']).doUpdateSet((eb) => ({
          permissionsUsed: eb.ref('excluded.permissionsUsed'),
          resourcesUsed: eb.ref('excluded.resourcesUsed'),
        })),
      )
      .execute();
  }
}

/** The union of what each token's verifications exercised from `fromDay` on, for many tokens. */
export async function exercisedSince(
  db: Db,
  tokenIds: readonly string[],
  fromDay: number,
): Promise<Map<string, { permissions: Set<string>; resources: Set<string>; valid: number }>> {
  const out = new Map<string, { permissions: Set<string>; resources: Set<string>; valid: number }>();
  for (let i = 0; i < tokenIds.length; i += 500) {
    const rows = await db
      .selectFrom('tokenUsageDaily')
      .select(['tokenId', 'permissionsUsed', 'resourcesUsed', 'valid'])
      .where('tokenId', 'in', tokenIds.slice(i, i + 500))
      .where('day', '>=', fromDay)
      .execute();
    for (const row of rows) {
      let entry = out.get(row.tokenId);
      if (entry === undefined) {
        entry = { permissions: new Set(), resources: new Set(), valid: 0 };
        out.set(row.tokenId, entry);
      }
      for (const p of parse(row.permissionsUsed)) entry.permissions.add(p);
      for (const r of parse(row.resourcesUsed)) entry.resources.add(r);
      entry.valid += Number(row.valid);
    }
  }
  return out;
}

export interface InsightSettingsRow {
  weeklyDigest: number;
  maxAgeDays: number;
}

export const DEFAULT_MAX_AGE_DAYS = 180;

export async function insightSettingsOf(db: Db, orgId: string): Promise<InsightSettingsRow> {
  const row = await db
    .selectFrom('insightSettings')
    .select(['weeklyDigest', 'maxAgeDays'])
    .where('orgId', '=', orgId)
    .executeTakeFirst();
  return row ?? { weeklyDigest: 0, maxAgeDays: DEFAULT_MAX_AGE_DAYS };
}

export async function saveInsightSettings(
  db: Db,
  orgId: string,
  settings: InsightSettingsRow,
  now: number,
): Promise<void> {
  await db
    .insertInto('insightSettings')
    .values({ orgId, ...settings, updatedAt: now })
    .onConflict((oc) => oc.column('orgId').doUpdateSet({ ...settings, updatedAt: now }))
    .execute();
}

/** Orgs whose administrators asked for the weekly digest. */
export async function digestOrgIds(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('insightSettings').select('orgId').where('weeklyDigest', '=', 1).execute();
  return rows.map((r) => r.orgId);
}

/** The org's active tokens (not revoked, not past expiry), optionally of one owner, oldest first. */
export function activeTokensOf(db: Db, orgId: string, now: number, ownerId?: string) {
  let query = db
    .selectFrom('tokens')
    .selectAll()
    .where('orgId', '=', orgId)
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', now)]));
  if (ownerId !== undefined) query = query.where('ownerId', '=', ownerId);
  return query.orderBy('id').limit(5000).execute();
}

/** Names and addresses of users, by id. */
export async function usersByIds(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return new Map<string, { id: string; name: string; email: string }>();
  const rows = await db.selectFrom('users').select(['id', 'name', 'email']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** The addresses of the org's administrators (role rol_admin). */
export async function adminEmailsOf(db: Db, orgId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.userId')
    .select('u.email')
    .where('m.orgId', '=', orgId)
    .where('m.roleId', '=', 'rol_admin')
    .execute();
  return rows.map((r) => r.email);
}
