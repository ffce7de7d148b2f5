// Shapes of the Latchkey HTTP API as the console uses them: the SDK's types (@latchkey/sdk/browser), under
// the console's names where it has its own. Only Session differs on purpose: a console session always
// names its user and carries a CSRF token.
import type { Session as SdkSession, User } from '@latchkey/sdk/browser';

export type {
  AuditEvent,
  CreatedWebhook,
  CreateTokenInput as CreateTokenBody,
  CreateWebhookInput as WebhookBody,
  Invite,
  IssuedToken,
  Member,
  Org,
  OrgPolicy,
  OutboxMail,
  OutboxPage,
  Page,
  Permission,
  RateLimit,
  Resource,
  Role,
  SessionOrg,
  TokenInfo,
  TokenKind,
  TokenLookup,
  TokenStatus,
  TokenUsage,
  UpdateTokenInput as PatchTokenBody,
  User,
  Webhook as WebhookEndpoint,
  WebhookDelivery,
} from '@latchkey/sdk/browser';

import type { TokenDelivery, WebhookDelivery } from '@latchkey/sdk/browser';

export interface Session extends SdkSession {
  user: User;
  csrfToken: string;
}

export type TokenAccess = 'full' | 'granular';

export type Delivery = TokenDelivery['delivery'];

export type WebhookDeliveryStatus = WebhookDelivery['status'];
