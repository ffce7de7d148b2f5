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

/** Adds counts to each token's row of the day, creating it when missing (one statement per call). */
export async function addDailyUsage(db: Db, rows: readonly DailyUsage[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('tokenUsageDaily')
    .values(rows.map((r) => ({ tokenId: r.tokenId, day: r.day, valid: r.valid, refused: r.refused })))
    .onConflict((oc) =>
      oc.columns(['tokenId', 'day']).doUpdateSet((eb) => ({
        valid: eb('tokenUsageDaily.valid', '+', eb.ref('excluded.valid')),
        refused: eb('tokenUsageDaily.refused', '+', eb.ref('excluded.refused')),
      })),
    )
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
