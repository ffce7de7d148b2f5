// `@latchkey/sdk`: everything of the browser entry (the client, the errors, the event stream, the shared rules
// and the types), plus what only Node has: the cached `Latchkey` client, the middleware and webhook signing.
export * from './browser.ts';
export { tokenKey, VerifyCache, type VerifyCacheEntry, type VerifyCacheOptions } from './cache.ts';
export { Latchkey, type LatchkeyOptions } from './client.ts';
export {
  type AuthorizeOutcome,
  authorizeRequest,
  type ErrorBody,
  type RequireTokenOptions,
  type ValueOrGetter,
} from './middleware.ts';
export {
  signWebhookBody,
  type VerifyWebhookSignatureOptions,
  verifyWebhookSignature,
  type WebhookBody,
} from './webhooks.ts';
