import { tokenHint } from '@latchkey/sdk/rules';
import type { Transaction } from 'kysely';
import type { Static } from 'typebox';
import { recordAudit, type SystemContext } from '../audit/audit.service.ts';
import { findUserById } from '../auth/users.repository.ts';
import type { Deps, RequestContext } from '../context.ts';
import type { Database, TokenRow } from '../db/schema.ts';
import { conflict, invalid, notFound } from '../errors.ts';
import { toPage } from '../http/page.ts';
import { newId } from '../ids.ts';
import { queueMail } from '../jobs/queue.ts';
import { leakedTokenMail, tokenValueMail } from '../mail/templates.ts';
import type { OrgAccess } from '../orgs/access.ts';
import { findOrg } from '../orgs/orgs.repository.ts';
import { resourceIdsOfOrg } from '../resources/resources.repository.ts';
import { createRevealLink, linkTtlSeconds } from '../reveal-links/reveal-links.service.ts';
import { rolePermissions } from '../roles/role-permissions.ts';
import { findCustomRole } from '../roles/roles.repository.ts';
import { parseDurationSeconds } from './durations.ts';
import { markEndsGraceOnUse } from './rotation-evidence.repository.ts';
import {
  actorOf,
  enforce,
  type Grants,
  grantsOfRow,
  holdingOf,
  ipRangesOf,
  listColumn,
  rateLimitOfRow,
} from './token-holding.ts';
import {
  canChangeToken,
  canCreateKind,
  canEditGrants,
  canMintToken,
  canObtainValue,
  canSeeToken,
  tokenListScope,
} from './token-policy.ts';
import { generateTokenValue } from './token-value.ts';
import {
  findActiveTokenByName,
  findToken,
  graceEndsOf,
  insertToken,
  latestGraceEnd,
  listTokens as listTokenRows,
  markExpired,
  replaceTokenSecret,
  revokeTokenRow,
  updateTokenFields,
  updateTokenHint,
} from './tokens.repository.ts';
import type { CreateTokenBody, IssuedTokenSchema, PatchTokenBody, TokenInfoSchema } from './tokens.schema.ts';

const DAY_MS = 86_400_000;
const DEFAULT_LIFETIME_DAYS = 30;
const MAX_GRACE_SECONDS = 7 * 86_400;

export type TokenStatus = 'active' | 'expired' | 'revoked';

/** The wire shapes are written once, as the routes' TypeBox schemas (tokens.schema.ts). */
export type TokenInfo = Static<typeof TokenInfoSchema>;

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

function statusOf(row: TokenRow, now: number): TokenStatus {
  if (row.status === 'active' && row.expiresAt !== null && Number(row.expiresAt) <= now) return 'expired';
  return row.status;
}

export function tokenInfo(
  row: TokenRow,
  now = Date.now(),
  previousValueEnd: number | null = null,
): TokenInfo {
  return {
    id: row.id,
    orgId: row.orgId,
    kind: row.kind,
    ownerId: row.ownerId,
    name: row.name,
    description: row.description,
    access: row.access,
    permissions: listColumn(row.permissions),
    roleId: row.roleId,
    resourceIds: listColumn(row.resourceIds),
    allowedIps: listColumn(row.allowedIps),
    rateLimit: rateLimitOfRow(row),
    expiresAt: iso(row.expiresAt),
    createdAt: iso(row.createdAt) as string,
    createdBy: row.createdBy,
    lastUsedAt: iso(row.lastUsedAt),
    lastUsedIp: row.lastUsedIp,
    useCount: Number(row.useCount),
    status: statusOf(row, now),
    revokedAt: iso(row.revokedAt),
    revokedBy: row.revokedBy,
    revokedReason: row.revokedReason,
    hint: row.hint,
    previousValueExpiresAt: iso(previousValueEnd),
  };
}

export type CreateTokenInput = Static<typeof CreateTokenBody>;

export type IssuedToken = Static<typeof IssuedTokenSchema, { TokenInfo: typeof TokenInfoSchema }>;

/** The permissions a new token would hold, before the owner bound, and whether it is `full`. */
async function requestedPermissions(
  deps: Deps,
  orgId: string,
  input: CreateTokenInput,
): Promise<{ permissions: string[] | null; roleId: string | null; effective: string[] }> {
  if (input.access === 'full') {
    if (input.permissions !== undefined || input.roleId !== undefined) {
      throw invalid('full access takes neither permissions nor roleId', { field: 'access' });
    }
    return { permissions: null, roleId: null, effective: deps.catalog.permissions.map((p) => p.key) };
  }
  if ((input.permissions === undefined) === (input.roleId === undefined)) {
    throw invalid('granular access takes either permissions or roleId', { field: 'permissions' });
  }
  if (input.roleId !== undefined) {
    if (deps.catalog.builtInRoles.has(input.roleId)) {
      return {
        permissions: null,
        roleId: input.roleId,
        effective: rolePermissions(deps.catalog, input.roleId, null),
      };
    }
    const role = await findCustomRole(deps.db, orgId, input.roleId);
    if (role === undefined) throw invalid('unknown roleId', { field: 'roleId', roleId: input.roleId });
    return {
      permissions: null,
      roleId: role.id,
      effective: rolePermissions(deps.catalog, role.id, role.permissions),
    };
  }
  const permissions = [...new Set(input.permissions)];
  const unknown = permissions.filter((p) => !deps.catalog.keys.has(p));
  if (unknown.length > 0) throw invalid('unknown permissions', { field: 'permissions', unknown });
  if (permissions.length === 0)
    throw invalid('granular access needs at least one permission', { field: 'permissions' });
  return { permissions, roleId: null, effective: permissions };
}

function resolveExpiry(
  input: CreateTokenInput,
  policy: { maxTtlDays: number; allowNoExpiry: boolean },
  /** The creator's own end: the default lifetime never passes it (the policy refuses a later one). */
  ceiling: number | null,
  now: number,
): number | null {
  if (input.expiresAt !== undefined && input.expiresIn !== undefined) {
    throw invalid('give expiresAt or expiresIn, not both', { field: 'expiresIn' });
  }
  const maxAt = now + policy.maxTtlDays * DAY_MS;
  let expiresAt: number | null;
  if (input.expiresAt === null) {
    if (!policy.allowNoExpiry) {
      throw invalid("the organization's policy does not allow tokens without expiry", {
        field: 'expiresAt',
        policy,
      });
    }
    expiresAt = null;
  } else if (input.expiresAt !== undefined) {
    expiresAt = Date.parse(input.expiresAt);
    if (Number.isNaN(expiresAt))
      throw invalid('expiresAt is not an RFC 3339 date-time', { field: 'expiresAt' });
    if (expiresAt <= now) throw invalid('expiresAt is in the past', { field: 'expiresAt' });
  } else if (input.expiresIn !== undefined) {
    const seconds = parseDurationSeconds(input.expiresIn);
    if (seconds === null)
      throw invalid('expiresIn must be seconds or a number with s, m, h, d or y', { field: 'expiresIn' });
    expiresAt = now + seconds * 1000;
  } else {
    expiresAt = Math.min(now + DEFAULT_LIFETIME_DAYS * DAY_MS, maxAt, ceiling ?? Number.POSITIVE_INFINITY);
  }
  if (expiresAt !== null && expiresAt > maxAt + 60_000) {
    throw invalid(`the organization's policy allows tokens of at most ${policy.maxTtlDays} days`, {
      field: input.expiresIn !== undefined ? 'expiresIn' : 'expiresAt',
      policy,
    });
  }
  return expiresAt;
}

/** Resource ids of this org, deduplicated; unknown ones are bad input naming the field. */
async function knownResourceIds(
  deps: Deps,
  orgId: string,
  resourceIds: readonly string[] | null,
): Promise<string[] | null> {
  if (resourceIds === null) return null;
  const unique = [...new Set(resourceIds)];
  const known = new Set(await resourceIdsOfOrg(deps.db, orgId));
  const unknown = unique.filter((r) => !known.has(r));
  if (unknown.length > 0) throw invalid('unknown resourceIds', { field: 'resourceIds', unknown });
  return unique;
}

export async function createToken(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  input: CreateTokenInput,
): Promise<IssuedToken> {
  const now = Date.now();
  const principal = ctx.principal;
  const kind = input.kind ?? 'personal';
  const actor = actorOf(access);
  enforce(canCreateKind(actor, kind));
  const ownerId = kind === 'personal' ? access.userId : null;
  const org = await findOrg(deps.db, access.orgId);
  if (org === undefined) throw notFound('organization');

  const requested = await requestedPermissions(deps, access.orgId, input);
  const resourceIds = await knownResourceIds(deps, access.orgId, input.resourceIds ?? null);
  const allowedIps = input.allowedIps ?? null;
  const ipRanges = ipRangesOf(allowedIps);
  const expiresAt = resolveExpiry(
    input,
    { maxTtlDays: org.maxTtlDays, allowNoExpiry: org.allowNoExpiry === 1 },
    actor.holding.notAfter,
    now,
  );
  // Nobody mints more than they hold, in any dimension (the token policy decides).
  enforce(
    canMintToken(actor, {
      kind,
      access: input.access,
      holding: {
        permissions: new Set(requested.effective),
        resourceIds: resourceIds === null ? null : new Set(resourceIds),
        ipRanges,
        rateLimit: input.rateLimit ?? null,
        notAfter: expiresAt,
      },
    }),
  );

  const linkTtl = input.deliver?.link === undefined ? null : linkTtlSeconds(input.deliver.link.ttl);
  let deliverTo: string | null = null;
  if (input.deliver?.email) {
    if (access.userId === null) throw invalid('an application token has no e-mail address to deliver to');
    const user = principal.type === 'user' ? principal.user : await findUserById(deps.db, access.userId);
    if (user === undefined) throw invalid('the token owner has no e-mail address');
    deliverTo = user.email;
  }

  const value = generateTokenValue(deps.config.tokenPrefix);
  const hash = deps.verifier.hash(value);
  const row: TokenRow = {
    id: newId('tok'),
    orgId: access.orgId,
    kind,
    ownerId,
    nameScope: ownerId ?? 'org',
    name: input.name,
    description: input.description ?? '',
    access: input.access,
    permissions: requested.permissions === null ? null : JSON.stringify(requested.permissions),
    roleId: requested.roleId,
    resourceIds: resourceIds === null ? null : JSON.stringify(resourceIds),
    allowedIps: allowedIps === null ? null : JSON.stringify(allowedIps),
    rateLimit: input.rateLimit?.limit ?? null,
    rateLimitWindow: input.rateLimit?.windowSeconds ?? null,
    expiresAt,
    createdAt: now,
    createdBy: principal.type === 'user' ? principal.user.id : principal.token.id,
    lastUsedAt: null,
    lastUsedIp: null,
    useCount: 0,
    status: 'active',
    revokedAt: null,
    revokedBy: null,
    revokedReason: null,
    hint: tokenHint(value),
  };

  await deps.db.transaction().execute(async (trx) => {
    await freeName(trx, row.orgId, row.nameScope, row.name, now);
    await insertToken(trx, row, hash);
    await recordAudit(trx, ctx, {
      orgId: row.orgId,
      action: 'token.created',
      target: { type: 'token', id: row.id },
      details: {
        name: row.name,
        kind: row.kind,
        access: row.access,
        permissions: requested.permissions,
        roleId: row.roleId,
        resourceIds,
        allowedIps,
        rateLimit: input.rateLimit ?? null,
        expiresAt: iso(expiresAt),
      },
    });
  });
  await deps.verifier.forgetUnknown(hash);

  const issued: IssuedToken = { token: value, clientId: row.id, tokenInfo: tokenInfo(row, now) };
  if (linkTtl !== null) issued.link = await createRevealLink(deps, ctx, row, value, linkTtl);
  if (deliverTo !== null) {
    try {
      await deps.mailer.send(
        tokenValueMail({
          to: deliverTo,
          orgId: row.orgId,
          orgName: org.name,
          tokenName: row.name,
          clientId: row.id,
          value,
          expiresAt: iso(expiresAt),
          consoleUrl: `${deps.publicUrl()}/orgs/${row.orgId}/tokens`,
        }),
      );
      issued.delivery = { email: deps.mailer.transport };
    } catch (error) {
      // The token exists and its value is in this answer: a failed mail must not lose it.
      deps.log.warn({ err: error, tokenId: row.id }, 'token value mail failed');
      issued.delivery = { email: 'failed', error: 'the mail could not be delivered; copy the value now' };
    }
  }
  return issued;
}

/** Names are unique among active tokens; an expired token with the name gives it up. */
async function freeName(
  trx: Transaction<Database>,
  orgId: string,
  nameScope: string,
  name: string,
  now: number,
  exceptId?: string,
): Promise<void> {
  const existing = await findActiveTokenByName(trx, orgId, nameScope, name);
  if (existing === undefined || existing.id === exceptId) return;
  if (existing.expiresAt !== null && Number(existing.expiresAt) <= now) {
    await markExpired(trx, existing.id);
    return;
  }
  throw conflict('an active token with this name exists', { name });
}

export async function listTokens(
  deps: Deps,
  access: OrgAccess,
  query: {
    owner?: string;
    status?: TokenStatus;
    kind?: 'personal' | 'application';
    resource?: string;
    q?: string;
    cursor?: string;
    limit: number;
  },
): Promise<{ items: TokenInfo[]; nextCursor: string | null }> {
  const scope = tokenListScope(actorOf(access));
  if (!('scope' in scope)) {
    enforce(scope);
    return { items: [], nextCursor: null };
  }
  let ownerId: string | undefined;
  if (query.owner === 'me') ownerId = access.userId ?? '';
  else if (query.owner !== undefined) ownerId = query.owner;
  if (scope.scope === 'own') {
    if (ownerId !== undefined && ownerId !== access.userId) return { items: [], nextCursor: null };
    ownerId = access.userId ?? '';
  }
  const now = Date.now();
  const rows = await listTokenRows(deps.db, {
    orgId: access.orgId,
    ...(ownerId !== undefined && { ownerId }),
    ...(query.status !== undefined && { status: query.status }),
    ...(query.kind !== undefined && { kind: query.kind }),
    ...(query.resource !== undefined && { resourceId: query.resource }),
    ...(query.q !== undefined && { q: query.q }),
    ...(query.cursor !== undefined && { cursor: query.cursor }),
    limit: query.limit + 1,
    now,
  });
  const graceEnds = await graceEndsOf(
    deps.db,
    rows.slice(0, query.limit).map((r) => r.id),
    now,
  );
  return toPage(
    rows,
    query.limit,
    (row) => row.id,
    (row) => tokenInfo(row, now, graceEnds.get(row.id) ?? null),
  );
}

/** The token, if the caller may see it; a token the caller may not know of is answered 404. */
async function visibleToken(deps: Deps, access: OrgAccess, tokenId: string): Promise<TokenRow> {
  const row = await findToken(deps.db, access.orgId, tokenId);
  if (row === undefined) throw notFound('token');
  enforce(canSeeToken(actorOf(access), row));
  return row;
}

export async function getToken(deps: Deps, access: OrgAccess, tokenId: string): Promise<TokenInfo> {
  const row = await visibleToken(deps, access, tokenId);
  return tokenInfo(row, Date.now(), await previousValueEnd(deps, row.id));
}

/** The token, if the caller may revoke or rename it. */
async function changeableToken(deps: Deps, access: OrgAccess, tokenId: string): Promise<TokenRow> {
  const row = await findToken(deps.db, access.orgId, tokenId);
  if (row === undefined) throw notFound('token');
  enforce(canChangeToken(actorOf(access), row));
  return row;
}

/** Whether a leak report by this caller may revoke the token: the revoke rule itself. */
export function mayRevoke(access: OrgAccess, row: Pick<TokenRow, 'ownerId' | 'kind'>): boolean {
  return canChangeToken(actorOf(access), row).allowed;
}

export type PatchTokenInput = Static<typeof PatchTokenBody>;

const grantFields = [
  'access',
  'permissions',
  'roleId',
  'resourceIds',
  'allowedIps',
  'rateLimit',
  'expiresAt',
] as const;

/**
 * Renames a token, edits its description, or edits its grants. Grant edits go through the token
 * policy: narrowing is always allowed to whoever may change the token, widening only within what the
 * editor holds, and the expiry only moves earlier.
 */
export async function patchToken(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  tokenId: string,
  input: PatchTokenInput,
): Promise<TokenInfo> {
  const row = await changeableToken(deps, access, tokenId);
  const now = Date.now();
  const grantsChange = grantFields.some((f) => input[f] !== undefined);
  let changes: Partial<TokenRow> = {};
  let grantDetails: Record<string, unknown> = {};
  if (grantsChange) {
    if (statusOf(row, now) !== 'active') throw conflict(`a ${statusOf(row, now)} token cannot be edited`);
    const before = grantsOfRow(row);
    const next = await nextGrants(deps, row, before, input, now);
    const [currentHolding, nextHolding] = await Promise.all([
      holdingOf(deps, row.orgId, before),
      holdingOf(deps, row.orgId, next),
    ]);
    enforce(canEditGrants(actorOf(access), row, currentHolding, nextHolding));
    changes = {
      access: next.access,
      permissions: next.permissions === null ? null : JSON.stringify(next.permissions),
      roleId: next.roleId,
      resourceIds: next.resourceIds === null ? null : JSON.stringify(next.resourceIds),
      allowedIps: next.allowedIps === null ? null : JSON.stringify(next.allowedIps),
      rateLimit: next.rateLimit?.limit ?? null,
      rateLimitWindow: next.rateLimit?.windowSeconds ?? null,
      expiresAt: next.expiresAt,
    };
    grantDetails = { before: grantsView(before), after: grantsView(next) };
  }
  const text = {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.description !== undefined && { description: input.description }),
  };
  const updated = await deps.db.transaction().execute(async (trx) => {
    if (input.name !== undefined && input.name !== row.name && row.status === 'active') {
      await freeName(trx, row.orgId, row.nameScope, input.name, now, row.id);
    }
    await updateTokenFields(trx, row.id, { ...text, ...changes });
    await recordAudit(trx, ctx, {
      orgId: row.orgId,
      action: 'token.updated',
      target: { type: 'token', id: row.id },
      details: { ...text, previousName: row.name, ...grantDetails },
    });
    return { ...row, ...text, ...changes };
  });
  // Cleared before answering: the next verification anywhere sees the new grants.
  deps.events.tokenChanged(row.orgId, row.id);
  return tokenInfo(updated, now, await previousValueEnd(deps, row.id));
}

/** The grants a PATCH asks for, validated like a creation's; fields not given stay as they are. */
async function nextGrants(
  deps: Deps,
  row: TokenRow,
  before: Grants,
  input: PatchTokenInput,
  now: number,
): Promise<Grants> {
  let { access, permissions, roleId } = before;
  if (input.access !== undefined || input.permissions !== undefined || input.roleId !== undefined) {
    const nextAccess =
      input.access ??
      (input.permissions !== undefined || input.roleId !== undefined ? 'granular' : before.access);
    const requested = await requestedPermissions(deps, row.orgId, {
      name: row.name,
      access: nextAccess,
      ...(input.permissions !== undefined && { permissions: input.permissions }),
      ...(input.roleId !== undefined && { roleId: input.roleId }),
      ...(nextAccess === 'granular' &&
        input.permissions === undefined &&
        input.roleId === undefined &&
        (before.roleId !== null
          ? { roleId: before.roleId }
          : { permissions: [...(before.permissions ?? [])] })),
    });
    access = nextAccess;
    permissions = requested.permissions;
    roleId = requested.roleId;
  }
  let expiresAt = before.expiresAt;
  if (input.expiresAt !== undefined) {
    const parsed = Date.parse(input.expiresAt);
    if (Number.isNaN(parsed)) throw invalid('expiresAt is not an RFC 3339 date-time', { field: 'expiresAt' });
    if (parsed <= now) throw invalid('expiresAt is in the past', { field: 'expiresAt' });
    expiresAt = parsed;
  }
  const allowedIps = input.allowedIps === undefined ? before.allowedIps : input.allowedIps;
  ipRangesOf(allowedIps);
  return {
    ...before,
    access,
    permissions,
    roleId,
    resourceIds:
      input.resourceIds === undefined
        ? before.resourceIds
        : await knownResourceIds(deps, row.orgId, input.resourceIds),
    allowedIps,
    rateLimit: input.rateLimit === undefined ? before.rateLimit : input.rateLimit,
    expiresAt,
  };
}

const grantsView = (g: Grants) => ({
  access: g.access,
  permissions: g.permissions,
  roleId: g.roleId,
  resourceIds: g.resourceIds,
  allowedIps: g.allowedIps,
  rateLimit: g.rateLimit,
  expiresAt: iso(g.expiresAt),
});

export async function revokeToken(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  tokenId: string,
  reason: string,
): Promise<TokenInfo> {
  const row = await changeableToken(deps, access, tokenId);
  return revokeRow(
    deps,
    ctx,
    row,
    reason,
    ctx.principal.type === 'user' ? ctx.principal.user.id : ctx.principal.token.id,
  );
}

async function revokeRow(
  deps: Deps,
  ctx: RequestContext | SystemContext,
  row: TokenRow,
  reason: string,
  by: string,
): Promise<TokenInfo> {
  const now = Date.now();
  const revocation = { at: now, by, reason };
  const changed = await deps.db.transaction().execute(async (trx) => {
    const done = await revokeTokenRow(trx, row.id, revocation);
    if (done) {
      await recordAudit(trx, ctx, {
        orgId: row.orgId,
        action: 'token.revoked',
        target: { type: 'token', id: row.id },
        details: { name: row.name, reason },
      });
    }
    return done;
  });
  // Cleared after the commit and before answering: a verify that read the old row re-reads or is not cached.
  deps.events.tokenRevoked(row.orgId, row.id);
  if (!changed) {
    const current = await findToken(deps.db, row.orgId, row.id);
    return tokenInfo(current ?? row, now);
  }
  return tokenInfo({ ...row, status: 'revoked', revokedAt: now, revokedBy: by, revokedReason: reason }, now);
}

/**
 * A new value for the same token id. It hands out a value, so the token policy asks for the owner's
 * session or a caller holding at least what the token holds, and never an old value in its grace.
 */
export async function rotateToken(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  tokenId: string,
  input: {
    gracePeriod?: string | number;
    maxGrace?: string | number;
    deliver?: { link?: { ttl?: string | number } };
  },
): Promise<IssuedToken> {
  const row = await changeableToken(deps, access, tokenId);
  enforce(canObtainValue(actorOf(access), row, await holdingOf(deps, row.orgId, grantsOfRow(row))));
  const now = Date.now();
  const status = statusOf(row, now);
  if (status !== 'active') throw conflict(`a ${status} token cannot be rotated`);
  const linkTtl = input.deliver?.link === undefined ? null : linkTtlSeconds(input.deliver.link.ttl);
  // "until-used": the old value works until the new one is first verified, at most maxGrace (issue 17).
  const untilUsed = input.gracePeriod === 'until-used';
  if (input.maxGrace !== undefined && !untilUsed) {
    throw invalid('maxGrace goes with gracePeriod "until-used"', { field: 'maxGrace' });
  }
  let graceSeconds = 0;
  if (untilUsed) {
    const parsed = parseDurationSeconds(input.maxGrace ?? '7d');
    if (parsed === null) {
      throw invalid('maxGrace must be seconds or a number with s, m, h or d', { field: 'maxGrace' });
    }
    if (parsed > MAX_GRACE_SECONDS) throw invalid('maxGrace is at most 7 days', { field: 'maxGrace' });
    graceSeconds = parsed;
  } else if (input.gracePeriod !== undefined && input.gracePeriod !== 0 && input.gracePeriod !== '0') {
    const parsed = parseDurationSeconds(input.gracePeriod);
    if (parsed === null) {
      throw invalid('gracePeriod must be seconds or a number with s, m, h or d', { field: 'gracePeriod' });
    }
    if (parsed > MAX_GRACE_SECONDS) throw invalid('gracePeriod is at most 7 days', { field: 'gracePeriod' });
    graceSeconds = parsed;
  }
  const value = generateTokenValue(deps.config.tokenPrefix);
  const hash = deps.verifier.hash(value);
  const hint = tokenHint(value);
  const graceUntil = graceSeconds > 0 ? now + graceSeconds * 1000 : null;
  await deps.db.transaction().execute(async (trx) => {
    await replaceTokenSecret(trx, row.id, hash, graceUntil, now);
    if (untilUsed) await markEndsGraceOnUse(trx, hash);
    await updateTokenHint(trx, row.id, hint);
    await recordAudit(trx, ctx, {
      orgId: row.orgId,
      action: 'token.rotated',
      target: { type: 'token', id: row.id },
      details: {
        name: row.name,
        gracePeriodSeconds: graceSeconds,
        ...(untilUsed && { gracePeriod: 'until-used' }),
        previousValueExpiresAt: iso(graceUntil),
      },
    });
  });
  await deps.verifier.forgetUnknown(hash);
  deps.events.tokenRotated(row.orgId, row.id);
  const issued: IssuedToken = {
    token: value,
    clientId: row.id,
    tokenInfo: tokenInfo({ ...row, hint }, now, await previousValueEnd(deps, row.id)),
  };
  if (linkTtl !== null) issued.link = await createRevealLink(deps, ctx, row, value, linkTtl);
  return issued;
}

/** When the last old value of a token stops working (a rotation's grace), or null. */
async function previousValueEnd(deps: Deps, tokenId: string): Promise<number | null> {
  return latestGraceEnd(deps.db, tokenId, Date.now());
}

export interface LeakResult {
  hint: string;
  label: 'true_positive' | 'false_positive';
  tokenId?: string;
}

/** Revokes every reported value that is a live token, and tells its owner. */
export async function revokeLeaked(
  deps: Deps,
  ctx: SystemContext | RequestContext,
  values: string[],
): Promise<LeakResult[]> {
  const results: LeakResult[] = [];
  for (const value of values) {
    const hint = tokenHint(value);
    const resolved = await deps.verifier.resolve(value);
    if (typeof resolved === 'string') {
      results.push({ hint, label: 'false_positive' });
      continue;
    }
    const row = await findToken(deps.db, resolved.orgId, resolved.id);
    if (row === undefined) {
      results.push({ hint, label: 'false_positive' });
      continue;
    }
    results.push({ hint, label: 'true_positive', tokenId: row.id });
    if (row.status === 'revoked') continue;
    await revokeRow(deps, ctx, row, 'leaked', 'leak-report');
    const userId = row.ownerId ?? (row.createdBy.startsWith('usr_') ? row.createdBy : null);
    const owner = userId === null ? undefined : await findUserById(deps.db, userId);
    const org = await findOrg(deps.db, row.orgId);
    if (owner !== undefined && org !== undefined) {
      // Queued: the report's answer does not wait on SMTP, and a mail server that is down delays the notice only.
      await queueMail(
        deps.db,
        deps.sealers.mail,
        leakedTokenMail({
          to: owner.email,
          orgId: row.orgId,
          orgName: org.name,
          tokenName: row.name,
          hint: row.hint,
          url: `${deps.publicUrl()}/orgs/${row.orgId}/tokens`,
        }),
      );
    }
  }
  return results;
}

/** Revokes a removed member's personal tokens in the org (reason `owner_removed`), inside the caller's transaction. */
export async function revokeTokensOfOwnerInTransaction(
  trx: Transaction<Database>,
  ctx: RequestContext,
  orgId: string,
  tokenIds: string[],
  by: string,
): Promise<void> {
  const at = Date.now();
  for (const id of tokenIds) {
    if (await revokeTokenRow(trx, id, { at, by, reason: 'owner_removed' })) {
      await recordAudit(trx, ctx, {
        orgId,
        action: 'token.revoked',
        target: { type: 'token', id },
        details: { reason: 'owner_removed' },
      });
    }
  }
}

/**
 * Mails a value the caller already holds (the reveal dialog's "Send to my e-mail") to the caller's own
 * address. The value must belong to this token, so nobody can have another token's value mailed.
 */
export async function deliverTokenValue(
  deps: Deps,
  access: OrgAccess,
  tokenId: string,
  value: string,
): Promise<{ delivery: { email: 'smtp' | 'outbox' | 'failed'; error?: string } }> {
  const row = await visibleToken(deps, access, tokenId);
  // Mailing a value hands it out (to the caller's mailbox): the same rule as rotation.
  enforce(canObtainValue(actorOf(access), row, await holdingOf(deps, row.orgId, grantsOfRow(row))));
  const resolved = await deps.verifier.resolve(value);
  if (typeof resolved === 'string' || resolved.id !== row.id) {
    throw invalid('this value does not belong to the token', { field: 'token' });
  }
  if (access.userId === null) throw invalid('an application token has no e-mail address to deliver to');
  const user = await findUserById(deps.db, access.userId);
  const org = await findOrg(deps.db, row.orgId);
  if (user === undefined || org === undefined) throw notFound('user');
  try {
    await deps.mailer.send(
      tokenValueMail({
        to: user.email,
        orgId: row.orgId,
        orgName: org.name,
        tokenName: row.name,
        clientId: row.id,
        value,
        expiresAt: iso(row.expiresAt),
        consoleUrl: `${deps.publicUrl()}/orgs/${row.orgId}/tokens`,
      }),
    );
    return { delivery: { email: deps.mailer.transport } };
  } catch (error) {
    deps.log.warn({ err: error, tokenId: row.id }, 'token value mail failed');
    return { delivery: { email: 'failed', error: 'the mail could not be delivered; copy the value now' } };
  }
}
