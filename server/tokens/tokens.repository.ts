import { type Kysely, sql, type Transaction } from 'kysely';
import type { DatabaseHandle } from '../db/connect.ts';
import { newestFirst, ofParent } from '../db/newest-first.ts';
import type { Database, NewToken, TokenRow } from '../db/schema.ts';
import { RETIRED_VALUE_KEPT_MS } from './rotation-evidence.repository.ts';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertToken(db: Db, row: NewToken, secretHash: string): Promise<void> {
  await db.insertInto('tokens').values(row).execute();
  await db
    .insertInto('tokenSecrets')
    .values({ hash: secretHash, tokenId: row.id, notAfter: null, createdAt: row.createdAt })
    .execute();
}

export function findToken(db: Db, orgId: string, id: string): Promise<TokenRow | undefined> {
  return db
    .selectFrom('tokens')
    .selectAll()
    .where('orgId', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export function findActiveTokenByName(
  db: Db,
  orgId: string,
  nameScope: string,
  name: string,
): Promise<TokenRow | undefined> {
  return db
    .selectFrom('tokens')
    .selectAll()
    .where('orgId', '=', orgId)
    .where('nameScope', '=', nameScope)
    .where('name', '=', name)
    .where('status', '=', 'active')
    .executeTakeFirst();
}

/** Persists the expiry of a token whose time has passed, freeing its name for a new token. */
export async function markExpired(db: Db, id: string): Promise<void> {
  await db.updateTable('tokens').set({ status: 'expired' }).where('id', '=', id).execute();
}

export interface TokenListFilter {
  orgId: string;
  ownerId?: string;
  status?: 'active' | 'expired' | 'revoked';
  kind?: 'personal' | 'application';
  /** Tokens that may reach this resource: limited to it, or to every resource. */
  resourceId?: string;
  /** Part of the name or hint (any case), or the whole id. */
  q?: string;
  cursor?: string;
  limit: number;
  now: number;
}

/** Newest first, by id (ids sort by creation); `cursor` is the last id of the previous page. */
export function listTokens(db: Db, filter: TokenListFilter): Promise<TokenRow[]> {
  let query = db
    .selectFrom('tokens')
    .selectAll()
    .where(ofParent(db, 'orgId', filter.orgId));
  if (filter.ownerId !== undefined) query = query.where('ownerId', '=', filter.ownerId);
  if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
  if (filter.resourceId !== undefined) {
    const quoted = `%${JSON.stringify(filter.resourceId)}%`;
    query = query.where((eb) => eb.or([eb('resourceIds', 'is', null), eb('resourceIds', 'like', quoted)]));
  }
  if (filter.q !== undefined) {
    const q = filter.q.trim().replace(/\.\.\./g, '…');
    const pattern = `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([
        eb('id', '=', q),
        sql<boolean>`lower(${sql.ref('name')}) like ${pattern} escape '\\'`,
        sql<boolean>`lower(${sql.ref('hint')}) like ${pattern} escape '\\'`,
      ]),
    );
  }
  if (filter.status === 'revoked') query = query.where('status', '=', 'revoked');
  else if (filter.status === 'active') {
    query = query
      .where('status', '=', 'active')
      .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', filter.now)]));
  } else if (filter.status === 'expired') {
    query = query.where((eb) =>
      eb.or([
        eb('status', '=', 'expired'),
        eb.and([eb('status', '=', 'active'), eb('expiresAt', '<=', filter.now)]),
      ]),
    );
  }
  if (filter.cursor !== undefined) query = query.where('id', '<', filter.cursor);
  return query.orderBy(newestFirst('orgId')).limit(filter.limit).execute();
}

/** Writes edited text and grant columns of a token. */
export async function updateTokenFields(
  db: Db,
  id: string,
  changes: Partial<
    Pick<
      TokenRow,
      | 'name'
      | 'description'
      | 'access'
      | 'permissions'
      | 'roleId'
      | 'resourceIds'
      | 'allowedIps'
      | 'rateLimit'
      | 'rateLimitWindow'
      | 'expiresAt'
    >
  >,
): Promise<void> {
  if (Object.keys(changes).length === 0) return;
  await db.updateTable('tokens').set(changes).where('id', '=', id).execute();
}

/** When the last old value of a token stops working (the end of a rotation's grace), or null. */
export async function latestGraceEnd(db: Db, tokenId: string, now: number): Promise<number | null> {
  const row = await db
    .selectFrom('tokenSecrets')
    .select((eb) => eb.fn.max('notAfter').as('end'))
    .where('tokenId', '=', tokenId)
    .where('notAfter', '>', now)
    .executeTakeFirst();
  return row?.end === null || row?.end === undefined ? null : Number(row.end);
}

/** The grace ends of several tokens at once, for a page of a list. */
export async function graceEndsOf(
  db: Db,
  tokenIds: readonly string[],
  now: number,
): Promise<Map<string, number>> {
  if (tokenIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('tokenSecrets')
    .select(['tokenId', (eb) => eb.fn.max('notAfter').as('end')])
    .where('tokenId', 'in', tokenIds)
    .where('notAfter', '>', now)
    .groupBy('tokenId')
    .execute();
  return new Map(rows.map((r) => [r.tokenId, Number(r.end)]));
}

/** Revokes unless already revoked; answers whether this call did it. */
export async function revokeTokenRow(
  db: Db,
  id: string,
  revocation: { at: number; by: string; reason: string },
): Promise<boolean> {
  const result = await db
    .updateTable('tokens')
    .set({
      status: 'revoked',
      revokedAt: revocation.at,
      revokedBy: revocation.by,
      revokedReason: revocation.reason,
    })
    .where('id', '=', id)
    .where('status', '!=', 'revoked')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export function activeTokenIdsOfOwner(db: Db, orgId: string, ownerId: string): Promise<{ id: string }[]> {
  return db
    .selectFrom('tokens')
    .select('id')
    .where('orgId', '=', orgId)
    .where('ownerId', '=', ownerId)
    .where('kind', '=', 'personal')
    .where('status', '!=', 'revoked')
    .execute();
}

/**
 * Rotation: the new value becomes current; the old values stay valid until `graceUntil`,
 * or are deleted at once when there is no grace.
 */
export async function replaceTokenSecret(
  db: Db,
  tokenId: string,
  newHash: string,
  graceUntil: number | null,
  now: number,
): Promise<void> {
  if (graceUntil === null) {
    await db.deleteFrom('tokenSecrets').where('tokenId', '=', tokenId).execute();
  } else {
    await db
      .updateTable('tokenSecrets')
      .set({ notAfter: graceUntil })
      .where('tokenId', '=', tokenId)
      .where((eb) => eb.or([eb('notAfter', 'is', null), eb('notAfter', '>', graceUntil)]))
      .execute();
  }
  await db
    .insertInto('tokenSecrets')
    .values({ hash: newHash, tokenId, notAfter: null, createdAt: now })
    .execute();
}

export async function updateTokenHint(db: Db, id: string, hint: string): Promise<void> {
  await db.updateTable('tokens').set({ hint }).where('id', '=', id).execute();
}

export interface TokenUsage {
  tokenId: string;
  count: number;
  lastUsedAt: number;
  lastUsedIp: string;
}

/**
 * Adds recorded uses to many tokens in one statement (UPDATE … FROM VALUES, in SQLite and PostgreSQL
 * alike). Several processes flush in any order: counts add up, and the last use only moves forward.
 */
export async function addTokenUsage(db: Db, usages: readonly TokenUsage[]): Promise<void> {
  if (usages.length === 0) return;
  const rows = sql.join(
    usages.map(
      (u) =>
        sql`(${u.tokenId}, cast(${u.count} as bigint), cast(${u.lastUsedAt} as bigint), ${u.lastUsedIp})`,
    ),
  );
  // VALUES columns are column1…column4 in both dialects.
  await sql`
    update tokens set
      use_count = tokens.use_count + v.column2,
      last_used_ip = case when tokens.last_used_at is null or tokens.last_used_at < v.column3
        then v.column4 else tokens.last_used_ip end,
      last_used_at = case when tokens.last_used_at is null or tokens.last_used_at < v.column3
        then v.column3 else tokens.last_used_at end
    from (values ${rows}) as v
    where tokens.id = v.column1`.execute(db);
}

export async function deleteLapsedSecrets(db: Db, now: number): Promise<void> {
  await db
    .deleteFrom('tokenSecrets')
    .where('notAfter', '<=', now)
    // A value retired by a rotation "until used" stays a while: presenting it is then audited as reuse.
    .where((eb) => eb.or([eb('retiredAt', 'is', null), eb('retiredAt', '<=', now - RETIRED_VALUE_KEPT_MS)]))
    .execute();
}

/** Everything a verification needs, in one indexed read: the token, its role, and its owner's role. */
function verifyQuery(db: Db, hash: string) {
  return verifyColumns(db).where('s.hash', '=', hash);
}

/**
 * The verify read's rows of the next `tokens` tokens after `afterTokenId` (in id order, each with every
 * stored value): the pages of the start-up scan that fills the verifier's memory (issue 13). By token id
 * and not by value hash, the tokens table is read in its own order: a third of the time of a scan in hash
 * order, which visited the tokens at random. Read as arrays: see {@link DatabaseHandle.rowArrays}.
 */
export async function verifyRowsOfTokensAfter(
  handle: DatabaseHandle,
  afterTokenId: string,
  tokens: number,
): Promise<{ rows: (TokenForVerify & { hash: string })[]; lastTokenId: string | null }> {
  const { db } = handle;
  const page = db
    .selectFrom('tokenSecrets')
    .select('tokenId')
    .distinct()
    .where('tokenId', '>', afterTokenId)
    .orderBy('tokenId')
    .limit(tokens);
  // Ordered by the database, so the next page starts after the last id as the database compares ids
  // (its collation, not JavaScript's string order).
  const query = verifyColumns(db)
    .select('s.hash')
    .where('s.tokenId', 'in', page)
    .orderBy('s.tokenId')
    .compile();
  const { columns, rows } = await handle.rowArrays(query);
  // The same query as the verify read, so the same columns: their names back in camelCase.
  const names = columns.map((name) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
  const result = rows.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) row[names[i] as string] = values[i];
    return row as TokenForVerify & { hash: string };
  });
  return { rows: result, lastTokenId: result.at(-1)?.id ?? null };
}

function verifyColumns(db: Db) {
  return db
    .selectFrom('tokenSecrets as s')
    .innerJoin('tokens as t', 't.id', 's.tokenId')
    .leftJoin('roles as tokenRole', 'tokenRole.id', 't.roleId')
    .leftJoin('members as m', (join) =>
      join.onRef('m.orgId', '=', 't.orgId').onRef('m.userId', '=', 't.ownerId'),
    )
    .leftJoin('roles as ownerRole', 'ownerRole.id', 'm.roleId')
    .select([
      's.notAfter',
      's.endsGraceOnUse',
      's.retiredAt',
      't.id',
      't.orgId',
      't.kind',
      't.ownerId',
      't.access',
      't.permissions',
      't.roleId',
      't.resourceIds',
      't.allowedIps',
      't.rateLimit',
      't.rateLimitWindow',
      't.expiresAt',
      't.status',
      'tokenRole.permissions as tokenRolePermissions',
      'm.roleId as ownerRoleId',
      'ownerRole.permissions as ownerRolePermissions',
    ]);
}

export type TokenForVerify = NonNullable<
  Awaited<ReturnType<ReturnType<typeof verifyQuery>['executeTakeFirst']>>
>;

/**
 * The verify read, built and compiled once: a cache miss then costs the database round trip, not the
 * query builder (which dominated small statements in the benchmark's profile).
 */
export function tokenLoaderForVerify(
  db: Kysely<Database>,
): (hash: string) => Promise<TokenForVerify | undefined> {
  const compiled = verifyQuery(db, '').compile();
  if (compiled.parameters.length !== 1) throw new Error('the verify query should have one parameter');
  return async (hash) => {
    const result = await db.executeQuery<TokenForVerify>({ ...compiled, parameters: [hash] });
    return result.rows[0];
  };
}
