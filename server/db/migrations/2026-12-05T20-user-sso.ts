import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen once landed. Single sign-on with OpenID Connect (issue 16): the identities linked to accounts,
// how each session was opened, and the org policy that requires SSO.
export async function up(db: Kysely<unknown>): Promise<void> {
  const text = db.getExecutor().adapter instanceof PostgresAdapter ? sql`text collate "C"` : 'text';
  await db.schema
    .createTable('sso_identities')
    .addColumn('provider', text, (c) => c.notNull())
    // The ID token's `sub`: stable per provider, unlike the address.
    .addColumn('subject', text, (c) => c.notNull())
    .addColumn('user_id', text, (c) => c.notNull())
    .addColumn('email', text, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sso_identities_pk', ['provider', 'subject'])
    .execute();
  await db.schema.createIndex('sso_identities_user').on('sso_identities').column('user_id').execute();
  // `password` or `sso:<provider id>`; null for sessions opened before this migration (by password).
  await db.schema.alterTable('sessions').addColumn('auth_method', text).execute();
  await db.schema
    .alterTable('orgs')
    .addColumn('require_sso', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orgs').dropColumn('require_sso').execute();
  await db.schema.alterTable('sessions').dropColumn('auth_method').execute();
  await db.schema.dropTable('sso_identities').ifExists().execute();
}
