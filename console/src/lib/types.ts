// Shapes of the Latchkey HTTP API (SPEC.md §2, §3, §5) as the console uses them.

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface SessionOrg {
  id: string;
  name: string;
  roleId: string;
  permissions: string[];
}

export interface Session {
  user: User;
  orgs: SessionOrg[];
  csrfToken: string;
}

export interface Permission {
  key: string;
  label: string;
  description: string;
  group: string;
}

export interface OrgPolicy {
  maxTtlDays: number;
  allowNoExpiry: boolean;
  /** E-mail owners about tokens unused for 90 days (older servers leave it out). */
  notifyUnused?: boolean;
}

export interface Org {
  id: string;
  name: string;
  policy: OrgPolicy;
}

export type TokenStatus = 'active' | 'expired' | 'revoked';
export type TokenKind = 'personal' | 'application';
export type TokenAccess = 'full' | 'granular';

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export interface TokenInfo {
  id: string;
  orgId: string;
  kind: TokenKind;
  ownerId: string | null;
  name: string;
  description: string | null;
  access: TokenAccess;
  permissions: string[] | null;
  roleId: string | null;
  resourceIds: string[] | null;
  allowedIps: string[] | null;
  rateLimit: RateLimit | null;
  expiresAt: string | null;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  useCount: number;
  status: TokenStatus;
  revokedAt: string | null;
  revokedBy: string | null;
  revokedReason: string | null;
  hint: string;
}

export interface IssuedToken {
  token: string;
  clientId: string;
  tokenInfo: TokenInfo;
  delivery?: Delivery;
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  roleId: string;
  createdAt: string;
}

export interface Invite {
  id: string;
  email: string;
  roleId: string;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
}

export interface Delivery {
  email: 'sent' | 'failed';
  error?: string;
}

export interface Role {
  id: string;
  name: string;
  description: string | null;
  permissions: string[];
  builtIn: boolean;
}

export interface Resource {
  id: string;
  type: string;
  name: string;
  createdAt: string;
}

export interface AuditEvent {
  id: string;
  orgId: string;
  action: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null } | null;
  at: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: unknown;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CreateTokenBody {
  name: string;
  description?: string;
  kind: TokenKind;
  access: TokenAccess;
  permissions?: string[];
  roleId?: string;
  resourceIds?: string[] | null;
  allowedIps?: string[];
  rateLimit?: RateLimit;
  expiresAt?: string | null;
  expiresIn?: string;
  deliver?: { email: boolean };
}

export interface WebhookEndpoint {
  id: string;
  orgId: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/** The create answer: the endpoint and its signing secret, shown this once. */
export interface CreatedWebhook extends WebhookEndpoint {
  secret: string;
}

export type WebhookDeliveryStatus = 'pending' | 'sent' | 'failed' | 'cancelled';

export interface WebhookDelivery {
  id: string;
  event: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  responseCode: number | null;
  lastError: string | null;
  createdAt: string;
  nextAttemptAt: string | null;
  doneAt: string | null;
}

export interface WebhookBody {
  url: string;
  events: string[];
  description?: string;
}

export interface OutboxMail {
  id: string;
  to: string;
  subject: string;
  date: string | null;
  orgId: string | null;
  kind: string | null;
  text: string;
}

export interface OutboxPage extends Page<OutboxMail> {
  /** `outbox` (mail is written here) or `smtp` (mail goes out; the list is empty). */
  transport: string;
}
