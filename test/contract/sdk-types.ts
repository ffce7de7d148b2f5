// The SDK's hand-written types (packages/sdk/src/types.ts) against the client types generated from the
// served OpenAPI document (generated/latchkey-api.d.ts). Checked by the TypeScript compiler: an answer
// the server gives must be readable as the SDK's type, and a body the SDK sends must be one the server
// takes. test/contract/openapi.test.ts compiles this file, so the two cannot drift apart.
import type * as sdk from '@latchkey/sdk';
import type { components, operations } from './generated/latchkey-api.d.ts';

type Schemas = components['schemas'];
type Answer<Op extends keyof operations, Status extends number> = operations[Op]['responses'] extends {
  [S in Status]: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;
type RequestBody<Op extends keyof operations> = operations[Op] extends {
  requestBody?: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;

/** `true` only when `A` can be used where `B` is expected (and neither is `never` or `any`). */
type Fits<A, B> = [A] extends [never] ? false : 0 extends 1 & A ? false : [A] extends [B] ? true : false;
type Holds<T extends true> = T;

export type Checks = [
  // What the server answers, the SDK reads.
  Holds<Fits<Schemas['TokenInfo'], sdk.TokenInfo>>,
  Holds<Fits<Schemas['IssuedToken'], sdk.IssuedToken>>,
  Holds<Fits<Schemas['Org'], sdk.Org>>,
  Holds<Fits<Schemas['Member'], sdk.Member>>,
  Holds<Fits<Schemas['MemberInvitation'], sdk.MemberInvitation>>,
  Holds<Fits<Schemas['Role'], sdk.Role>>,
  Holds<Fits<Schemas['Resource'], sdk.Resource>>,
  Holds<Fits<Schemas['AuditEvent'], sdk.AuditEvent>>,
  Holds<Fits<Schemas['Session'], sdk.Session>>,
  Holds<Fits<Schemas['VerifyResult'], sdk.VerifyResult>>,
  Holds<Fits<Schemas['WebhookDelivery'], sdk.WebhookDelivery>>,
  Holds<Fits<Schemas['OutboxMail'], sdk.OutboxMail>>,
  Holds<Fits<Answer<'listTokens', 200>, sdk.Page<sdk.TokenInfo>>>,
  Holds<Fits<Answer<'rotateToken', 200>, sdk.IssuedToken>>,
  Holds<Fits<Answer<'lookupToken', 200>, sdk.TokenLookup>>,
  Holds<Fits<Answer<'getTokenUsage', 200>, sdk.TokenUsage>>,
  Holds<Fits<Answer<'login', 200>, sdk.Session | sdk.TwoFactorChallenge>>,
  Holds<Fits<Answer<'loginTwoFactor', 200>, sdk.Session>>,
  Holds<Fits<Answer<'getSetupStatus', 200>, { needed: boolean }>>,
  Holds<Fits<Answer<'previewInvite', 200>, sdk.InvitePreview>>,
  Holds<Fits<Answer<'listSessions', 200>, { items: sdk.AccountSession[] }>>,
  Holds<Fits<Answer<'listMyInvitations', 200>, { items: sdk.UserInvitation[]; emailVerified: boolean }>>,
  Holds<Fits<Answer<'getTwoFactor', 200>, sdk.TwoFactorStatus>>,
  Holds<Fits<Answer<'enrolTwoFactor', 200>, sdk.TwoFactorEnrolment>>,
  Holds<Fits<Answer<'createRevealLink', 201>, sdk.IssuedLink>>,
  Holds<Fits<Answer<'openRevealLink', 200>, sdk.OpenedLink>>,
  Holds<Fits<Answer<'listRevealLinks', 200>, { items: sdk.RevealLink[] }>>,
  Holds<Fits<Answer<'getInsightSettings', 200>, sdk.InsightSettings>>,
  Holds<Fits<Answer<'listSsoProviders', 200>, { items: sdk.SsoProvider[] }>>,
  // What the SDK sends, the server takes.
  Holds<Fits<sdk.AcceptInviteInput, RequestBody<'acceptInvite'>>>,
  Holds<Fits<sdk.CreateTokenInput, RequestBody<'createToken'>>>,
  Holds<Fits<sdk.UpdateTokenInput, RequestBody<'updateToken'>>>,
  Holds<Fits<sdk.CreateWebhookInput, RequestBody<'createWebhook'>>>,
  Holds<Fits<sdk.UpdateWebhookInput, RequestBody<'updateWebhook'>>>,
];
