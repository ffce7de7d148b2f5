import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** Times are milliseconds since the epoch in both dialects; booleans are 0/1. */
type Millis = number;
type Json = string;

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  createdAt: Millis;
  /** When a link that reached this address was opened; null while nobody proved the address. */
  emailVerifiedAt: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
  /** The TOTP secret, sealed (server/jobs/seal.ts); null without a second factor. */
  totpSecretSealed: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the second factor was confirmed; a sealed secret without it is an enrolment in progress. */
  totpEnabledAt: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
  /** The last TOTP time step accepted: a code works once. */
  totpLastStep: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface SessionsTable {
  /** HMAC of the cookie's session id: a copy of the database cannot be replayed as a cookie. */
  idHash: string;
  userId: string;
  createdAt: Millis;
  lastSeenAt: Millis;
  expiresAt: Millis;
  /** Where the session was last seen from, and the browser that opened it (the Sessions page). */
  ip: ColumnType<string | null, string | null | undefined, string | null>;
  userAgent: ColumnType<string | null, string | null | undefined, string | null>;
  /** `password` or `sso:<provider id>` (an org may require SSO); null for sessions older than SSO. */
  authMethod: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface OrgsTable {
  id: string;
  name: string;
  maxTtlDays: number;
  allowNoExpiry: number;
  /** 1: e-mail owners about tokens unused for 90 days (opt-in). */
  notifyUnused: ColumnType<number, number | undefined, number>;
  /** 1: members without a second factor may only enrol one (docs/security.md). */
  requireTwoFactor: ColumnType<number, number | undefined, number>;
  /** 1: members reach the org only from a session opened by single sign-on. */
  requireSso: ColumnType<number, number | undefined, number>;
  createdAt: Millis;
}

export interface MembersTable {
  orgId: string;
  userId: string;
  roleId: string;
  createdAt: Millis;
}

export interface RolesTable {
  id: string;
  orgId: string;
  name: string;
  description: string;
  permissions: Json;
  createdAt: Millis;
}

export interface ResourcesTable {
  id: string;
  orgId: string;
  type: string;
  name: string;
  createdAt: Millis;
}

export interface TokensTable {
  id: string;
  orgId: string;
  kind: 'personal' | 'application';
  ownerId: string | null;
  /** The owner's id, or "org" for application tokens: names are unique per scope among active tokens. */
  nameScope: string;
  name: string;
  description: string;
  access: 'full' | 'granular';
  permissions: Json | null;
  roleId: string | null;
  resourceIds: Json | null;
  allowedIps: Json | null;
  rateLimit: number | null;
  rateLimitWindow: number | null;
  expiresAt: Millis | null;
  createdAt: Millis;
  createdBy: string;
  lastUsedAt: Millis | null;
  lastUsedIp: string | null;
  useCount: ColumnType<number, number | undefined, number>;
  status: 'active' | 'expired' | 'revoked';
  revokedAt: Millis | null;
  revokedBy: string | null;
  revokedReason: string | null;
  hint: string;
}

/** One row per live value of a token: the current one, and the previous one during a rotation's grace. */
export interface TokenSecretsTable {
  hash: string;
  tokenId: string;
  /** End of a rotation's grace period; null for the current value. */
  notAfter: Millis | null;
  createdAt: Millis;
  /** 1 on a value from a rotation "until used": its first successful verification ends the others' grace. */
  endsGraceOnUse: ColumnType<number, number | undefined, number>;
  /** When an older value was stopped by the new value's first use; kept so its reuse is recognised. */
  retiredAt: ColumnType<Millis | null, Millis | null | undefined, Millis | null>;
}

export interface InvitesTable {
  id: string;
  tokenHash: string;
  orgId: string;
  email: string;
  roleId: string;
  invitedBy: string;
  createdAt: Millis;
  expiresAt: Millis;
  acceptedAt: Millis | null;
}

export interface AuditEventsTable {
  id: string;
  orgId: string;
  action: string;
  actorType: string;
  actorId: string;
  targetType: string;
  targetId: string;
  at: Millis;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Json | null;
}

/** A one-time link or challenge of an account: password reset, e-mail verification, sign-in second step. */
export interface AccountLinksTable {
  id: string;
  userId: string;
  purpose: 'password_reset' | 'verify_email' | 'sign_in';
  secretHash: string;
  email: string;
  createdAt: Millis;
  expiresAt: Millis;
  usedAt: Millis | null;
  attempts: ColumnType<number, number | undefined, number>;
}

/** An OpenID Connect identity (provider + subject) linked to an account. */
export interface SsoIdentitiesTable {
  provider: string;
  subject: string;
  userId: string;
  email: string;
  createdAt: Millis;
}

/** Ten one-time recovery codes per user with a second factor, stored as HMACs. */
export interface RecoveryCodesTable {
  userId: string;
  codeHash: string;
  createdAt: Millis;
  usedAt: Millis | null;
}

export interface RateCountersTable {
  key: string;
  windowStart: Millis;
  count: number;
}

/** Verifications of one token on one UTC day (days since 1970-01-01), written by the batched usage flush. */
export interface TokenUsageDailyTable {
  tokenId: string;
  day: number;
  valid: ColumnType<number, number | undefined, number>;
  refused: ColumnType<number, number | undefined, number>;
  /** JSON array of the catalog keys successful verifications of the day exercised (issue 17). */
  permissionsUsed: ColumnType<Json | null, Json | null | undefined, Json | null>;
  /** JSON array of the resource ids successful verifications of the day named. */
  resourcesUsed: ColumnType<Json | null, Json | null | undefined, Json | null>;
}

/** An org's settings of the token insights (server/insights). */
export interface InsightSettingsTable {
  orgId: string;
  /** 1: a weekly digest of the insights is mailed to the org's administrators (opt-in). */
  weeklyDigest: number;
  /** Tokens older than this are reported as past their age. */
  maxAgeDays: number;
  updatedAt: Millis;
}

/** A one-time reveal link: the value's ciphertext under a key only the link's fragment holds. */
export interface RevealLinksTable {
  id: string;
  orgId: string;
  tokenId: string;
  createdBy: string;
  /** SHA-256 of the link's key (hex): finds the row; the key itself is never stored. */
  keyHash: string;
  /** base64url(iv ‖ tag ‖ AES-256-GCM ciphertext); null once opened or expired. */
  ciphertext: string | null;
  createdAt: Millis;
  expiresAt: Millis;
  openedAt: Millis | null;
  openedIp: string | null;
}

/** A queued mail or webhook delivery (server/jobs). */
export interface JobsTable {
  id: string;
  kind: 'mail' | 'webhook';
  orgId: string | null;
  endpointId: string | null;
  /** The webhook event type, or the mail's kind (invite, token.expiring, …). */
  eventType: string;
  payload: string;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';
  attempts: number;
  nextAttemptAt: Millis;
  leaseUntil: Millis | null;
  lastError: string | null;
  responseCode: number | null;
  createdAt: Millis;
  updatedAt: Millis;
  doneAt: Millis | null;
}

export interface WebhookEndpointsTable {
  id: string;
  orgId: string;
  url: string;
  description: string;
  events: Json;
  secretSealed: string;
  enabled: number;
  disabledReason: string | null;
  createdAt: Millis;
  createdBy: string;
  updatedAt: Millis;
}

/** One row per notice sent (e.g. `token.expiring:tok_…:<expiresAt>`): the key makes each notice once-only. */
export interface NoticesTable {
  key: string;
  createdAt: Millis;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  orgs: OrgsTable;
  members: MembersTable;
  roles: RolesTable;
  resources: ResourcesTable;
  tokens: TokensTable;
  tokenSecrets: TokenSecretsTable;
  invites: InvitesTable;
  auditEvents: AuditEventsTable;
  rateCounters: RateCountersTable;
  jobs: JobsTable;
  webhookEndpoints: WebhookEndpointsTable;
  notices: NoticesTable;
  tokenUsageDaily: TokenUsageDailyTable;
  accountLinks: AccountLinksTable;
  recoveryCodes: RecoveryCodesTable;
  ssoIdentities: SsoIdentitiesTable;
  revealLinks: RevealLinksTable;
  insightSettings: InsightSettingsTable;
}

export type UserRow = Selectable<UsersTable>;
export type OrgRow = Selectable<OrgsTable>;
export type MemberRow = Selectable<MembersTable>;
export type RoleRow = Selectable<RolesTable>;
export type ResourceRow = Selectable<ResourcesTable>;
export type TokenRow = Selectable<TokensTable>;
export type NewToken = Insertable<TokensTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type InviteRow = Selectable<InvitesTable>;
export type JobRow = Selectable<JobsTable>;
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
// Generated is re-exported for repositories that insert rows with defaults.
export type { Generated };
