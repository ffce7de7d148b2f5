import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';

// The rows of one parent (an org, a webhook endpoint) newest first by id (ids sort by creation), for a
// table with an index on (parent, id). With `parent = ?` PostgreSQL treats the parent as a constant, takes
// `order by id` as the whole order, and may walk the primary key (id) backwards instead, filtering every
// newer row of every other parent: an org's first page of 100 tokens behind 900,000 newer tokens of
// another took 206 ms, against 0.06 ms through (org_id, id) (issue 13, BENCHMARKS.md run 11). The parent as
// a range, and first in the order, leaves only the (parent, id) index able to give that order.

/** `parent = value`, written so that the planner keeps the parent in the order (see above). */
export function ofParent(column: string, value: string): Expression<SqlBool> {
  return sql<SqlBool>`${sql.ref(column)} >= ${value} and ${sql.ref(column)} <= ${value}`;
}

/** The order for {@link ofParent}: the parent, then newest first. */
export function newestFirst(column: string): RawBuilder<unknown>[] {
  return [sql`${sql.ref(column)} desc`, sql`${sql.ref('id')} desc`];
}
