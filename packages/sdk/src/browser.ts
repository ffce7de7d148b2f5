/**
 * `@latchkey/sdk/browser`: the client and the shared rules with nothing Node-only in their module
 * graph (no `node:` import, no Node global), for a web page or any runtime with `fetch`. The Node
 * entry `@latchkey/sdk` holds the same and more: the `Latchkey` client with its in-process
 * verification cache, the framework middleware and the webhook signature check (node:crypto).
 * A test bundles this entry with esbuild for the browser platform and fails on any Node built-in.
 *
 * @example
 * import { LatchkeyClient, isLatchkeyError, tokenHint } from '@latchkey/sdk/browser';
 *
 * const latchkey = new LatchkeyClient({ baseUrl: location.origin, credentials: 'same-origin' });
 * const session = await latchkey.auth.session();
 */
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
export { evaluateToken, hasPermission } from './permissions.ts';
export * from './rules/index.ts';
export type * from './types.ts';
