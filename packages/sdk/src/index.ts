export { tokenKey, VerifyCache, type VerifyCacheEntry, type VerifyCacheOptions } from './cache.ts';
export {
  type AcceptInviteInput,
  isTwoFactorChallenge,
  Latchkey,
  LatchkeyClient,
  type LatchkeyClientOptions,
  type LatchkeyOptions,
  type LeakReportResult,
  type SetupInput,
} from './client.ts';
export { isLatchkeyError, LatchkeyError, type LatchkeyErrorCode } from './errors.ts';
export { type EventStream, type EventStreamOptions, subscribeEvents } from './events.ts';
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
