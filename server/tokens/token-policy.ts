// The token policy: every answer to "may this principal do this to this token, member or role?".
// Pure functions over plain facts, no I/O: services gather the facts (token-holding.ts) and ask here.
// The one rule behind most answers: nobody obtains more than they hold (docs/security.md).
import { type IpRange, rangeWithin } from '@latchkey/sdk/rules';

export type { IpRange };

export interface RateLimitFacts {
  readonly limit: number;
  readonly windowSeconds: number;
}

/**
 * What a principal or a token can do at most, in every dimension a token can be limited in.
 * `null` means unlimited in that dimension.
 */
export interface Holding {
  readonly permissions: ReadonlySet<string>;
  readonly resourceIds: ReadonlySet<string> | null;
  readonly ipRanges: readonly IpRange[] | null;
  readonly rateLimit: RateLimitFacts | null;
  /** When it stops working (ms): a token's expiry, or sooner the end of its value's rotation grace. */
  readonly notAfter: number | null;
}

/** Who is asking, with what they hold. */
export type Actor =
  | { readonly type: 'session'; readonly userId: string; readonly holding: Holding }
  | {
      readonly type: 'token';
      readonly tokenId: string;
      /** The person behind a personal token; null for an application token. */
      readonly ownerId: string | null;
      readonly access: 'full' | 'granular';
      /** True while the value used is an old one inside a rotation's grace period. */
      readonly inGrace: boolean;
      readonly holding: Holding;
    };

/** The facts about a target token that decide who may touch it. */
export interface TokenFacts {
  readonly kind: 'personal' | 'application';
  readonly ownerId: string | null;
}

/** Why a principal falls short of what a token holds, one entry per dimension. */
export type Shortfall =
  | { readonly dimension: 'permissions'; readonly missing: readonly string[] }
  | { readonly dimension: 'resources'; readonly missing: readonly string[] | 'every resource' }
  | { readonly dimension: 'allowedIps' }
  | { readonly dimension: 'rateLimit' }
  | { readonly dimension: 'lifetime' };

export type Decision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** `hidden`: the principal may not even know the token exists (answered 404). */
      readonly status: 'forbidden' | 'hidden';
      readonly message: string;
      readonly details?: { readonly missing?: readonly string[]; readonly shortfalls?: readonly Shortfall[] };
    };

const allow: Decision = { allowed: true };
const hide = (message: string): Decision => ({ allowed: false, status: 'hidden', message });
const refuse = (message: string): Decision => ({ allowed: false, status: 'forbidden', message });
const missingPermission = (permission: string): Decision => ({
  allowed: false,
  status: 'forbidden',
  message: `this needs the ${permission} permission`,
  details: { missing: [permission] },
});

const isOwner = (actor: Actor, token: TokenFacts): boolean =>
  actor.type === 'session' && token.ownerId !== null && token.ownerId === actor.userId;

/**
 * Seeing a token: a session sees its own tokens, or every token with tokens:read. A token needs
 * tokens:read even for its owner's tokens (SPEC §5).
 */
export function canSeeToken(actor: Actor, token: TokenFacts): Decision {
  if (actor.holding.permissions.has('tokens:read') || isOwner(actor, token)) return allow;
  if (actor.type === 'token') return missingPermission('tokens:read');
  return hide('token not visible');
}

/**
 * Which tokens a list shows: every token of the org with tokens:read, else a session's own. A token
 * needs tokens:read to list at all.
 */
export function tokenListScope(actor: Actor): { readonly scope: 'all' | 'own' } | Decision {
  if (actor.holding.permissions.has('tokens:read')) return { scope: 'all' };
  if (actor.type === 'token') return missingPermission('tokens:read');
  return { scope: 'own' };
}

/**
 * Revoking, renaming, editing the description: the owner's session, or tokens:write. This hands out
 * nothing, so it needs nothing of what the token holds.
 */
export function canChangeToken(actor: Actor, token: TokenFacts): Decision {
  if (actor.holding.permissions.has('tokens:write') || isOwner(actor, token)) return allow;
  if (actor.type === 'token' || actor.holding.permissions.has('tokens:read')) {
    return {
      allowed: false,
      status: 'forbidden',
      message: 'changing this token needs the tokens:write permission',
      details: { missing: ['tokens:write'] },
    };
  }
  return hide('token not visible');
}

/**
 * Rotating a token or having its value mailed hands out a value, so beyond changing it the caller
 * must be its owner's session, or hold at least everything the token holds. A value inside its
 * rotation grace is a lesser value: it never rotates.
 */
export function canObtainValue(actor: Actor, token: TokenFacts, tokenHolding: Holding): Decision {
  const change = canChangeToken(actor, token);
  if (!change.allowed) return change;
  if (actor.type === 'token' && actor.inGrace) {
    return refuse('an old value inside its rotation grace period cannot obtain a token value');
  }
  if (isOwner(actor, token)) return allow;
  const shortfalls = shortfallsOf(actor.holding, tokenHolding);
  if (shortfalls.length === 0) return allow;
  return {
    allowed: false,
    status: 'forbidden',
    message: `this hands out the token's value, which needs at least what the token holds: ${describe(shortfalls)}`,
    details: { shortfalls, missing: missingPermissions(shortfalls) },
  };
}

/** What a new token asks for: its kind, access, and everything it would hold. */
export interface MintRequest {
  readonly kind: 'personal' | 'application';
  readonly access: 'full' | 'granular';
  readonly holding: Holding;
}

/**
 * Creating a token. Tokens need tokens:write; application tokens need it from anyone. A session's
 * personal token is bounded by its owner at every verification, so a session may give its own
 * personal token `full` access; everything else must fit inside what the creator holds, in every
 * dimension: a child never sheds a parent's resource, address, rate or lifetime limit.
 */
export function canMintToken(actor: Actor, request: MintRequest): Decision {
  const creating = canCreateKind(actor, request.kind);
  if (!creating.allowed) return creating;
  if (actor.type === 'session' && request.kind === 'personal' && request.access === 'full') return allow;
  if (actor.type === 'token' && request.access === 'full' && actor.access !== 'full') {
    return refuse('only a full-access token can create a full-access token');
  }
  const shortfalls = shortfallsOf(actor.holding, request.holding);
  if (shortfalls.length === 0) return allow;
  return {
    allowed: false,
    status: 'forbidden',
    message: `the token asks for more than you hold: ${describe(shortfalls)}`,
    details: { shortfalls, missing: missingPermissions(shortfalls) },
  };
}

/** Whether the principal may create tokens of this kind at all, before what they would hold is known. */
export function canCreateKind(actor: Actor, kind: 'personal' | 'application'): Decision {
  if (actor.type === 'token' || kind === 'application') {
    if (!actor.holding.permissions.has('tokens:write')) return missingPermission('tokens:write');
  }
  if (kind === 'personal' && actor.type === 'token' && actor.ownerId === null) {
    return refuse('an application token has no owner, so it can only create application tokens');
  }
  return allow;
}

/**
 * Editing a token's grants. Narrowing a dimension is always allowed to whoever may change the token;
 * widening one is allowed only within what the editor holds in that dimension. The expiry only moves
 * earlier: a later one would be a new lease on a value the editor may never have seen.
 */
export function canEditGrants(actor: Actor, token: TokenFacts, current: Holding, next: Holding): Decision {
  const change = canChangeToken(actor, token);
  if (!change.allowed) return change;
  if (!lifetimeWithin(next.notAfter, current.notAfter)) {
    return {
      allowed: false,
      status: 'forbidden',
      message: 'the expiry of a token can only move earlier',
      details: { shortfalls: [{ dimension: 'lifetime' }] },
    };
  }
  // Each grant must be one the token held already or one the editor holds: per permission, per
  // resource, per address range; a rate limit must be at least as narrow as the token's or the editor's.
  const either: Holding = {
    permissions: new Set([...current.permissions, ...actor.holding.permissions]),
    resourceIds:
      current.resourceIds === null || actor.holding.resourceIds === null
        ? null
        : new Set([...current.resourceIds, ...actor.holding.resourceIds]),
    ipRanges:
      current.ipRanges === null || actor.holding.ipRanges === null
        ? null
        : [...current.ipRanges, ...actor.holding.ipRanges],
    rateLimit: null,
    notAfter: null,
  };
  const shortfalls = shortfallsOf(either, next);
  const rateBeyond = (holder: Holding) =>
    shortfallsOf({ ...holder, permissions: next.permissions }, next).some((s) => s.dimension === 'rateLimit');
  if (rateBeyond(current) && rateBeyond(actor.holding)) shortfalls.push({ dimension: 'rateLimit' });
  if (shortfalls.length === 0) return allow;
  return {
    allowed: false,
    status: 'forbidden',
    message: `the change gives the token more than you hold: ${describe(shortfalls)}`,
    details: { shortfalls, missing: missingPermissions(shortfalls) },
  };
}

/**
 * Every dimension in which `holder` holds less than `wanted`; empty when it holds at least as much.
 * Rate limits compare conservatively: `wanted` is at least as narrow only with no more requests in
 * a window at least as long.
 */
export function shortfallsOf(holder: Holding, wanted: Holding): Shortfall[] {
  const shortfalls: Shortfall[] = [];
  const missing = [...wanted.permissions].filter((p) => !holder.permissions.has(p)).sort();
  if (missing.length > 0) shortfalls.push({ dimension: 'permissions', missing });
  if (holder.resourceIds !== null) {
    if (wanted.resourceIds === null) shortfalls.push({ dimension: 'resources', missing: 'every resource' });
    else {
      const beyond = [...wanted.resourceIds].filter((r) => !holder.resourceIds?.has(r)).sort();
      if (beyond.length > 0) shortfalls.push({ dimension: 'resources', missing: beyond });
    }
  }
  if (holder.ipRanges !== null) {
    const within = wanted.ipRanges?.every((range) =>
      holder.ipRanges?.some((outer) => rangeWithin(range, outer)),
    );
    if (!within) shortfalls.push({ dimension: 'allowedIps' });
  }
  if (holder.rateLimit !== null) {
    const narrower =
      wanted.rateLimit !== null &&
      wanted.rateLimit.limit <= holder.rateLimit.limit &&
      wanted.rateLimit.windowSeconds >= holder.rateLimit.windowSeconds;
    if (!narrower) shortfalls.push({ dimension: 'rateLimit' });
  }
  if (!lifetimeWithin(wanted.notAfter, holder.notAfter)) shortfalls.push({ dimension: 'lifetime' });
  return shortfalls;
}

/** Whether an end `inner` comes no later than `outer` (null: never ends). */
function lifetimeWithin(inner: number | null, outer: number | null): boolean {
  if (outer === null) return true;
  return inner !== null && inner <= outer;
}

function missingPermissions(shortfalls: readonly Shortfall[]): string[] {
  const permissions = shortfalls.find((s) => s.dimension === 'permissions');
  return permissions?.dimension === 'permissions' ? [...permissions.missing] : [];
}

function describe(shortfalls: readonly Shortfall[]): string {
  return shortfalls
    .map((s) => {
      switch (s.dimension) {
        case 'permissions':
          return `permissions ${s.missing.join(', ')}`;
        case 'resources':
          return s.missing === 'every resource' ? 'every resource' : `resources ${s.missing.join(', ')}`;
        case 'allowedIps':
          return 'addresses beyond your allowedIps';
        case 'rateLimit':
          return 'a looser rate limit than yours';
        case 'lifetime':
          return 'a later end than yours';
      }
      return '';
    })
    .join('; ');
}

/** What a member's standing is, for the member and role rules. */
export interface MemberFacts {
  readonly userId: string;
  readonly rolePermissions: ReadonlySet<string>;
}

/**
 * Adding, changing or removing a member: needs members:write (leaving on one's own needs nothing),
 * and nobody removes, demotes or assigns a role holding permissions they lack.
 */
export function canManageMember(
  actor: Actor,
  change:
    | { readonly action: 'add'; readonly newRole: ReadonlySet<string> }
    | { readonly action: 'change-role'; readonly member: MemberFacts; readonly newRole: ReadonlySet<string> }
    | { readonly action: 'remove'; readonly member: MemberFacts },
): Decision {
  if (actor.type !== 'session') return refuse('this action needs a signed-in person, not a token');
  if (change.action === 'remove' && change.member.userId === actor.userId) return allow;
  if (!actor.holding.permissions.has('members:write')) return missingPermission('members:write');
  const held = actor.holding.permissions;
  const lacking = (set: ReadonlySet<string>) => [...set].filter((p) => !held.has(p)).sort();
  if (change.action !== 'add') {
    const missing = lacking(change.member.rolePermissions);
    if (missing.length > 0) {
      return {
        allowed: false,
        status: 'forbidden',
        message: `this member's role holds permissions you do not hold: ${missing.join(', ')}`,
        details: { missing },
      };
    }
  }
  if (change.action !== 'remove') {
    const missing = lacking(change.newRole);
    if (missing.length > 0) {
      return {
        allowed: false,
        status: 'forbidden',
        message: `the role holds permissions you do not hold: ${missing.join(', ')}`,
        details: { missing },
      };
    }
  }
  return allow;
}

/**
 * Creating, editing or deleting a custom role: needs roles:write, and the role before and after the
 * change within what the actor holds (editing a role changes every member and token holding it).
 */
export function canManageRole(
  actor: Actor,
  before: ReadonlySet<string> | null,
  after: ReadonlySet<string> | null,
): Decision {
  if (actor.type !== 'session') return refuse('this action needs a signed-in person, not a token');
  if (!actor.holding.permissions.has('roles:write')) return missingPermission('roles:write');
  const held = actor.holding.permissions;
  const missing = [...new Set([...(before ?? []), ...(after ?? [])])].filter((p) => !held.has(p)).sort();
  if (missing.length === 0) return allow;
  return {
    allowed: false,
    status: 'forbidden',
    message: `the role holds permissions you do not hold: ${missing.join(', ')}`,
    details: { missing },
  };
}
