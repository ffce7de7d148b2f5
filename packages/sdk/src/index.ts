export { tokenKey, VerifyCache, type VerifyCacheEntry, type VerifyCacheOptions } from './cache.ts';
export { Latchkey, type LatchkeyOptions } from './client.ts';
export { isLatchkeyError, LatchkeyError, type LatchkeyErrorCode } from './errors.ts';
export { type EventStream, type EventStreamOptions, subscribeEvents } from './events.ts';
export {
  type AcceptInviteInput,
  isTwoFactorChallenge,
  LatchkeyClient,
  type LatchkeyClientOptions,
  type LeakReportResult,
  type SetupInput,
} from './http-client.ts';
export {
  type AuthorizeOutcome,
  authorizeRequest,
  type ErrorBody,
  type RequireTokenOptions,
  type ValueOrGetter,
} from './middleware.ts';
export { evaluateToken, hasPermission } from './permissions.ts';
export { readBearer } from './rules/bearer.ts';
export { isWellFormedToken, tokenHint } from './rules/token-format.ts';
export type * from './types.ts';
export {
  signWebhookBody,
  type VerifyWebhookSignatureOptions,
  verifyWebhookSignature,
  type WebhookBody,
} from './webhooks.ts';
