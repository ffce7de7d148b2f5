import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen once landed. PostgreSQL only (issue 13): every verified token's row in `tokens` (last used, use
// count) and its day row in `token_usage_daily` (counts, exercise) are updated by the usage flush, on
// columns no index holds. With room left in each page PostgreSQL updates such a row in place (a HOT
// update) instead of writing a new version into every index of the table: six on `tokens`. Pages written
// from now on keep the room; older ones gain it as vacuum frees them. SQLite updates rows in place anyway.
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`alter table tokens set (fillfactor = 80)`.execute(db);
  await sql`alter table token_usage_daily set (fillfactor = 70)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`alter table tokens reset (fillfactor)`.execute(db);
  await sql`alter table token_usage_daily reset (fillfactor)`.execute(db);
}
