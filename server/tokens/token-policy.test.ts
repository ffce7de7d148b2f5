// The token policy as a table: each principal × action × target kind, and the rule behind each answer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseIpRange } from '@latchkey/sdk/rules';
import {
  type Actor,
  canChangeToken,
  canCreateKind,
  canEditGrants,
  canManageMember,
  canManageRole,
  canMintToken,
  canObtainValue,
  canSeeToken,
  type Decision,
  type Holding,
  type IpRange,
  shortfallsOf,
  type TokenFacts,
  tokenListScope,
} from './token-policy.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-05T00:00:00Z');
const ALL = [
  'blocks:read',
  'accounts:read',
  'transactions:write',
  'tokens:read',
  'tokens:write',
  'members:read',
  'members:write',
  'roles:read',
  'roles:write',
];
const range = (text: string): IpRange => {
  const parsed = parseIpRange(text);
  assert.ok(parsed, text);
  return parsed;
};

type HoldingInput = Omit<Partial<Holding>, 'permissions'> & { permissions?: Iterable<string> };

const holding = (over: HoldingInput = {}): Holding => ({
  permissions: new Set(over.permissions ?? []),
  resourceIds: over.resourceIds ?? null,
  ipRanges: over.ipRanges ?? null,
  rateLimit: over.rateLimit ?? null,
  notAfter: over.notAfter ?? null,
});

const session = (userId: string, permissions: string[]): Actor => ({
  type: 'session',
  userId,
  holding: holding({ permissions }),
});

const tokenActor = (
  over: HoldingInput & {
    permissions: string[];
    ownerId?: string | null;
    inGrace?: boolean;
    full?: boolean;
  },
): Actor => ({
  type: 'token',
  tokenId: 'tok_actor',
  ownerId: over.ownerId === undefined ? 'usr_ada' : over.ownerId,
  access: over.full ? 'full' : 'granular',
  inGrace: over.inGrace ?? false,
  holding: holding(over),
});

const personalOf = (ownerId: string): TokenFacts => ({ kind: 'personal', ownerId });
const application: TokenFacts = { kind: 'application', ownerId: null };
const fullHolding = holding({ permissions: ALL });

const verdict = (d: Decision) => (d.allowed ? 'allow' : d.status === 'hidden' ? 'hidden' : 'forbidden');

describe('token policy: seeing, changing and obtaining values, by principal and target kind', () => {
  const admin = session('usr_admin', ALL);
  const owner = session('usr_ada', ['blocks:read']);
  const stranger = session('usr_bob', ['blocks:read']);
  const reader = session('usr_rea', ['blocks:read', 'tokens:read']);
  const writerSession = session('usr_wri', ['blocks:read', 'tokens:read', 'tokens:write']);
  const writerToken = tokenActor({ permissions: ['tokens:read', 'tokens:write'], ownerId: null });
  const adaTokenWithoutRead = tokenActor({ permissions: ['blocks:read'] });
  const table: Array<[string, Actor, TokenFacts, Holding, { see: string; change: string; obtain: string }]> =
    [
      [
        'an admin session, on a full application token',
        admin,
        application,
        fullHolding,
        { see: 'allow', change: 'allow', obtain: 'allow' },
      ],
      [
        "the owner's session, on their personal token",
        owner,
        personalOf('usr_ada'),
        holding({ permissions: ['blocks:read'] }),
        { see: 'allow', change: 'allow', obtain: 'allow' },
      ],
      [
        "another member's session, on someone's personal token",
        stranger,
        personalOf('usr_ada'),
        holding({ permissions: ['blocks:read'] }),
        { see: 'hidden', change: 'hidden', obtain: 'hidden' },
      ],
      [
        'a tokens:read session',
        reader,
        personalOf('usr_ada'),
        holding({ permissions: ['blocks:read'] }),
        { see: 'allow', change: 'forbidden', obtain: 'forbidden' },
      ],
      [
        'a tokens:write session, on a full application token it does not hold',
        writerSession,
        application,
        fullHolding,
        { see: 'allow', change: 'allow', obtain: 'forbidden' },
      ],
      [
        'a tokens:write session, on a token within what it holds',
        writerSession,
        application,
        holding({ permissions: ['blocks:read'] }),
        { see: 'allow', change: 'allow', obtain: 'allow' },
      ],
      [
        "a tokens:write + tokens:read token, on an admin's full token",
        writerToken,
        personalOf('usr_admin'),
        fullHolding,
        { see: 'allow', change: 'allow', obtain: 'forbidden' },
      ],
      [
        "a personal token without tokens:read, on its owner's other token",
        adaTokenWithoutRead,
        personalOf('usr_ada'),
        holding({ permissions: ['blocks:read'] }),
        { see: 'forbidden', change: 'forbidden', obtain: 'forbidden' },
      ],
    ];
  for (const [name, actor, target, targetHolding, expected] of table) {
    test(name, () => {
      assert.deepEqual(
        {
          see: verdict(canSeeToken(actor, target)),
          change: verdict(canChangeToken(actor, target)),
          obtain: verdict(canObtainValue(actor, target, targetHolding)),
        },
        expected,
      );
    });
  }

  test('tokens:write alone revokes and renames but never rotates a token holding more (rule 1)', () => {
    const decision = canObtainValue(writerToken, application, fullHolding);
    assert.equal(decision.allowed, false);
    assert.ok(!decision.allowed && decision.details?.missing?.includes('members:write'));
  });

  test('a caller holding a wider rate limit or no address limit than its target still rotates it', () => {
    const limited = holding({
      permissions: ['blocks:read'],
      ipRanges: [range('10.0.0.0/24')],
      rateLimit: { limit: 10, windowSeconds: 60 },
    });
    assert.equal(canObtainValue(writerSession, application, limited).allowed, true);
  });

  test('a caller with narrower addresses, rate or lifetime than the token may not obtain its value', () => {
    const narrow = tokenActor({
      permissions: ['tokens:read', 'tokens:write', 'blocks:read'],
      ipRanges: [range('10.0.0.0/24')],
    });
    assert.equal(
      canObtainValue(narrow, application, holding({ permissions: ['blocks:read'] })).allowed,
      false,
    );
    const rateLimited = tokenActor({
      permissions: ['tokens:read', 'tokens:write', 'blocks:read'],
      rateLimit: { limit: 10, windowSeconds: 60 },
    });
    assert.equal(
      canObtainValue(rateLimited, application, holding({ permissions: ['blocks:read'] })).allowed,
      false,
    );
    const shortLived = tokenActor({
      permissions: ['tokens:read', 'tokens:write', 'blocks:read'],
      notAfter: NOW + DAY,
    });
    const longLived = holding({ permissions: ['blocks:read'], notAfter: NOW + 30 * DAY });
    assert.equal(canObtainValue(shortLived, application, longLived).allowed, false);
  });

  test('an old value inside its rotation grace never rotates, not even its own token (rule 3)', () => {
    const old = tokenActor({ permissions: ALL, full: true, inGrace: true, notAfter: NOW + DAY });
    const decision = canObtainValue(old, personalOf('usr_ada'), holding({ permissions: ['blocks:read'] }));
    assert.equal(verdict(decision), 'forbidden');
  });

  test('lists: a session without tokens:read sees its own; a token without it sees none', () => {
    assert.deepEqual(tokenListScope(reader), { scope: 'all' });
    assert.deepEqual(tokenListScope(owner), { scope: 'own' });
    assert.equal(verdict(tokenListScope(adaTokenWithoutRead) as Decision), 'forbidden');
  });
});

describe('token policy: minting', () => {
  const parent = tokenActor({
    permissions: ['blocks:read', 'tokens:write'],
    resourceIds: new Set(['res_a']),
    ipRanges: [range('10.0.0.0/24')],
    rateLimit: { limit: 100, windowSeconds: 60 },
    notAfter: NOW + 10 * DAY,
  });
  const within = holding({
    permissions: ['blocks:read'],
    resourceIds: new Set(['res_a']),
    ipRanges: [range('10.0.0.128/25')],
    rateLimit: { limit: 10, windowSeconds: 60 },
    notAfter: NOW + DAY,
  });

  test('a child within its parent in every dimension is minted', () => {
    assert.equal(
      canMintToken(parent, { kind: 'personal', access: 'granular', holding: within }).allowed,
      true,
    );
  });

  const sheds: Array<[string, Partial<Holding>]> = [
    ['its address limit (rule 8)', { ipRanges: null }],
    ['part of its address limit', { ipRanges: [range('10.0.0.0/16')] }],
    ['its rate limit (rule 8)', { rateLimit: null }],
    ['a looser rate limit', { rateLimit: { limit: 1000, windowSeconds: 60 } }],
    ['a shorter window for the same count', { rateLimit: { limit: 100, windowSeconds: 1 } }],
    ['its resource limit', { resourceIds: null }],
    ['its lifetime', { notAfter: NOW + 20 * DAY }],
    ['its lifetime, by never expiring', { notAfter: null }],
    ['a permission it lacks', { permissions: new Set(['blocks:read', 'accounts:read']) }],
  ];
  for (const [what, change] of sheds) {
    test(`a child cannot shed ${what}`, () => {
      const decision = canMintToken(parent, {
        kind: 'personal',
        access: 'granular',
        holding: { ...within, ...change },
      });
      assert.equal(verdict(decision), 'forbidden');
    });
  }

  test('an old value in its grace mints nothing that outlives its grace end (rule 3)', () => {
    const old = tokenActor({
      permissions: ['blocks:read', 'tokens:write'],
      inGrace: true,
      notAfter: NOW + DAY,
    });
    const later = holding({ permissions: ['blocks:read'], notAfter: NOW + 2 * DAY });
    assert.equal(canMintToken(old, { kind: 'personal', access: 'granular', holding: later }).allowed, false);
    const sooner = holding({ permissions: ['blocks:read'], notAfter: NOW + DAY / 2 });
    assert.equal(canMintToken(old, { kind: 'personal', access: 'granular', holding: sooner }).allowed, true);
  });

  test("a session's own personal full token is bounded by its owner, so it is allowed", () => {
    const member = session('usr_ada', ['blocks:read']);
    assert.equal(
      canMintToken(member, { kind: 'personal', access: 'full', holding: fullHolding }).allowed,
      true,
    );
    assert.equal(
      canMintToken(member, { kind: 'application', access: 'full', holding: fullHolding }).allowed,
      false,
    );
  });

  test('tokens need tokens:write to create; application tokens create only application tokens', () => {
    assert.equal(
      verdict(canCreateKind(tokenActor({ permissions: ['blocks:read'] }), 'personal')),
      'forbidden',
    );
    const app = tokenActor({ permissions: ['tokens:write'], ownerId: null });
    assert.equal(canCreateKind(app, 'personal').allowed, false);
    assert.equal(canCreateKind(app, 'application').allowed, true);
  });

  test('only a full-access token creates a full-access token', () => {
    const granular = tokenActor({ permissions: ALL });
    assert.equal(
      canMintToken(granular, { kind: 'application', access: 'full', holding: fullHolding }).allowed,
      false,
    );
    const full = tokenActor({ permissions: ALL, full: true });
    assert.equal(
      canMintToken(full, { kind: 'application', access: 'full', holding: fullHolding }).allowed,
      true,
    );
  });
});

describe('token policy: editing grants', () => {
  const editor = session('usr_wri', ['blocks:read', 'accounts:read', 'tokens:write']);
  const current = holding({
    permissions: ['blocks:read', 'transactions:write'],
    resourceIds: new Set(['res_a']),
  });

  test('narrowing is always allowed to whoever may change the token, even beyond what they hold', () => {
    const next = holding({ permissions: ['transactions:write'], resourceIds: new Set(['res_a']) });
    assert.equal(canEditGrants(editor, application, current, next).allowed, true);
  });

  test('widening is allowed only within what the editor holds', () => {
    const within = holding({
      permissions: ['blocks:read', 'transactions:write', 'accounts:read'],
      resourceIds: new Set(['res_a']),
    });
    assert.equal(canEditGrants(editor, application, current, within).allowed, true);
    const beyond = holding({
      permissions: ['blocks:read', 'transactions:write', 'members:write'],
      resourceIds: new Set(['res_a']),
    });
    const decision = canEditGrants(editor, application, current, beyond);
    assert.ok(!decision.allowed && decision.details?.missing?.join() === 'members:write');
  });

  test('a limited token editing another cannot lift its resource limit to every resource', () => {
    const limited = tokenActor({
      permissions: ['tokens:write', 'blocks:read'],
      resourceIds: new Set(['res_a']),
    });
    const next = holding({ permissions: ['blocks:read', 'transactions:write'], resourceIds: null });
    assert.equal(canEditGrants(limited, application, current, next).allowed, false);
  });

  test('the expiry only moves earlier', () => {
    const expiring = holding({ permissions: ['blocks:read'], notAfter: NOW + 10 * DAY });
    assert.equal(
      canEditGrants(editor, application, expiring, { ...expiring, notAfter: NOW + DAY }).allowed,
      true,
    );
    assert.equal(
      canEditGrants(editor, application, expiring, { ...expiring, notAfter: NOW + 20 * DAY }).allowed,
      false,
    );
    assert.equal(
      canEditGrants(editor, application, expiring, { ...expiring, notAfter: null }).allowed,
      false,
    );
  });

  test('someone who may not change the token may not edit it at all', () => {
    const reader = session('usr_rea', ['tokens:read']);
    assert.equal(verdict(canEditGrants(reader, application, current, current)), 'forbidden');
  });
});

describe('token policy: members and roles (rule 6)', () => {
  const admin = new Set(ALL);
  const readOnly = new Set(['blocks:read']);
  const manager = session('usr_man', ['members:read', 'members:write', 'blocks:read']);

  test('a member manager cannot remove or demote an administrator', () => {
    const member = { userId: 'usr_admin', rolePermissions: admin };
    assert.equal(canManageMember(manager, { action: 'remove', member }).allowed, false);
    assert.equal(
      canManageMember(manager, { action: 'change-role', member, newRole: readOnly }).allowed,
      false,
    );
  });

  test('a member manager cannot assign a role holding permissions they lack', () => {
    const member = { userId: 'usr_x', rolePermissions: readOnly };
    assert.equal(canManageMember(manager, { action: 'change-role', member, newRole: admin }).allowed, false);
    assert.equal(canManageMember(manager, { action: 'add', newRole: admin }).allowed, false);
    assert.equal(canManageMember(manager, { action: 'add', newRole: readOnly }).allowed, true);
    assert.equal(canManageMember(manager, { action: 'remove', member }).allowed, true);
  });

  test('anyone may leave; nobody else is removed without members:write; tokens never manage members', () => {
    const self = session('usr_x', ['blocks:read']);
    assert.equal(
      canManageMember(self, { action: 'remove', member: { userId: 'usr_x', rolePermissions: admin } })
        .allowed,
      true,
    );
    assert.equal(
      canManageMember(self, { action: 'remove', member: { userId: 'usr_y', rolePermissions: readOnly } })
        .allowed,
      false,
    );
    assert.equal(
      canManageMember(tokenActor({ permissions: ALL }), { action: 'add', newRole: readOnly }).allowed,
      false,
    );
  });

  test('a role editor keeps the role, before and after, within what they hold', () => {
    const editor = session('usr_r', ['roles:write', 'blocks:read']);
    assert.equal(canManageRole(editor, null, readOnly).allowed, true);
    assert.equal(
      canManageRole(editor, admin, readOnly).allowed,
      false,
      'demoting every holder of a bigger role',
    );
    assert.equal(canManageRole(editor, readOnly, admin).allowed, false);
  });
});

describe('shortfallsOf: what "holds at least" means in each dimension', () => {
  test('an unlimited holder holds at least anything with the same permissions', () => {
    assert.deepEqual(
      shortfallsOf(holding({ permissions: ['a:b'] }), holding({ permissions: ['a:b'], notAfter: NOW })),
      [],
    );
  });
  test('IPv6 ranges nest; IPv4 never sits inside IPv6', () => {
    const outer = holding({ ipRanges: [range('2001:db8::/32')] });
    assert.deepEqual(shortfallsOf(outer, holding({ ipRanges: [range('2001:db8:1::/48')] })), []);
    assert.equal(shortfallsOf(outer, holding({ ipRanges: [range('10.0.0.0/8')] })).length, 1);
  });
});
