import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface DailyUsage {
  tokenId: string;
  /** Days since 1970-01-01 in UTC. */
  day: number;
  valid: number;
  refused: number;
}

/** A day row's counts to add, and what the token exercised that day (sorted JSON lists, or null). */
export interface DailyUsageWrite extends DailyUsage {
  permissionsUsed: string | null;
  resourcesUsed: string | null;
}

/** What a day row holds of exercise after {@link addDailyUsage}. */
export interface StoredExercise {
  tokenId: string;
  day: number;
  permissionsUsed: string | null;
  resourcesUsed: string | null;
}

/**
 * Adds counts to each token's row of the day, creating it when missing (one statement per call). A row
 * that holds no exercise yet takes the one given, so a token's first flush of a day writes its row once
 * (issue 13: a second statement per row was a fifth of the cold benchmark's flush); returns what every
 * row holds afterwards, for {@link mergeExercised} to add what is missing.
 */
export async function addDailyUsage(db: Db, rows: readonly DailyUsageWrite[]): Promise<StoredExercise[]> {
  if (rows.length === 0) return [];
  return db
    .insertInto('tokenUsageDaily')
    .values(
      rows.map((r) => ({
        tokenId: r.tokenId,
        day: r.day,
        valid: r.valid,
        refused: r.refused,
        permissionsUsed: r.permissionsUsed,
        resourcesUsed: r.resourcesUsed,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['tokenId', 'day']).doUpdateSet((eb) => ({
        valid: eb('tokenUsageDaily.valid', '+', eb.ref('excluded.valid')),
        refused: eb('tokenUsageDaily.refused', '+', eb.ref('excluded.refused')),
        permissionsUsed: eb.fn.coalesce('tokenUsageDaily.permissionsUsed', 'excluded.permissionsUsed'),
        resourcesUsed: eb.fn.coalesce('tokenUsageDaily.resourcesUsed', 'excluded.resourcesUsed'),
      })),
    )
    .returning(['tokenId', 'day', 'permissionsUsed', 'resourcesUsed'])
    .execute();
}

/** A token's rows from `fromDay` on (inclusive), oldest first; days without verifications have no row. */
export function dailyUsageOf(db: Db, tokenId: string, fromDay: number): Promise<DailyUsage[]> {
  return db
    .selectFrom('tokenUsageDaily')
    .select(['tokenId', 'day', 'valid', 'refused'])
    .where('tokenId', '=', tokenId)
    .where('day', '>=', fromDay)
    .orderBy('day')
    .execute();
}

/** Forgets days before `day`. */
export async function deleteDailyUsageBefore(db: Db, day: number): Promise<void> {
  await db.deleteFrom('tokenUsageDaily').where('day', '<', day).execute();
}

/** The token a value hash belongs to in an org (its current value, or an old one still in its grace). */
export function findTokenByValueHash(
  db: Db,
  orgId: string,
  hash: string,
): Promise<{ tokenId: string; notAfter: number | null } | undefined> {
  return db
    .selectFrom('tokenSecrets as s')
    .innerJoin('tokens as t', 't.id', 's.tokenId')
    .select(['s.tokenId', 's.notAfter'])
    .where('s.hash', '=', hash)
    .where('t.orgId', '=', orgId)
    .executeTakeFirst();
}
