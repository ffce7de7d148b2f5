import type { Kysely, Transaction } from 'kysely';
import type { DialectName } from '../db/connect.ts';
import { newestFirst, ofParent } from '../db/newest-first.ts';
import type { Database, JobRow } from '../db/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertJob(db: Db, row: JobRow): Promise<void> {
  await db.insertInto('jobs').values(row).execute();
}

/** Queues a job due now; the worker takes it from there. */
export async function insertPendingJob(
  db: Db,
  job: Pick<JobRow, 'id' | 'kind' | 'orgId' | 'endpointId' | 'eventType' | 'payload'>,
  now: number,
): Promise<void> {
  await insertJob(db, {
    ...job,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    leaseUntil: null,
    lastError: null,
    responseCode: null,
    createdAt: now,
    updatedAt: now,
    doneAt: null,
  });
}

/**
 * Takes up to `limit` due jobs for this process: pending ones whose time has come, and ones another process
 * took but did not finish within its lease (it stopped mid-send). One statement; on PostgreSQL the rows are
 * picked `FOR UPDATE SKIP LOCKED`, so processes that claim at the same time get disjoint jobs.
 */
export function claimDueJobs(
  db: Kysely<Database>,
  dialect: DialectName,
  now: number,
  leaseMs: number,
  limit: number,
): Promise<JobRow[]> {
  let due = db
    .selectFrom('jobs')
    .select('id')
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('nextAttemptAt', '<=', now)]),
        eb.and([eb('status', '=', 'sending'), eb('leaseUntil', '<', now)]),
      ]),
    )
    .orderBy('nextAttemptAt')
    .limit(limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  return db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'sending',
      leaseUntil: now + leaseMs,
      attempts: eb('attempts', '+', 1),
      updatedAt: now,
    }))
    .where('id', 'in', due)
    .returningAll()
    .execute();
}

export async function updateJob(
  db: Db,
  id: string,
  changes: Partial<
    Pick<
      JobRow,
      | 'status'
      | 'nextAttemptAt'
      | 'leaseUntil'
      | 'lastError'
      | 'responseCode'
      | 'doneAt'
      | 'payload'
      | 'updatedAt'
    >
  >,
): Promise<void> {
  await db.updateTable('jobs').set(changes).where('id', '=', id).execute();
}

/** Hands jobs claimed by a stopping process back to the queue, due at once. */
export async function releaseJobs(db: Db, ids: string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('jobs')
    .set({ status: 'pending', leaseUntil: null, nextAttemptAt: now, updatedAt: now })
    .where('id', 'in', ids)
    .where('status', '=', 'sending')
    .execute();
}

export async function cancelPendingJobsOfEndpoint(
  db: Db,
  endpointId: string,
  reason: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'cancelled', lastError: reason, doneAt: now, updatedAt: now, leaseUntil: null })
    .where('endpointId', '=', endpointId)
    .where('status', '=', 'pending')
    .execute();
}

/** When a delivery to the endpoint last succeeded. */
export async function lastSuccessOfEndpoint(db: Db, endpointId: string): Promise<number | null> {
  const row = await db
    .selectFrom('jobs')
    .select((eb) => eb.fn.max('doneAt').as('at'))
    .where('endpointId', '=', endpointId)
    .where('status', '=', 'sent')
    .executeTakeFirst();
  return row?.at == null ? null : Number(row.at);
}

export function listJobsOfEndpoint(
  db: Db,
  endpointId: string,
  page: { cursor?: string; limit: number },
): Promise<JobRow[]> {
  let query = db
    .selectFrom('jobs')
    .selectAll()
    .where(ofParent(db, 'endpointId', endpointId));
  if (page.cursor !== undefined) query = query.where('id', '<', page.cursor);
  return query.orderBy(newestFirst('endpointId')).limit(page.limit).execute();
}

export function findJob(db: Db, id: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Finished jobs are kept as the delivery log for a while, then deleted. */
export async function deleteFinishedJobs(db: Db, before: number): Promise<void> {
  await db
    .deleteFrom('jobs')
    .where('status', 'in', ['sent', 'failed', 'cancelled'])
    .where('doneAt', '<', before)
    .execute();
}

/** Records a notice; false when it was recorded before (by this process or another). */
export async function insertNotice(db: Db, key: string, now: number): Promise<boolean> {
  const result = await db
    .insertInto('notices')
    .values({ key, createdAt: now })
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function existingNotices(db: Db, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.selectFrom('notices').select('key').where('key', 'in', keys).execute();
  return new Set(rows.map((r) => r.key));
}

/** Pages through by id (`afterId`), so a scan reaches every token however many were noticed before. */
export function tokensExpiringBetween(db: Db, from: number, to: number, afterId: string, limit: number) {
  return db
    .selectFrom('tokens')
    .select([
      'id',
      'orgId',
      'kind',
      'ownerId',
      'createdBy',
      'name',
      'hint',
      'expiresAt',
      'createdAt',
      'status',
    ])
    .where('status', 'in', ['active', 'expired'])
    .where('expiresAt', '>', from)
    .where('expiresAt', '<=', to)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Active tokens of orgs that opted in to unused notices, not used (or created) since `before`. */
export function unusedTokens(db: Db, before: number, now: number, afterId: string, limit: number) {
  return db
    .selectFrom('tokens as t')
    .innerJoin('orgs as o', 'o.id', 't.orgId')
    .select([
      't.id',
      't.orgId',
      't.kind',
      't.ownerId',
      't.createdBy',
      't.name',
      't.hint',
      't.lastUsedAt',
      't.createdAt',
    ])
    .where('o.notifyUnused', '=', 1)
    .where('t.status', '=', 'active')
    .where((eb) => eb.or([eb('t.expiresAt', 'is', null), eb('t.expiresAt', '>', now)]))
    .where((eb) => eb(eb.fn.coalesce('t.lastUsedAt', 't.createdAt'), '<=', before))
    .where('t.id', '>', afterId)
    .orderBy('t.id')
    .limit(limit)
    .execute();
}

/** A member's address in the org, or undefined when the user is not (or no longer) a member. */
export async function memberEmail(db: Db, orgId: string, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.userId')
    .select('u.email')
    .where('m.orgId', '=', orgId)
    .where('m.userId', '=', userId)
    .executeTakeFirst();
  return row?.email;
}

export async function adminEmails(db: Db, orgId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.userId')
    .select('u.email')
    .where('m.orgId', '=', orgId)
    .where('m.roleId', '=', 'rol_admin')
    .orderBy('u.email')
    .execute();
  return rows.map((r) => r.email);
}

export async function orgName(db: Db, orgId: string): Promise<string> {
  const row = await db.selectFrom('orgs').select('name').where('id', '=', orgId).executeTakeFirst();
  return row?.name ?? orgId;
}
