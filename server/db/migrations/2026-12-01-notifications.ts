import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen once landed: later changes go into a new dated file.
// The delivery queue (mails and webhook deliveries), webhook endpoints, the once-only notice ledger,
// and the org policy's opt-in for "unused for 90 days" notices.
export async function up(db: Kysely<unknown>): Promise<void> {
  const text = db.getExecutor().adapter instanceof PostgresAdapter ? sql`text collate "C"` : 'text';

  await db.schema
    .alterTable('orgs')
    .addColumn('notify_unused', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('org_id', text, (c) => c.notNull())
    .addColumn('url', text, (c) => c.notNull())
    .addColumn('description', text, (c) => c.notNull())
    .addColumn('events', text, (c) => c.notNull())
    // AES-256-GCM under a key derived from the server secret: a copy of the database alone does not reveal it.
    .addColumn('secret_sealed', text, (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('disabled_reason', text)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('webhook_endpoints_org')
    .on('webhook_endpoints')
    .columns(['org_id', 'id'])
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('org_id', text)
    .addColumn('endpoint_id', text)
    .addColumn('event_type', text, (c) => c.notNull())
    // Mails: sealed (they may hold an invite link), emptied once sent. Webhooks: the JSON body, no secrets.
    .addColumn('payload', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_until', 'bigint')
    .addColumn('last_error', text)
    .addColumn('response_code', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('done_at', 'bigint')
    .execute();
  await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('jobs_endpoint').on('jobs').columns(['endpoint_id', 'id']).execute();

  // The notice scheduler looks for active tokens by expiry.
  await db.schema.createIndex('tokens_expiry').on('tokens').columns(['status', 'expires_at']).execute();

  await db.schema
    .createTable('notices')
    .addColumn('key', text, (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notices').execute();
  await db.schema.dropIndex('tokens_expiry').execute();
  await db.schema.dropTable('jobs').execute();
  await db.schema.dropTable('webhook_endpoints').execute();
  await db.schema.alterTable('orgs').dropColumn('notify_unused').execute();
}
