import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen once landed. Verifications per token and UTC day, valid and refused, written by the batched usage
// flush (server/verify/usage.ts): one upsert per token and day per flush, never a write per verification.
export async function up(db: Kysely<unknown>): Promise<void> {
  const text = db.getExecutor().adapter instanceof PostgresAdapter ? sql`text collate "C"` : 'text';
  await db.schema
    .createTable('token_usage_daily')
    .addColumn('token_id', text, (c) => c.notNull())
    // Days since 1970-01-01 in UTC.
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('valid', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('refused', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('token_usage_daily_pk', ['token_id', 'day'])
    .execute();
  // The retention sweep deletes by day.
  await db.schema.createIndex('token_usage_daily_day').on('token_usage_daily').column('day').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('token_usage_daily').ifExists().execute();
}
