import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen once landed. Accounts (issue 16, issue 12 rule 5): a proved e-mail address, one-time links
// (password reset, e-mail verification, the sign-in second step), where a session was opened from,
// TOTP second factor with hashed recovery codes, and the org policy that requires it.
export async function up(db: Kysely<unknown>): Promise<void> {
  const text = db.getExecutor().adapter instanceof PostgresAdapter ? sql`text collate "C"` : 'text';
  // Null until a link that reached the address was opened; accounts created before this stay unproved.
  await db.schema.alterTable('users').addColumn('email_verified_at', 'bigint').execute();
  // The TOTP secret sealed with a key derived from the server secret; null while no second factor.
  await db.schema.alterTable('users').addColumn('totp_secret_sealed', text).execute();
  await db.schema.alterTable('users').addColumn('totp_enabled_at', 'bigint').execute();
  // The last 30-second step a code was accepted for: a code works once.
  await db.schema.alterTable('users').addColumn('totp_last_step', 'bigint').execute();

  await db.schema.alterTable('sessions').addColumn('ip', text).execute();
  await db.schema.alterTable('sessions').addColumn('user_agent', text).execute();

  await db.schema
    .alterTable('orgs')
    .addColumn('require_two_factor', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('account_links')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('user_id', text, (c) => c.notNull())
    // password_reset | verify_email | sign_in
    .addColumn('purpose', text, (c) => c.notNull())
    // HMAC of the secret: a copy of the database opens nothing.
    .addColumn('secret_hash', text, (c) => c.notNull().unique())
    // The address the link was sent to: it proves that address, not whatever the account holds later.
    .addColumn('email', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('account_links_user')
    .on('account_links')
    .columns(['user_id', 'purpose', 'created_at'])
    .execute();

  await db.schema
    .createTable('recovery_codes')
    .addColumn('user_id', text, (c) => c.notNull())
    .addColumn('code_hash', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addPrimaryKeyConstraint('recovery_codes_pk', ['user_id', 'code_hash'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('recovery_codes').ifExists().execute();
  await db.schema.dropTable('account_links').ifExists().execute();
  await db.schema.alterTable('orgs').dropColumn('require_two_factor').execute();
  await db.schema.alterTable('sessions').dropColumn('user_agent').execute();
  await db.schema.alterTable('sessions').dropColumn('ip').execute();
  for (const column of ['totp_last_step', 'totp_enabled_at', 'totp_secret_sealed', 'email_verified_at']) {
    await db.schema.alterTable('users').dropColumn(column).execute();
  }
}
