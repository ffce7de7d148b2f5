// Proof by model (issue 12): random sequences of actions by random principals against a real server,
// checked after every step against a small reference model written from the spec. The model does not
// predict every answer (that would be a second copy of the policy); it checks what must never happen —
// a principal obtaining a value, a grant, a membership or a verify answer beyond what it held — and
// that what the spec says must work (an administrator's session, verification of live tokens) works.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { ApiClient } from '../helpers/client.ts';
import { testDialects } from '../helpers/dialects.ts';
import { type AdminSession, addMember, setupAdmin, unique, verify } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const SEED = Number(process.env.LATCHKEY_MODEL_SEED ?? 20261205);
const RUNS = Number(process.env.LATCHKEY_MODEL_RUNS ?? 6);

/** The reference model's view of a token: its grants as stored and its live values. */
interface ModelToken {
  id: string;
  kind: 'personal' | 'application';
  ownerId: string | null;
  access: 'full' | 'granular';
  permissions: Set<string>;
  resourceIds: Set<string> | null;
  allowedIps: string[] | null;
  rateLimit: { limit: number; windowSeconds: number } | null;
  expiresAt: number;
  revoked: boolean;
  /** Live values: the current one (graceEnd null) and old ones inside a rotation grace. */
  values: Array<{ value: string; graceEnd: number | null }>;
}

interface ModelMember {
  userId: string;
  client: ApiClient;
  roleId: string;
}

interface World {
  orgId: string;
  catalog: string[];
  roles: Map<string, Set<string>>;
  members: ModelMember[];
  tokens: ModelToken[];
  resources: string[];
}

/** What a principal holds, in the spec's words. */
interface Held {
  permissions: Set<string>;
  resourceIds: Set<string> | null;
  allowedIps: string[] | null;
  rateLimit: { limit: number; windowSeconds: number } | null;
  notAfter: number | null;
}

type Principal =
  | { kind: 'session'; member: ModelMember }
  | { kind: 'token'; token: ModelToken; value: string; graceEnd: number | null };

const IP_CHOICES: Array<string[] | null> = [null, ['127.0.0.0/8'], ['127.0.0.1']];
const RATE_CHOICES = [null, { limit: 1000, windowSeconds: 60 }, { limit: 100, windowSeconds: 60 }];

function roleOf(world: World, userId: string | null): Set<string> {
  const member = world.members.find((m) => m.userId === userId);
  return member === undefined ? new Set() : (world.roles.get(member.roleId) ?? new Set());
}

/** Spec §2: (token permissions, or all for full) ∩ the owner's current role for a personal token. */
function effective(world: World, token: ModelToken): Set<string> {
  const base = token.access === 'full' ? new Set(world.catalog) : token.permissions;
  if (token.kind === 'application') return new Set(base);
  const owner = roleOf(world, token.ownerId);
  return new Set([...base].filter((p) => owner.has(p)));
}

function isLive(world: World, token: ModelToken, now: number): boolean {
  if (token.revoked || token.expiresAt <= now) return false;
  return token.kind === 'application' || world.members.some((m) => m.userId === token.ownerId);
}

function heldBy(world: World, principal: Principal): Held {
  if (principal.kind === 'session') {
    return {
      permissions: roleOf(world, principal.member.userId),
      resourceIds: null,
      allowedIps: null,
      rateLimit: null,
      notAfter: null,
    };
  }
  const { token, graceEnd } = principal;
  return {
    permissions: effective(world, token),
    resourceIds: token.resourceIds,
    allowedIps: token.allowedIps,
    rateLimit: token.rateLimit,
    notAfter: graceEnd === null ? token.expiresAt : Math.min(graceEnd, token.expiresAt),
  };
}

/** Written from the spec, apart from the server's policy: `holder` holds at least `wanted`. */
function holdsAtLeast(holder: Held, wanted: Held): boolean {
  if (![...wanted.permissions].every((p) => holder.permissions.has(p))) return false;
  if (holder.resourceIds !== null) {
    if (wanted.resourceIds === null || ![...wanted.resourceIds].every((r) => holder.resourceIds?.has(r)))
      return false;
  }
  // The choices are nested: 127.0.0.1 ⊂ 127.0.0.0/8 ⊂ anywhere.
  const ipWidth = (ips: string[] | null) => (ips === null ? 2 : ips[0] === '127.0.0.0/8' ? 1 : 0);
  if (ipWidth(wanted.allowedIps) > ipWidth(holder.allowedIps)) return false;
  const rateWidth = (r: Held['rateLimit']) =>
    r === null ? Number.POSITIVE_INFINITY : r.limit / r.windowSeconds;
  if (rateWidth(wanted.rateLimit) > rateWidth(holder.rateLimit)) return false;
  if (holder.notAfter !== null && (wanted.notAfter === null || wanted.notAfter > holder.notAfter))
    return false;
  return true;
}

function tokenHeld(world: World, token: ModelToken): Held {
  return {
    permissions: effective(world, token),
    resourceIds: token.resourceIds,
    allowedIps: token.allowedIps,
    rateLimit: token.rateLimit,
    notAfter: token.expiresAt,
  };
}

const adminCount = (world: World) => world.members.filter((m) => m.roleId === 'rol_admin').length;

type Action =
  | {
      type: 'create';
      by: number;
      kind: 'personal' | 'application';
      full: boolean;
      perms: number[];
      res: number | null;
      ips: number;
      rate: number;
      hours: number;
    }
  | { type: 'rotate'; by: number; target: number; grace: boolean }
  | { type: 'revoke'; by: number; target: number }
  | { type: 'edit'; by: number; target: number; perms: number[] }
  | { type: 'role'; by: number; target: number; role: number }
  | { type: 'remove'; by: number; target: number };

const index = fc.nat({ max: 50 });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    type: fc.constant('create' as const),
    by: index,
    kind: fc.constantFrom('personal' as const, 'application' as const),
    full: fc.boolean(),
    perms: fc.array(index, { minLength: 1, maxLength: 4 }),
    res: fc.option(index, { nil: null }),
    ips: fc.nat({ max: 2 }),
    rate: fc.nat({ max: 2 }),
    hours: fc.constantFrom(2, 48, 24 * 60),
  }),
  fc.record({ type: fc.constant('rotate' as const), by: index, target: index, grace: fc.boolean() }),
  fc.record({ type: fc.constant('revoke' as const), by: index, target: index }),
  fc.record({
    type: fc.constant('edit' as const),
    by: index,
    target: index,
    perms: fc.array(index, { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ type: fc.constant('role' as const), by: index, target: index, role: index }),
  fc.record({ type: fc.constant('remove' as const), by: index, target: index }),
);

for (const dialect of await testDialects()) {
  describe(`authorization model (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let root: AdminSession;
    before(async () => {
      server = await startServer({
        dialect: dialect.name,
        env: { LOGIN_ATTEMPTS_PER_MINUTE: '10000', VERIFY_FAILURE_LIMIT: '10000' },
      });
      root = await setupAdmin(server.url);
    });
    after(() => server?.close());

    /** A fresh org per run: the root user as its administrator, three invited members, two resources. */
    async function newWorld(): Promise<World> {
      const org = await root.client.post('/v1/orgs', { name: unique('model') });
      assert.equal(org.status, 201, JSON.stringify(org.body));
      const orgId = org.body.id as string;
      const admin: AdminSession = { ...root, orgId };
      const base = `/v1/orgs/${orgId}`;
      const custom = [
        ['tokens:read', 'tokens:write', 'blocks:read', 'accounts:read'],
        ['members:read', 'members:write', 'blocks:read'],
      ];
      for (const permissions of custom) {
        const role = await root.client.post(`${base}/roles`, { name: unique('role'), permissions });
        assert.equal(role.status, 201, JSON.stringify(role.body));
      }
      const roleList = await root.client.get(`${base}/roles`);
      const items = (roleList.body.items ?? roleList.body) as Array<{ id: string; permissions: string[] }>;
      const roles = new Map(items.map((r) => [r.id, new Set(r.permissions)]));
      const permissionList = (await root.client.get('/v1/permissions')).body;
      const catalog = (permissionList.items ?? permissionList).map((p: { key: string }) => p.key) as string[];
      const roleIds = [...roles.keys()];
      const members: ModelMember[] = [{ userId: root.userId, client: root.client, roleId: 'rol_admin' }];
      const customRoles = roleIds.filter((r) => !['rol_admin', 'rol_readwrite', 'rol_readonly'].includes(r));
      for (const roleId of ['rol_admin', 'rol_readwrite', ...customRoles]) {
        const m = await addMember(admin, roleId);
        members.push({ userId: m.userId, client: m.client, roleId });
      }
      const resources: string[] = [];
      for (let i = 0; i < 2; i++) {
        const r = await root.client.post(`${base}/resources`, { type: 'shard', name: unique('shard') });
        resources.push(r.body.id);
      }
      return { orgId, catalog, roles, members, tokens: [], resources };
    }

    function principals(world: World, now: number): Principal[] {
      const list: Principal[] = world.members.map((member) => ({ kind: 'session', member }));
      for (const token of world.tokens) {
        if (!isLive(world, token, now)) continue;
        for (const v of token.values)
          if (v.graceEnd === null || v.graceEnd > now)
            list.push({ kind: 'token', token, value: v.value, graceEnd: v.graceEnd });
      }
      return list;
    }

    const clientOf = (p: Principal): ApiClient =>
      p.kind === 'session' ? p.member.client : root.client.withToken(p.value);

    /** After every step: every live value answers verify as the model says, and nothing else is valid. */
    async function checkVerification(world: World, step: string): Promise<void> {
      const now = Date.now();
      for (const token of world.tokens) {
        const live = isLive(world, token, now);
        const granted = effective(world, token);
        const permission = world.catalog[
          (token.id.charCodeAt(token.id.length - 1) + world.tokens.length) % world.catalog.length
        ] as string;
        for (const { value, graceEnd } of token.values) {
          const answer = (await verify(server.url, { token: value, permission })).body;
          const valueLive = live && (graceEnd === null || graceEnd > now);
          if (answer.valid) {
            assert.ok(valueLive, `${step}: a dead value verified: ${JSON.stringify(token)}`);
            assert.ok(
              granted.has(permission),
              `${step}: ${token.id} verified for ${permission} it does not hold`,
            );
          } else if (valueLive && granted.has(permission)) {
            assert.fail(
              `${step}: ${token.id} refused ${permission} (${answer.code}) though the model grants it`,
            );
          }
        }
      }
    }

    test('random principals and actions never obtain more than they hold', async () => {
      let outcomes = { allowed: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(fc.array(actionArb, { minLength: 4, maxLength: 18 }), async (actions) => {
          const world = await newWorld();
          const base = `/v1/orgs/${world.orgId}`;
          for (const [i, action] of actions.entries()) {
            const now = Date.now();
            const all = principals(world, now);
            const by = all[action.by % all.length] as Principal;
            const actor = heldBy(world, by);
            const client = clientOf(by);
            const step = `step ${i} ${JSON.stringify(action)} by ${by.kind === 'session' ? by.member.roleId : by.token.id}`;
            if (action.type === 'create') {
              const permissions = [
                ...new Set(action.perms.map((p) => world.catalog[p % world.catalog.length] as string)),
              ];
              const resourceIds =
                action.res === null ? null : [world.resources[action.res % world.resources.length] as string];
              const ips = IP_CHOICES[action.ips] ?? null;
              const rate = RATE_CHOICES[action.rate] ?? null;
              const answer = await client.post(`${base}/tokens`, {
                name: unique('m'),
                kind: action.kind,
                access: action.full ? 'full' : 'granular',
                ...(action.full ? {} : { permissions }),
                resourceIds,
                allowedIps: ips,
                rateLimit: rate,
                expiresIn: `${action.hours}h`,
              });
              if (answer.status === 201) {
                outcomes.allowed++;
                const ownerId =
                  action.kind === 'personal'
                    ? by.kind === 'session'
                      ? by.member.userId
                      : by.token.ownerId
                    : null;
                const token: ModelToken = {
                  id: answer.body.clientId,
                  kind: action.kind,
                  ownerId,
                  access: action.full ? 'full' : 'granular',
                  permissions: new Set(action.full ? [] : permissions),
                  resourceIds: resourceIds === null ? null : new Set(resourceIds),
                  allowedIps: ips,
                  rateLimit: rate,
                  expiresAt: Date.parse(answer.body.tokenInfo.expiresAt),
                  revoked: false,
                  values: [{ value: answer.body.token, graceEnd: null }],
                };
                const ownerBoundFull = by.kind === 'session' && action.kind === 'personal' && action.full;
                if (!ownerBoundFull) {
                  const wanted = {
                    ...tokenHeld(world, token),
                    permissions: action.full ? new Set(world.catalog) : new Set(permissions),
                  };
                  assert.ok(holdsAtLeast(actor, wanted), `${step}: minted beyond the creator`);
                }
                world.tokens.push(token);
              } else {
                outcomes.refused++;
                assert.ok(
                  [400, 403, 404].includes(answer.status),
                  `${step}: ${answer.status} ${JSON.stringify(answer.body)}`,
                );
                if (by.kind === 'session' && by.member.roleId === 'rol_admin' && answer.status !== 400) {
                  assert.fail(
                    `${step}: an administrator's session was refused: ${JSON.stringify(answer.body)}`,
                  );
                }
              }
            } else if (action.type === 'rotate' || action.type === 'revoke' || action.type === 'edit') {
              if (world.tokens.length === 0) continue;
              const target = world.tokens[action.target % world.tokens.length] as ModelToken;
              const before = tokenHeld(world, target);
              const path = `${base}/tokens/${target.id}`;
              const answer =
                action.type === 'rotate'
                  ? await client.post(`${path}/rotate`, { gracePeriod: action.grace ? '1h' : 0 })
                  : action.type === 'revoke'
                    ? await client.delete(path)
                    : await client.patch(path, {
                        permissions: [
                          ...new Set(
                            action.perms.map((p) => world.catalog[p % world.catalog.length] as string),
                          ),
                        ],
                      });
              const ownerSession = by.kind === 'session' && target.ownerId === by.member.userId;
              if (answer.status === 200) {
                outcomes.allowed++;
                assert.ok(
                  ownerSession || actor.permissions.has('tokens:write'),
                  `${step}: changed a token without tokens:write or ownership`,
                );
                if (action.type === 'rotate') {
                  assert.ok(
                    ownerSession || holdsAtLeast(actor, before),
                    `${step}: rotated a token holding more than the caller`,
                  );
                  assert.ok(
                    by.kind === 'session' || by.graceEnd === null,
                    `${step}: a value in its grace rotated`,
                  );
                  // With a grace every older value ends at the latest then; without one they all end now.
                  const end = Date.parse(answer.body.tokenInfo.previousValueExpiresAt ?? '') || null;
                  assert.equal(end !== null, action.grace, `${step}: previousValueExpiresAt`);
                  target.values =
                    end === null
                      ? []
                      : target.values.map((v) => ({
                          ...v,
                          graceEnd: v.graceEnd === null ? end : Math.min(v.graceEnd, end),
                        }));
                  target.values.push({ value: answer.body.token, graceEnd: null });
                } else if (action.type === 'revoke') {
                  target.revoked = true;
                } else {
                  const next = new Set(answer.body.permissions as string[]);
                  const prior = target.access === 'full' ? new Set(world.catalog) : target.permissions;
                  for (const p of next) {
                    assert.ok(
                      prior.has(p) || actor.permissions.has(p),
                      `${step}: edit widened ${p} beyond the editor`,
                    );
                  }
                  target.access = answer.body.access;
                  target.permissions = next;
                }
              } else {
                outcomes.refused++;
                assert.ok(
                  [400, 403, 404, 409].includes(answer.status),
                  `${step}: ${answer.status} ${JSON.stringify(answer.body)}`,
                );
              }
            } else {
              const target = world.members[action.target % world.members.length] as ModelMember;
              const roleIds = [...world.roles.keys()];
              const newRole = roleIds[(action.type === 'role' ? action.role : 0) % roleIds.length] as string;
              const path = `${base}/members/${target.userId}`;
              const answer =
                action.type === 'role'
                  ? await client.patch(path, { roleId: newRole })
                  : await client.delete(path);
              if (answer.status === 200 || answer.status === 204) {
                outcomes.allowed++;
                assert.equal(by.kind, 'session', `${step}: a token managed members`);
                const self =
                  by.kind === 'session' && by.member.userId === target.userId && action.type === 'remove';
                if (!self) {
                  const targetRole = world.roles.get(target.roleId) ?? new Set();
                  const needed =
                    action.type === 'role'
                      ? new Set([...targetRole, ...(world.roles.get(newRole) ?? [])])
                      : targetRole;
                  assert.ok(
                    actor.permissions.has('members:write'),
                    `${step}: managed a member without members:write`,
                  );
                  assert.ok(
                    [...needed].every((p) => actor.permissions.has(p)),
                    `${step}: managed a member beyond the actor`,
                  );
                }
                if (action.type === 'role') target.roleId = newRole;
                else {
                  world.members = world.members.filter((m) => m !== target);
                  for (const t of world.tokens) if (t.ownerId === target.userId) t.revoked = true;
                }
                assert.ok(adminCount(world) >= 1, `${step}: the org lost its last administrator`);
              } else {
                outcomes.refused++;
                assert.ok(
                  [400, 403, 404, 409].includes(answer.status),
                  `${step}: ${answer.status} ${JSON.stringify(answer.body)}`,
                );
              }
            }
            await checkVerification(world, step);
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      // Not vacuous: the random actions were both allowed and refused, many times.
      assert.ok(outcomes.allowed >= RUNS * 2, `only ${outcomes.allowed} actions were allowed`);
      assert.ok(outcomes.refused >= RUNS, `only ${outcomes.refused} actions were refused`);
      outcomes = { allowed: 0, refused: 0 };
    });
  });
}
