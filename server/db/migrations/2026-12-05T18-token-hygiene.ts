import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen once landed. Issue 17 (token hygiene):
// - reveal_links: one-time links that hand a token value to someone. Only the value's AES-256-GCM ciphertext
//   is kept, under a key that exists only in the link's URL fragment; key_hash (SHA-256 of that key) finds the
//   row. The ciphertext is deleted when the link is opened or has expired.
// - token_secrets.ends_grace_on_use: a rotation "until used" marks the new value; its first successful
//   verification ends the grace of the older values. token_secrets.retired_at: an older value stopped that
//   way; kept for a while so that presenting it again is recognised (token.old_value_reused).
// - token_usage_daily.permissions_used / resources_used: which permissions and resources successful
//   verifications exercised, per token and day (JSON arrays of catalog keys and resource ids: a set in memory,
//   written by the batched usage flush; keys rather than bit positions, so editing the catalog file does not
//   shift what old days mean).
export async function up(db: Kysely<unknown>): Promise<void> {
  const text = db.getExecutor().adapter instanceof PostgresAdapter ? sql`text collate "C"` : 'text';
  await db.schema
    .createTable('reveal_links')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('org_id', text, (c) => c.notNull())
    .addColumn('token_id', text, (c) => c.notNull())
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('key_hash', text, (c) => c.notNull().unique())
    .addColumn('ciphertext', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('opened_at', 'bigint')
    .addColumn('opened_ip', 'text')
    .execute();
  await db.schema.createIndex('reveal_links_token').on('reveal_links').column('token_id').execute();
  await db.schema.createIndex('reveal_links_expires').on('reveal_links').column('expires_at').execute();

  await db.schema
    .alterTable('token_secrets')
    .addColumn('ends_grace_on_use', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('token_secrets').addColumn('retired_at', 'bigint').execute();

  await db.schema.alterTable('token_usage_daily').addColumn('permissions_used', 'text').execute();
  await db.schema.alterTable('token_usage_daily').addColumn('resources_used', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('token_usage_daily').dropColumn('resources_used').execute();
  await db.schema.alterTable('token_usage_daily').dropColumn('permissions_used').execute();
  await db.schema.alterTable('token_secrets').dropColumn('retired_at').execute();
  await db.schema.alterTable('token_secrets').dropColumn('ends_grace_on_use').execute();
  await db.schema.dropTable('reveal_links').ifExists().execute();
}
