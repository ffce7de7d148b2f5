import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen once landed. Issue 17: an org's settings of the token insights (server/insights): the age past which a
// token is reported, and the opt-in weekly digest mailed to its administrators.
export async function up(db: Kysely<unknown>): Promise<void> {
  const text = db.getExecutor().adapter instanceof PostgresAdapter ? sql`text collate "C"` : 'text';
  await db.schema
    .createTable('insight_settings')
    .addColumn('org_id', text, (c) => c.primaryKey())
    .addColumn('weekly_digest', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_age_days', 'integer', (c) => c.notNull().defaultTo(180))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('insight_settings').ifExists().execute();
}
