import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen once landed: later changes go into a new dated file.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Ids sort by creation only in byte order; PostgreSQL databases often default to a linguistic
  // collation, so every text column is compared bytewise there, as SQLite always does.
  const text = db.getExecutor().adapter instanceof PostgresAdapter ? sql`text collate "C"` : 'text';
  await db.schema
    .createTable('users')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('email', text, (c) => c.notNull().unique())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('password_hash', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', text, (c) => c.primaryKey())
    .addColumn('user_id', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('orgs')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('max_ttl_days', 'integer', (c) => c.notNull())
    .addColumn('allow_no_expiry', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('members')
    .addColumn('org_id', text, (c) => c.notNull())
    .addColumn('user_id', text, (c) => c.notNull())
    .addColumn('role_id', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('members_pk', ['org_id', 'user_id'])
    .execute();
  await db.schema.createIndex('members_user').on('members').column('user_id').execute();

  await db.schema
    .createTable('roles')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('org_id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('description', text, (c) => c.notNull())
    .addColumn('permissions', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('roles_org_name', ['org_id', 'name'])
    .execute();

  await db.schema
    .createTable('resources')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('org_id', text, (c) => c.notNull())
    .addColumn('type', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('resources_org_type_name', ['org_id', 'type', 'name'])
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('org_id', text, (c) => c.notNull())
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('owner_id', text)
    .addColumn('name_scope', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('description', text, (c) => c.notNull())
    .addColumn('access', text, (c) => c.notNull())
    .addColumn('permissions', text)
    .addColumn('role_id', text)
    .addColumn('resource_ids', text)
    .addColumn('allowed_ips', text)
    .addColumn('rate_limit', 'integer')
    .addColumn('rate_limit_window', 'integer')
    .addColumn('expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('last_used_ip', text)
    .addColumn('use_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoked_by', text)
    .addColumn('revoked_reason', text)
    .addColumn('hint', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tokens_org_id').on('tokens').columns(['org_id', 'id']).execute();
  await db.schema
    .createIndex('tokens_org_owner')
    .on('tokens')
    .columns(['org_id', 'owner_id', 'id'])
    .execute();
  await db.schema
    .createIndex('tokens_active_name')
    .on('tokens')
    .columns(['org_id', 'name_scope', 'name'])
    .unique()
    .where(sql.ref('status'), '=', 'active')
    .execute();

  await db.schema
    .createTable('token_secrets')
    .addColumn('hash', text, (c) => c.primaryKey())
    .addColumn('token_id', text, (c) => c.notNull())
    .addColumn('not_after', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('token_secrets_token').on('token_secrets').column('token_id').execute();

  await db.schema
    .createTable('invites')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('token_hash', text, (c) => c.notNull().unique())
    .addColumn('org_id', text, (c) => c.notNull())
    .addColumn('email', text, (c) => c.notNull())
    .addColumn('role_id', text, (c) => c.notNull())
    .addColumn('invited_by', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('accepted_at', 'bigint')
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('org_id', text, (c) => c.notNull())
    .addColumn('action', text, (c) => c.notNull())
    .addColumn('actor_type', text, (c) => c.notNull())
    .addColumn('actor_id', text, (c) => c.notNull())
    .addColumn('target_type', text, (c) => c.notNull())
    .addColumn('target_id', text, (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('ip', text)
    .addColumn('user_agent', text)
    .addColumn('request_id', text)
    .addColumn('details', text)
    .execute();
  await db.schema.createIndex('audit_org').on('audit_events').columns(['org_id', 'id']).execute();
  await db.schema
    .createIndex('audit_org_target')
    .on('audit_events')
    .columns(['org_id', 'target_id', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'audit_events',
    'invites',
    'token_secrets',
    'tokens',
    'resources',
    'roles',
    'members',
    'orgs',
    'sessions',
    'users',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
