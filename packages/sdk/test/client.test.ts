import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Latchkey } from '../src/client.ts';
import { isLatchkeyError, LatchkeyError } from '../src/errors.ts';
import type { LatchkeyEvent } from '../src/types.ts';
import { eventually, type LatchkeyFixture, startLatchkey } from './helpers/latchkey.ts';
import { fakeToken } from './helpers/tokens.ts';

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<LatchkeyError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LatchkeyError, `expected a LatchkeyError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('the Latchkey client against a real server', () => {
  let lk: LatchkeyFixture;
  before(async () => {
    lk = await startLatchkey();
  });
  after(async () => {
    await lk.close();
  });

  test('health, readiness and the OpenAPI document', async () => {
    await lk.client.health();
    await lk.client.ready();
    const doc = await lk.client.openapi();
    assert.ok('paths' in doc);
  });

  test('the session of a token names its user, its orgs and the token itself', async () => {
    const session = await lk.client.auth.session();
    assert.equal(session.user?.email, 'ada@example.com');
    assert.equal(session.orgs[0]?.id, lk.org);
    assert.equal(session.token?.name, 'sdk-admin');
    assert.equal(session.csrfToken, null);
  });

  test('the permission catalog holds the shard and management permissions', async () => {
    const keys = (await lk.client.permissions()).map((p) => p.key);
    for (const key of ['blocks:read', 'transactions:write', 'tokens:write', 'audit:read'])
      assert.ok(keys.includes(key), key);
  });

  test('orgs: list, get, create; the policy needs a signed-in person', async () => {
    const page = await lk.client.orgs.list();
    assert.ok(page.items.some((o) => o.id === lk.org));
    const org = await lk.client.orgs.get(lk.org);
    assert.equal(org.name, 'Acme Chain');
    assert.equal(typeof org.policy.maxTtlDays, 'number');
    await rejectsWith(lk.client.orgs.update(lk.org, { policy: { maxTtlDays: 90 } }), 'SESSION_REQUIRED');
    const updated = await lk.admin.orgs.update(lk.org, { policy: { maxTtlDays: 400 } });
    assert.equal(updated.policy.maxTtlDays, 400);
    const created = await lk.admin.orgs.create({ name: 'Second org' });
    assert.match(created.id, /^org_/);
  });

  test('resources: add, list, delete', async () => {
    const shard = await lk.client.resources.create(lk.org, { type: 'shard', name: 'testnet-9' });
    assert.match(shard.id, /^res_/);
    const page = await lk.client.resources.list(lk.org);
    assert.ok(page.items.some((r) => r.id === shard.id));
    await lk.client.resources.delete(lk.org, shard.id);
    const after = await lk.client.resources.list(lk.org);
    assert.ok(!after.items.some((r) => r.id === shard.id));
  });

  test('roles: built-ins are listed and cannot be edited; custom roles are created, edited, deleted', async () => {
    const page = await lk.client.roles.list(lk.org);
    const ids = page.items.map((r) => r.id);
    for (const id of ['rol_admin', 'rol_readwrite', 'rol_readonly']) assert.ok(ids.includes(id), id);
    await rejectsWith(
      lk.client.roles.create(lk.org, { name: 'Indexer', permissions: ['blocks:read'] }),
      'SESSION_REQUIRED',
    );
    const role = await lk.admin.roles.create(lk.org, { name: 'Indexer', permissions: ['blocks:read'] });
    const edited = await lk.admin.roles.update(lk.org, role.id, {
      permissions: ['blocks:read', 'chunks:read'],
    });
    assert.deepEqual([...edited.permissions].sort(), ['blocks:read', 'chunks:read']);
    await rejectsWith(lk.admin.roles.update(lk.org, 'rol_admin', { name: 'Boss' }), 'FORBIDDEN');
    await lk.admin.roles.delete(lk.org, role.id);
  });

  test('members: list, invite, accept, change role, remove', async () => {
    const page = await lk.client.members.list(lk.org);
    assert.ok(page.items.some((m) => m.email === 'ada@example.com'));
    const added = await lk.admin.members.add(lk.org, { email: 'bo@example.com', roleId: 'rol_readonly' });
    assert.ok('inviteUrl' in added, 'someone without an account is invited');
    const inviteToken = new URL(added.inviteUrl).hash.replace('#token=', '');
    const bo = new Latchkey({ baseUrl: lk.url });
    const session = await bo.auth.acceptInvite({
      inviteToken,
      password: 'another long password',
      name: 'Bo',
    });
    assert.equal(session.user?.email, 'bo@example.com');
    const userId = session.user?.id ?? '';
    const changed = await lk.admin.members.update(lk.org, userId, { roleId: 'rol_readwrite' });
    assert.equal(changed.roleId, 'rol_readwrite');
    await lk.admin.members.remove(lk.org, userId);
    const after = await lk.client.members.list(lk.org);
    assert.ok(!after.items.some((m) => m.email === 'bo@example.com'));
  });

  test('tokens: create answers the value once; list, get and update never hold it', async () => {
    const issued = await lk.client.tokens.create(lk.org, {
      name: 'indexer',
      description: 'reads blocks',
      access: 'granular',
      permissions: ['blocks:read'],
      expiresIn: '30d',
    });
    assert.match(issued.token, /^lk_[0-9A-Za-z]{36}$/);
    assert.equal(issued.clientId, issued.tokenInfo.id);
    assert.equal(issued.tokenInfo.hint, `lk_…${issued.token.slice(-4)}`);
    const page = await lk.client.tokens.list(lk.org, { status: 'active', limit: 100 });
    assert.ok(page.items.some((t) => t.id === issued.clientId));
    assert.ok(!JSON.stringify(page).includes(issued.token));
    const all: string[] = [];
    for await (const info of lk.client.tokens.listAll(lk.org, { limit: 1 })) all.push(info.id);
    assert.ok(all.length >= 2 && all.includes(issued.clientId), 'listAll follows the cursor');
    const info = await lk.client.tokens.get(lk.org, issued.clientId);
    assert.equal(info.name, 'indexer');
    const renamed = await lk.client.tokens.update(lk.org, issued.clientId, { name: 'indexer-2' });
    assert.equal(renamed.name, 'indexer-2');
    await rejectsWith(lk.client.tokens.create(lk.org, { name: 'indexer-2', access: 'full' }), 'CONFLICT');
    const missing = await rejectsWith(lk.client.tokens.get(lk.org, 'tok_doesnotexist'), 'NOT_FOUND');
    assert.equal(missing.status, 404);
  });

  test('tokens: rotate gives a new value for the same id; revoke keeps the record', async () => {
    const issued = await lk.client.tokens.create(lk.org, {
      name: 'rotating',
      access: 'full',
      expiresIn: '1d',
    });
    const rotated = await lk.client.tokens.rotate(lk.org, issued.clientId);
    assert.equal(rotated.clientId, issued.clientId);
    assert.notEqual(rotated.token, issued.token);
    assert.equal((await lk.client.verify(rotated.token)).valid, true);
    assert.equal((await lk.client.verify(issued.token)).valid, false);
    const answered = await lk.client.tokens.revoke(lk.org, issued.clientId, { reason: 'rotated away' });
    assert.equal(answered.status, 'revoked');
    const info = await lk.client.tokens.get(lk.org, issued.clientId);
    assert.equal(info.status, 'revoked');
    assert.equal(info.revokedReason, 'rotated away');
    assert.deepEqual(await lk.client.verify(rotated.token), { valid: false, code: 'REVOKED' });
  });

  test('verify: valid, a missing permission, a resource outside the token, malformed, unknown', async () => {
    const shard = await lk.client.resources.create(lk.org, { type: 'shard', name: 'testnet-1' });
    const other = await lk.client.resources.create(lk.org, { type: 'shard', name: 'testnet-2' });
    const issued = await lk.client.tokens.create(lk.org, {
      name: 'shard-reader',
      access: 'granular',
      permissions: ['blocks:read', 'chunks:read'],
      resourceIds: [shard.id],
    });
    const ok = await lk.client.verify(issued.token, { permission: 'blocks:read', resource: shard.id });
    assert.equal(ok.valid, true);
    if (ok.valid) {
      assert.equal(ok.token.id, issued.clientId);
      assert.deepEqual(ok.token.resourceIds, [shard.id]);
    }
    assert.equal(
      (await lk.client.verify(issued.token, { permission: { all: ['blocks:read', 'chunks:read'] } })).valid,
      true,
    );
    assert.deepEqual(await lk.client.verify(issued.token, { permission: 'transactions:write' }), {
      valid: false,
      code: 'FORBIDDEN',
    });
    assert.deepEqual(await lk.client.verify(issued.token, { resource: other.id }), {
      valid: false,
      code: 'RESOURCE_FORBIDDEN',
    });
    assert.deepEqual(await lk.client.verify('lk_short'), { valid: false, code: 'MALFORMED' });
    assert.deepEqual(await lk.client.verify(fakeToken()), { valid: false, code: 'NOT_FOUND' });
  });

  test('audit: the events of one token, newest first', async () => {
    const issued = await lk.client.tokens.create(lk.org, {
      name: 'audited',
      access: 'full',
      expiresIn: '1d',
    });
    await lk.client.tokens.revoke(lk.org, issued.clientId);
    const page = await lk.client.audit.list(lk.org, { tokenId: issued.clientId });
    assert.deepEqual(
      page.items.map((e) => e.action),
      ['token.revoked', 'token.created'],
    );
  });

  test('a reported leak revokes the token', async () => {
    const issued = await lk.client.tokens.create(lk.org, { name: 'leaked', access: 'full', expiresIn: '1d' });
    const results = await lk.client.reportLeaks([issued.token, fakeToken()]);
    assert.deepEqual(
      results.map((r) => r.label),
      ['true_positive', 'false_positive'],
    );
    const info = await lk.client.tokens.get(lk.org, issued.clientId);
    assert.equal(info.status, 'revoked');
    assert.equal(info.revokedReason, 'leaked');
  });

  test('the event stream tells about a revocation', async () => {
    const events: LatchkeyEvent[] = [];
    const stream = lk.client.events.subscribe({ onEvent: (event) => events.push(event) });
    try {
      await eventually(() => events.some((e) => e.type === 'ready'));
      const issued = await lk.client.tokens.create(lk.org, {
        name: 'watched',
        access: 'full',
        expiresIn: '1d',
      });
      await lk.client.tokens.revoke(lk.org, issued.clientId);
      await eventually(() =>
        events.some((e) => e.type === 'token.revoked' && e.tokenId === issued.clientId && e.orgId === lk.org),
      );
    } finally {
      stream.close();
    }
  });

  test('API errors carry the code; an unreachable server is NETWORK_ERROR', async () => {
    const stranger = new Latchkey({ baseUrl: lk.url, token: fakeToken() });
    const error = await rejectsWith(stranger.tokens.list(lk.org), 'UNAUTHENTICATED');
    assert.equal(error.status, 401);
    assert.ok(isLatchkeyError(error, 'UNAUTHENTICATED'));
    const nowhere = new Latchkey({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 2000 });
    await rejectsWith(nowhere.health(), 'NETWORK_ERROR');
  });

  test('a session client signs out', async () => {
    const admin = new Latchkey({ baseUrl: lk.url });
    await admin.auth.login({ email: 'ada@example.com', password: 'correct horse battery staple' });
    assert.equal((await admin.auth.session()).user?.email, 'ada@example.com');
    await admin.auth.logout();
    await rejectsWith(admin.tokens.list(lk.org), 'UNAUTHENTICATED');
    await rejectsWith(
      admin.auth.login({ email: 'ada@example.com', password: 'wrong password!' }),
      'UNAUTHENTICATED',
    );
  });
});
