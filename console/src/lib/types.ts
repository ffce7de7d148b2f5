// Shapes of the Latchkey HTTP API (SPEC.md §2, §3, §5) as the console uses them.
//
// Where the SDK's type is the same shape it is re-exported from there (type-only, erased by the build);
// the rest differ on purpose (a signed-in session, fields the console requires or sends).

import type {
  OrgPolicy,
  RateLimit,
  IssuedToken as SdkIssuedToken,
  TokenInfo as SdkTokenInfo,
  SessionOrg,
  TokenDelivery,
  TokenKind,
  User,
  WebhookDelivery,
} from '../../../packages/sdk/src/types.ts';

export type {
  Invite,
  Member,
  OrgPolicy,
  OutboxMail,
  OutboxPage,
  Page,
  Permission,
  RateLimit,
  SessionOrg,
  TokenKind,
  TokenStatus,
  User,
  WebhookDelivery,
} from '../../../packages/sdk/src/types.ts';

export interface Session {
  /** A console session's user, with where their account stands (docs/security.md). */
  user: User & { emailVerified?: boolean; twoFactorEnabled?: boolean };
  orgs: SessionOrg[];
  csrfToken: string;
}

export interface Org {
  id: string;
  name: string;
  policy: OrgPolicy;
}

export type TokenAccess = 'full' | 'granular';

/**
 * A token as the API answers it; `previousValueExpiresAt` is when the value before a rotation with grace
 * stops working (null or absent: no old value works).
 */
export interface TokenInfo extends SdkTokenInfo {
  previousValueExpiresAt?: string | null;
}

/** The create and rotate answer; `delivery` when the value was e-mailed. */
export interface IssuedToken extends Omit<SdkIssuedToken, 'tokenInfo'> {
  tokenInfo: TokenInfo;
  delivery?: Delivery;
}

/** The grant fields a PATCH may change (narrowing always; widening within what the editor holds). */
export interface PatchTokenBody {
  name?: string;
  description?: string;
  access?: TokenAccess;
  permissions?: string[];
  roleId?: string | null;
  resourceIds?: string[] | null;
  allowedIps?: string[] | null;
  rateLimit?: RateLimit | null;
  expiresAt?: string | null;
}

/** Verifications of a token on one UTC day. */
export interface UsageDay {
  date: string;
  valid: number;
  refused: number;
}

export interface TokenUsage {
  tokenId: string;
  days: UsageDay[];
  totals: { valid: number; refused: number };
}

/** "Which token is this value?" */
export interface TokenLookup {
  token: TokenInfo;
  match: 'current' | 'previous';
  valueExpiresAt: string | null;
}

export type Delivery = TokenDelivery['delivery'];

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

export type WebhookDeliveryStatus = WebhookDelivery['status'];

export interface WebhookBody {
  url: string;
  events: string[];
  description?: string;
}
