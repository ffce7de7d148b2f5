import {
  type Expression,
  type Kysely,
  PostgresAdapter,
  type RawBuilder,
  type SqlBool,
  sql,
  type Transaction,
} from 'kysely';
import type { Database } from './schema.ts';

// The rows of one parent (an org, a webhook endpoint) newest first by id (ids sort by creation), for a
// table with an index on (parent, id). With `parent = ?` PostgreSQL treats the parent as a constant, takes
// `order by id` as the whole order, and may walk the primary key (id) backwards instead, filtering every
// newer row of every other parent: an org's first page of 100 tokens behind 900,000 newer tokens of
// another took 206 ms (BENCHMARKS.md run 11), against 4 ms through (org_id, id) (run 12). On PostgreSQL
// the parent is therefore a range and first in the order: only the (parent, id) index gives that order.
// SQLite's planner takes that index for `parent = ?` already, and with a range it would scan the parent's
// rows from the newest down to a cursor (a last page of 100,000 tokens: 8.9 ms in run 12 against 2.5 ms in run 11).

/** `parent = value`, written so that PostgreSQL keeps the parent in the order (see above). */
export function ofParent(
  db: Kysely<Database> | Transaction<Database>,
  column: string,
  value: string,
): Expression<SqlBool> {
  return db.getExecutor().adapter instanceof PostgresAdapter
    ? sql<SqlBool>`${sql.ref(column)} >= ${value} and ${sql.ref(column)} <= ${value}`
    : sql<SqlBool>`${sql.ref(column)} = ${value}`;
}

/** The order for {@link ofParent}: the parent, then newest first. */
export function newestFirst(column: string): RawBuilder<unknown>[] {
  return [sql`${sql.ref(column)} desc`, sql`${sql.ref('id')} desc`];
}
