/**
 * The shapes of the Latchkey HTTP API (SPEC §3 and §5), as the SDK sees them.
 *
 * Fields the server may add later are not listed; the SDK passes them through untouched.
 */

import type { PermissionQuery } from './rules/permissions.ts';
import type { VerifyCode } from './rules/verify-codes.ts';

// The permission question and the verify codes are shared rules (`@latchkey/sdk/rules`).
export type { PermissionQuery } from './rules/permissions.ts';

/**
 * Why a token was refused by `POST /v1/verify`.
 *
 * @example
 * const code: VerifyFailureCode = 'REVOKED';
 */
export type VerifyFailureCode = VerifyCode;

/**
 * The record of a verified token, as `POST /v1/verify` answers it.
 * `permissions` are the token's effective permissions at verification time.
 *
 * @example
 * function describe(token: VerifiedToken): string {
 *   return `${token.id} (${token.kind}) in ${token.orgId}`;
 * }
 */
export interface VerifiedToken {
  id: string;
  orgId: string;
  kind: TokenKind;
  ownerId: string | null;
  permissions: string[];
  resourceIds: string[] | null;
  expiresAt: string | null;
  /** Present when the server tells it; the SDK cache then checks the address locally. */
  allowedIps?: string[] | null;
  /** Present when the server tells it; the SDK never caches a token with its own rate limit. */
  rateLimit?: RateLimit | null;
  /** When this value stops working although the token lives on (the end of a rotation's grace). */
  valueExpiresAt?: string | null;
}

/**
 * The answer of a verification: data, not an exception.
 *
 * @example
 * const result: VerifyResult = await latchkey.verify(token, { permission: 'blocks:read' });
 * if (result.valid) console.log(result.token.id);
 * else console.log(result.code);
 */
export type VerifyResult = { valid: true; token: VerifiedToken } | { valid: false; code: VerifyFailureCode };

/**
 * What to check a token for.
 *
 * @example
 * const options: VerifyOptions = { permission: 'blocks:read', resource: 'res_01', ip: '203.0.113.7' };
 */
export interface VerifyOptions {
  permission?: PermissionQuery;
  resource?: string;
  /** The end client's address, as the protected API saw it. */
  ip?: string;
}

/**
 * `personal` tokens belong to a user; `application` tokens to the org.
 *
 * @example
 * const kind: TokenKind = 'application';
 */
export type TokenKind = 'personal' | 'application';

/**
 * A token's lifecycle state.
 *
 * @example
 * const status: TokenStatus = 'active';
 */
export type TokenStatus = 'active' | 'expired' | 'revoked';

/**
 * A per-token request limit: `limit` verifications per `windowSeconds`.
 *
 * @example
 * const rateLimit: RateLimit = { limit: 100, windowSeconds: 60 };
 */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/**
 * A token as the management API shows it (never its value).
 *
 * @example
 * const info: TokenInfo = await latchkey.tokens.get('org_1', 'tok_1');
 * console.log(info.hint, info.status);
 */
export interface TokenInfo {
  id: string;
  orgId: string;
  kind: TokenKind;
  ownerId: string | null;
  name: string;
  description: string | null;
  access: 'full' | 'granular';
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
  /** After a rotation with a grace period: when the old value stops working (null when none does). */
  previousValueExpiresAt?: string | null;
}

/**
 * The answer of `tokens.lookup()`: the token a value belongs to, and whether it is its current value
 * or the previous one of a rotation still in its grace.
 *
 * @example
 * const { token, match, valueExpiresAt }: TokenLookup = await latchkey.tokens.lookup('org_1', leakedValue);
 * console.log(token.id, token.name, match, valueExpiresAt);
 */
export interface TokenLookup {
  token: TokenInfo;
  match: 'current' | 'previous';
  valueExpiresAt: string | null;
}

/**
 * The answer of `tokens.usage()`: verifications per UTC day (every day listed, oldest first) and totals.
 *
 * @example
 * const usage: TokenUsage = await latchkey.tokens.usage('org_1', 'tok_1', { days: 90 });
 * console.log(usage.totals.valid, usage.totals.refused);
 */
export interface TokenUsage {
  tokenId: string;
  days: Array<{ date: string; valid: number; refused: number }>;
  totals: { valid: number; refused: number };
}

/**
 * The body of `PATCH /v1/orgs/{org}/tokens/{tok}`: a new name or description, and the grants.
 * Narrowing is always allowed to whoever may edit the token; widening only within what the editor
 * holds; `expiresAt` only earlier than now set. `null` lifts a limit (`resourceIds: null` = every
 * resource, `allowedIps: null` = any address, `rateLimit: null` = none).
 *
 * @example
 * const narrowed: UpdateTokenInput = { permissions: ['blocks:read'], resourceIds: ['res_1'], rateLimit: { limit: 100, windowSeconds: 60 } };
 * await latchkey.tokens.update('org_1', 'tok_1', narrowed);
 */
export interface UpdateTokenInput {
  name?: string;
  description?: string;
  access?: 'full' | 'granular';
  permissions?: string[];
  roleId?: string;
  resourceIds?: string[] | null;
  allowedIps?: string[] | null;
  rateLimit?: RateLimit | null;
  expiresAt?: string;
}

/**
 * The body of `POST /v1/orgs/{org}/tokens`.
 *
 * @example
 * const input: CreateTokenInput = {
 *   name: 'ci',
 *   access: 'granular',
 *   permissions: ['blocks:read'],
 *   expiresIn: '30d',
 * };
 */
export interface CreateTokenInput {
  name: string;
  description?: string;
  kind?: TokenKind;
  access: 'full' | 'granular';
  permissions?: string[];
  roleId?: string;
  resourceIds?: string[] | null;
  allowedIps?: string[];
  rateLimit?: RateLimit;
  /** RFC 3339, or `null` for no expiry (where the org's policy allows it). */
  expiresAt?: string | null;
  /** Seconds, or a string with a unit: `12h`, `30d`, `1y`. */
  expiresIn?: string | number;
  /** `email`: mail the value to the creator; `link`: a one-time reveal link (`ttl` default `15m`, at most `7d`). */
  deliver?: { email?: boolean; link?: { ttl?: string | number } };
}

/**
 * The only answers that hold a token's value: create and rotate.
 *
 * @example
 * const created: IssuedToken = await latchkey.tokens.create('org_1', { name: 'ci', access: 'full' });
 * console.log(created.clientId, created.token);
 */
export interface IssuedToken {
  token: string;
  clientId: string;
  tokenInfo: TokenInfo;
  /** Asked for with `deliver.link`: the one-time link (its fragment holds the only copy of the key). */
  link?: { id: string; url: string; expiresAt: string };
  /** Asked for with `deliver.email`: where the mail holding the value went. */
  delivery?: TokenDelivery['delivery'];
}

/**
 * Filters of `GET /v1/orgs/{org}/tokens`.
 *
 * @example
 * const filters: ListTokensParams = { owner: 'me', status: 'active', limit: 20 };
 */
export interface ListTokensParams extends PageParams {
  owner?: 'me' | (string & {});
  status?: TokenStatus;
  kind?: TokenKind;
  /** Only tokens limited to (or covering) this resource id. */
  resource?: string;
  /** Part of the name or hint, or the token id. */
  q?: string;
}

/**
 * Cursor pagination parameters.
 *
 * @example
 * const page: PageParams = { limit: 100 };
 */
export interface PageParams {
  cursor?: string;
  limit?: number;
}

/**
 * One page of a list.
 *
 * @example
 * const page: Page<TokenInfo> = await latchkey.tokens.list('org_1');
 * if (page.nextCursor) await latchkey.tokens.list('org_1', { cursor: page.nextCursor });
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * An org's token policy. `notifyUnused` e-mails owners about tokens unused for 90 days (default false).
 *
 * @example
 * const policy: OrgPolicy = { maxTtlDays: 90, allowNoExpiry: false, notifyUnused: true };
 * await latchkey.orgs.update('org_1', { policy: { notifyUnused: true } });
 */
export interface OrgPolicy {
  maxTtlDays: number;
  allowNoExpiry: boolean;
  /** E-mail owners (or creators) of tokens not used for 90 days. Older servers omit it. */
  notifyUnused?: boolean;
}

/**
 * An organization.
 *
 * @example
 * const org: Org = await latchkey.orgs.get('org_1');
 * console.log(org.name, org.policy.maxTtlDays);
 */
export interface Org {
  id: string;
  name: string;
  policy: OrgPolicy;
  createdAt?: string;
}

/**
 * An org as the session lists it, with the caller's role there.
 *
 * @example
 * const session = await latchkey.auth.session();
 * const first: SessionOrg | undefined = session.orgs[0];
 */
export interface SessionOrg {
  id: string;
  name: string;
  /** The caller's role there; null when the caller is a token. */
  roleId: string | null;
  permissions: string[];
}

/**
 * A person who signs in to the console.
 *
 * @example
 * const session = await latchkey.auth.session();
 * const user: User | null = session.user;
 */
export interface User {
  id: string;
  email: string;
  name: string;
  /** A console session's user: whether a link that reached the address was opened. */
  emailVerified?: boolean;
  /** A console session's user: whether sign-in asks a second factor. */
  twoFactorEnabled?: boolean;
}

/**
 * `GET /v1/auth/session`: the user (or a token's owner), their orgs, the CSRF token of a
 * cookie session, and the calling token when the credential is a token.
 *
 * @example
 * const { user, orgs, token } = await latchkey.auth.session();
 */
export interface Session {
  user: User | null;
  orgs: SessionOrg[];
  csrfToken: string | null;
  token?: TokenInfo | null;
}

/**
 * A user's place in an org.
 *
 * @example
 * const page = await latchkey.members.list('org_1');
 * const member: Member | undefined = page.items[0];
 */
export interface Member {
  userId: string;
  email: string;
  name: string;
  roleId: string;
  createdAt: string;
}

/**
 * The answer of adding someone without an account: an invitation, also mailed to them — through SMTP
 * (`delivery.email: 'smtp'`) or, when the server has no mail server set up, into its Outbox (`'outbox'`).
 *
 * @example
 * const added = await latchkey.members.add('org_1', { email: 'a@example.com', roleId: 'rol_readonly' });
 * if ('inviteUrl' in added) console.log('send', added.inviteUrl);
 */
export interface MemberInvitation {
  added: false;
  invited: true;
  email: string;
  roleId: string;
  inviteUrl: string;
  expiresAt: string;
  /** Whether the address already has an account (it accepts the invitation signed in). */
  existingAccount: boolean;
  /** Where the invitation mail went: `smtp` (queued for the mail server) or `outbox` (no SMTP set up). */
  delivery: MailDelivery;
}

/**
 * Adding a member answers the member (an existing user) or an invitation (someone new).
 *
 * @example
 * const added: AddedMember = await latchkey.members.add('org_1', { email: 'a@example.com', roleId: 'rol_readonly' });
 */
export type AddedMember = Member | MemberInvitation;

/**
 * A named set of permissions; built-in roles have fixed ids (`rol_admin`, `rol_readwrite`, `rol_readonly`).
 *
 * @example
 * const role: Role = await latchkey.roles.create('org_1', { name: 'Indexer', permissions: ['blocks:read'] });
 */
export interface Role {
  id: string;
  orgId?: string | null;
  name: string;
  description: string | null;
  permissions: string[];
  /** The three built-in roles (admin, read/write, read only); they cannot be changed. */
  builtIn: boolean;
}

/**
 * A thing a token can be limited to: a type and a name (`shard` `testnet-1`).
 *
 * @example
 * const shard: Resource = await latchkey.resources.create('org_1', { type: 'shard', name: 'testnet-1' });
 */
export interface Resource {
  id: string;
  orgId: string;
  type: string;
  name: string;
  createdAt: string;
}

/**
 * An entry of the permission catalog.
 *
 * @example
 * const catalog: Permission[] = await latchkey.permissions();
 */
export interface Permission {
  key: string;
  label: string;
  description: string;
  group: string;
}

/**
 * An append-only audit record.
 *
 * @example
 * const page = await latchkey.audit.list('org_1', { tokenId: 'tok_1' });
 * for (const event of page.items) console.log(event.action, event.at);
 */
export interface AuditEvent {
  id: string;
  orgId: string;
  action: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null };
  at: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: unknown;
}

/**
 * A token event of `GET /v1/events`.
 *
 * @example
 * latchkey.events.subscribe({ onEvent: (event: LatchkeyEvent) => console.log(event.type) });
 */
export type LatchkeyEvent =
  | { type: 'ready' }
  | { type: 'token.revoked' | 'token.rotated' | 'token.changed'; tokenId: string; orgId: string }
  | { type: 'org.changed' | 'resources.changed'; orgId: string };

/**
 * A pending invitation of `GET /v1/orgs/{org}/invites` (not accepted, not expired). The invite link
 * itself is never listed: it was answered once, by `members.add()`, and e-mailed.
 *
 * @example
 * const page = await latchkey.invites.list('org_1');
 * const invite: Invite | undefined = page.items.find((i) => i.email === 'bo@example.com');
 */
export interface Invite {
  /** `inv_…` */
  id: string;
  email: string;
  roleId: string;
  /** The user id of who invited. */
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
}

/**
 * The answer of `tokens.deliver()` (and `delivery` of a create or rotate that asked for mail): where the
 * mail holding the value went. `smtp`: an SMTP server accepted it; `outbox`: the server has no mail
 * server set up, so the mail is a file in its Outbox (`GET /v1/outbox`), not in anyone's inbox;
 * `failed`: it could not be sent. A failed mail is not retried (that would mean storing the value).
 *
 * @example
 * const { delivery }: TokenDelivery = await latchkey.tokens.deliver('org_1', 'tok_1', value);
 * if (delivery.email === 'outbox') console.log('No mail server is set up: saved to the Outbox');
 * if (delivery.email === 'failed') console.log(delivery.error);
 */
export interface TokenDelivery {
  delivery: { email: 'smtp' | 'outbox' | 'failed'; error?: string };
}

/**
 * An event type a webhook endpoint can subscribe to, or a group of them (`token.*`, `member.*`,
 * `role.*`, `*`).
 *
 * @example
 * const events: WebhookEventType[] = ['token.revoked', 'member.*'];
 */
export type WebhookEventType =
  | 'token.created'
  | 'token.revoked'
  | 'token.rotated'
  | 'token.expiring'
  | 'token.expired'
  | 'token.leaked'
  | 'member.added'
  | 'member.invited'
  | 'member.role_changed'
  | 'member.removed'
  | 'member.invite_cancelled'
  | 'role.created'
  | 'role.updated'
  | 'role.deleted'
  | 'token.*'
  | 'member.*'
  | 'role.*'
  | '*'
  | (string & {});

/**
 * A webhook endpoint of an org (never its secret, except in {@link CreatedWebhook}).
 *
 * @example
 * const hook: Webhook = await latchkey.webhooks.get('org_1', 'whk_1');
 * if (!hook.enabled) console.log('disabled:', hook.disabledReason);
 */
export interface Webhook {
  /** `whk_…` */
  id: string;
  orgId: string;
  url: string;
  description: string;
  events: WebhookEventType[];
  enabled: boolean;
  /** Why it was disabled (after failing for the retry window, or by a person); null while enabled. */
  disabledReason: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/**
 * The answer of `webhooks.create()`: the endpoint and its signing secret (`whsec_…`), shown this once.
 *
 * @example
 * const { id, secret }: CreatedWebhook = await admin.webhooks.create('org_1', { url, events: ['token.*'] });
 */
export interface CreatedWebhook extends Webhook {
  secret: string;
}

/**
 * The body of `webhooks.create()`.
 *
 * @example
 * const input: CreateWebhookInput = { url: 'https://hooks.example.com/latchkey', events: ['token.*'] };
 */
export interface CreateWebhookInput {
  url: string;
  events: WebhookEventType[];
  description?: string;
}

/**
 * The body of `webhooks.update()`: at least one field. `enabled: true` resumes a disabled endpoint.
 *
 * @example
 * const patch: UpdateWebhookInput = { enabled: true };
 */
export interface UpdateWebhookInput {
  url?: string;
  events?: WebhookEventType[];
  description?: string;
  enabled?: boolean;
}

/**
 * One delivery of an endpoint's log. A `pending` one is waiting for its next attempt (`nextAttemptAt`).
 *
 * @example
 * const page = await latchkey.webhooks.deliveries('org_1', 'whk_1');
 * for (const d of page.items) console.log(d.event, d.status, d.responseCode);
 */
export interface WebhookDelivery {
  /** `dlv_…`, also the `Latchkey-Delivery` header of every attempt. */
  id: string;
  event: string;
  status: 'pending' | 'sent' | 'failed' | 'cancelled';
  attempts: number;
  responseCode: number | null;
  lastError: string | null;
  createdAt: string;
  nextAttemptAt: string | null;
  doneAt: string | null;
}

/**
 * The JSON body of a webhook delivery, as a receiver gets it (parse it only after checking the
 * signature with `verifyWebhookSignature`).
 *
 * @example
 * const event = JSON.parse(rawBody) as WebhookPayload;
 * if (event.type === 'token.revoked') console.log(event.data);
 */
export interface WebhookPayload<D = Record<string, unknown>> {
  /** `evt_…`: the audit event's id; deduplicate on `id` + `type` or the `Latchkey-Delivery` header. */
  id: string;
  type: string;
  createdAt: string;
  orgId: string;
  data: D;
}

/**
 * A mail of the outbox (`GET /v1/outbox`, a server without SMTP): your own mails, and, as an
 * Organization Administrator, the mails about that org except those holding a token's value.
 *
 * @example
 * const page = await admin.outbox.list();
 * const mail: OutboxMail | undefined = page.items.find((m) => m.kind === 'invite');
 */
export interface OutboxMail {
  id: string;
  to: string;
  subject: string;
  date: string | null;
  orgId: string | null;
  /** `token.value`, `invite`, `token.expiring`, `token.leaked`, `token.unused`, `webhook.disabled`… */
  kind: string | null;
  /** The plain-text part. */
  text: string;
}

/**
 * A page of the outbox; `transport` is `outbox`, or `smtp` (then the outbox is empty).
 *
 * @example
 * const page: OutboxPage = await admin.outbox.list({ limit: 10 });
 * if (page.transport === 'smtp') console.log('mail goes to the SMTP server');
 */
export interface OutboxPage extends Page<OutboxMail> {
  transport: 'outbox' | 'smtp' | (string & {});
}

/**
 * The answer of `tokens.use()`: which of its permissions and resources a token's successful verifications
 * exercised in the last `days` (issue 17). `unknown`: some verifications named no permission (or resource),
 * so what they used cannot be told. `narrow` is the `tokens.update()` body that narrows the token to what it
 * used, or null when there is nothing to narrow.
 *
 * @example
 * const use: TokenUse = await latchkey.tokens.use('org_1', 'tok_1');
 * console.log(use.summary); // "used 2 of 8 permissions and 1 of 3 resources in the last 90 days"
 * if (use.narrow) await latchkey.tokens.update('org_1', 'tok_1', use.narrow);
 */
export interface TokenUse {
  tokenId: string;
  days: number;
  permissions: { granted: string[]; used: string[]; unknown: boolean };
  resources: { all: boolean; granted: string[]; used: string[]; unknown: boolean };
  narrow: { permissions?: string[]; resourceIds?: string[] } | null;
  summary: string;
}

/** What the insights report about a token. */
export type InsightFinding = 'exceeds_use' | 'never_used' | 'no_expiry' | 'past_age';

/**
 * The answer of `insights.get()`: the active tokens that hold more than they used, were never used, never
 * expire, or are older than the org's configured age, each with its owner.
 *
 * @example
 * const report: InsightsReport = await latchkey.insights.get('org_1');
 * for (const item of report.items) console.log(item.token.name, item.owner?.email, item.findings);
 */
export interface InsightsReport {
  generatedAt: string;
  days: number;
  maxAgeDays: number;
  counts: Record<InsightFinding, number>;
  items: Array<{
    token: {
      id: string;
      name: string;
      kind: TokenKind;
      hint: string;
      createdAt: string;
      expiresAt: string | null;
      lastUsedAt: string | null;
    };
    owner: { id: string; name: string; email: string } | null;
    findings: InsightFinding[];
    use: TokenUse;
  }>;
}

/**
 * A one-time reveal link of a token, as its creator sees it: whether and when it was opened.
 *
 * @example
 * const { items } = await latchkey.tokens.links('org_1', 'tok_1');
 * for (const link of items) console.log(link.status, link.openedAt);
 */
export interface RevealLink {
  id: string;
  tokenId: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  status: 'pending' | 'opened' | 'expired';
  openedAt: string | null;
  openedIp: string | null;
}

/**
 * The answer of `auth.login()` for an account with a second factor: no session yet; send the
 * `challenge` with the code to `auth.loginSecondFactor()` before `expiresAt`.
 *
 * @example
 * const answer = await latchkey.auth.login({ email, password });
 * if (isTwoFactorChallenge(answer)) await latchkey.auth.loginSecondFactor({ challenge: answer.challenge, code });
 */
export interface TwoFactorChallenge {
  twoFactorRequired: true;
  challenge: string;
  expiresAt: string;
}

/**
 * What an invitation link is for (`auth.previewInvite()`), before accepting it.
 *
 * @example
 * const preview: InvitePreview = await latchkey.auth.previewInvite(inviteToken);
 * console.log(`${preview.inviterName} invites ${preview.email} to ${preview.orgName}`);
 */
export interface InvitePreview {
  email: string;
  orgName: string;
  inviterName: string | null;
  roleId: string;
  roleName: string;
  expiresAt: string;
  /** Whether the address already has an account (then it accepts signed in, without a password). */
  existingAccount: boolean;
}

/**
 * One of the signed-in person's console sessions (`account.sessions()`).
 *
 * @example
 * const { items } = await admin.account.sessions();
 * const others: AccountSession[] = items.filter((s) => !s.current);
 */
export interface AccountSession {
  id: string;
  /** The session making this call. */
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

/**
 * An invitation addressed to the signed-in person (`account.invitations()`).
 *
 * @example
 * const { items } = await admin.account.invitations();
 * const first: UserInvitation | undefined = items[0];
 */
export interface UserInvitation {
  id: string;
  orgId: string;
  orgName: string;
  inviterName: string | null;
  roleId: string;
  roleName: string;
  createdAt: string;
  expiresAt: string;
}

/**
 * Where a mail went: an SMTP server, or the Outbox of a server without one (`GET /v1/outbox`).
 *
 * @example
 * const { delivery }: ResentInvite = await admin.invites.resend('org_1', 'inv_1');
 * if (delivery.email === 'outbox') console.log('read it in the Outbox');
 */
export interface MailDelivery {
  email: 'smtp' | 'outbox';
}

/**
 * The answer of `invites.resend()`: a new link (the old one stops working) and where its mail went.
 *
 * @example
 * const resent: ResentInvite = await admin.invites.resend('org_1', 'inv_1');
 */
export interface ResentInvite {
  inviteUrl: string;
  expiresAt: string;
  email: string;
  delivery: MailDelivery;
}

/**
 * Whether the signed-in person's sign-in asks a second factor (`account.twoFactor.status()`).
 *
 * @example
 * const { enabled, recoveryCodesLeft }: TwoFactorStatus = await admin.account.twoFactor.status();
 */
export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: string | null;
  recoveryCodesLeft: number;
}

/**
 * A started enrolment (`account.twoFactor.enrol()`): the secret for an authenticator app, as a
 * `otpauth://` URL and a QR code (SVG); `confirm()` with a code from the app switches it on.
 *
 * @example
 * const { otpauthUrl }: TwoFactorEnrolment = await admin.account.twoFactor.enrol();
 */
export interface TwoFactorEnrolment {
  otpauthUrl: string;
  secret: string;
  qrSvg: string;
}

/**
 * A one-time reveal link as its creator gets it (`tokens.createLink()`, or `link` of a create): the
 * URL's fragment holds the only copy of the key.
 *
 * @example
 * const link: IssuedLink = await latchkey.tokens.createLink('org_1', 'tok_1', { token: value, ttl: '1h' });
 * sendToColleague(link.url);
 */
export interface IssuedLink {
  id: string;
  url: string;
  expiresAt: string;
}

/**
 * What opening a one-time link answers (`revealLink()`): the value the first time, then only that
 * it was opened, or that it expired.
 *
 * @example
 * const opened: OpenedLink = await new LatchkeyClient({ baseUrl }).revealLink(key);
 * if (opened.status === 'revealed') console.log(opened.token);
 */
export type OpenedLink =
  | {
      status: 'revealed';
      token: string;
      clientId: string;
      tokenName: string;
      orgName: string;
      expiresAt: string | null;
    }
  | { status: 'opened'; openedAt: string }
  | { status: 'expired'; expiredAt: string };

/**
 * An org's insight settings (`insights.settings()`): the weekly digest to administrators, and the
 * age past which a token is reported.
 *
 * @example
 * const settings: InsightSettings = await admin.insights.updateSettings('org_1', { weeklyDigest: true });
 */
export interface InsightSettings {
  weeklyDigest: boolean;
  maxAgeDays: number;
}

/**
 * A single sign-on provider the server offers (`auth.ssoProviders()`); sign-in starts by navigating
 * the browser to `/v1/auth/sso/{id}/start`.
 *
 * @example
 * const { items } = await latchkey.auth.ssoProviders();
 * const first: SsoProvider | undefined = items[0];
 */
export interface SsoProvider {
  id: string;
  name: string;
}
