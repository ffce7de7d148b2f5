// Audit events: every change to tokens, members, roles, resources and the policy, with who, when, from where.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type ApiAnswer, ApiClient } from '../helpers/client.ts';
import { postgresAdminUrl, postgresUnavailable, testDialects } from '../helpers/dialects.ts';
import {
  type AdminSession,
  addMember,
  createToken,
  PASSWORD,
  setupAdmin,
  unique,
} from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError, invite } from '../helpers/workflows.ts';

interface AuditEvent {
  id: string;
  orgId: string;
  action: string;
  actor: { type: string; id: string };
  target: { type: string; id: string };
  at: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: unknown;
}

interface Expected {
  action: string;
  requestId: string;
  actor: { type: string; id: string };
  target: { type: string; id: string };
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

for (const dialect of await testDialects()) {
  describe(`audit events (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    let readonly: AdminSession;
    const userAgent = `latchkey-audit-test/1.0 (${unique('agent')})`;
    const expected: Expected[] = [];
    const tokenValues: string[] = [];
    let workflowToken: string;
    let startedAt: number;
    let endedAt: number;
    let events: AuditEvent[];

    /** Sends a request with the test's User-Agent and answers it with its x-request-id. */
    async function act(client: ApiClient, method: string, path: string, body?: unknown) {
      const answer: ApiAnswer = await client.request(
        method,
        path,
        body ?? (method === 'GET' ? undefined : {}),
        {
          'user-agent': userAgent,
        },
      );
      assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      const requestId = answer.headers.get('x-request-id');
      assert.ok(requestId, 'every answer carries x-request-id');
      return { ...answer, requestId };
    }

    before(async () => {
      server = await startServer({ dialect: dialect.name, env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
      admin = await setupAdmin(server.url);
      readonly = await addMember(admin, 'rol_readonly');
      const org = `/v1/orgs/${admin.orgId}`;
      const me = { type: 'user', id: admin.userId };
      startedAt = Date.now();

      const policy = await act(admin.client, 'PATCH', org, { policy: { maxTtlDays: 200 } });
      expected.push({
        action: 'org.policy_changed',
        requestId: policy.requestId,
        actor: me,
        target: { type: 'org', id: admin.orgId },
      });

      const resource = await act(admin.client, 'POST', `${org}/resources`, {
        type: 'shard',
        name: unique('shard'),
      });
      expected.push({
        action: 'resource.created',
        requestId: resource.requestId,
        actor: me,
        target: { type: 'resource', id: resource.body.id },
      });
      const resourceGone = await act(admin.client, 'DELETE', `${org}/resources/${resource.body.id}`);
      expected.push({
        action: 'resource.deleted',
        requestId: resourceGone.requestId,
        actor: me,
        target: { type: 'resource', id: resource.body.id },
      });

      const role = await act(admin.client, 'POST', `${org}/roles`, {
        name: unique('role'),
        permissions: ['blocks:read'],
      });
      const roleTarget = { type: 'role', id: role.body.id };
      expected.push({ action: 'role.created', requestId: role.requestId, actor: me, target: roleTarget });
      const roleEdit = await act(admin.client, 'PATCH', `${org}/roles/${role.body.id}`, {
        permissions: ['chunks:read'],
      });
      expected.push({ action: 'role.updated', requestId: roleEdit.requestId, actor: me, target: roleTarget });
      const roleGone = await act(admin.client, 'DELETE', `${org}/roles/${role.body.id}`);
      expected.push({ action: 'role.deleted', requestId: roleGone.requestId, actor: me, target: roleTarget });

      // An invite accepted: the member adds themself, from their own browser.
      const { inviteToken } = await invite(admin, `${unique('joiner')}@example.com`, 'rol_readonly');
      const joinerClient = new ApiClient(server.url);
      const accepted = await act(joinerClient, 'POST', '/v1/auth/accept-invite', {
        inviteToken,
        password: PASSWORD,
        name: 'Joiner',
      });
      const joinerId = accepted.body.user.id as string;
      const joiner = { type: 'user', id: joinerId };
      expected.push({ action: 'member.added', requestId: accepted.requestId, actor: joiner, target: joiner });
      const joinerToken = await createToken({ client: joinerClient, orgId: admin.orgId });
      tokenValues.push(joinerToken.token);

      const roleChange = await act(admin.client, 'PATCH', `${org}/members/${joinerId}`, {
        roleId: 'rol_readwrite',
      });
      expected.push({
        action: 'member.role_changed',
        requestId: roleChange.requestId,
        actor: me,
        target: joiner,
      });

      const created = await act(admin.client, 'POST', `${org}/tokens`, {
        name: unique('audited'),
        access: 'granular',
        permissions: ['blocks:read'],
      });
      workflowToken = created.body.clientId;
      tokenValues.push(created.body.token);
      const tokenTarget = { type: 'token', id: workflowToken };
      expected.push({
        action: 'token.created',
        requestId: created.requestId,
        actor: me,
        target: tokenTarget,
      });
      const renamed = await act(admin.client, 'PATCH', `${org}/tokens/${workflowToken}`, {
        name: unique('renamed'),
      });
      expected.push({
        action: 'token.updated',
        requestId: renamed.requestId,
        actor: me,
        target: tokenTarget,
      });
      const rotated = await act(admin.client, 'POST', `${org}/tokens/${workflowToken}/rotate`, {
        gracePeriod: '1h',
      });
      tokenValues.push(rotated.body.token);
      expected.push({
        action: 'token.rotated',
        requestId: rotated.requestId,
        actor: me,
        target: tokenTarget,
      });
      const revoked = await act(admin.client, 'DELETE', `${org}/tokens/${workflowToken}`);
      expected.push({
        action: 'token.revoked',
        requestId: revoked.requestId,
        actor: me,
        target: tokenTarget,
      });

      // A token acting: the actor is the token, not its owner.
      const full = await createToken(admin, { access: 'full', permissions: undefined });
      tokenValues.push(full.token);
      const byToken = await act(admin.client.withToken(full.token), 'POST', `${org}/tokens`, {
        name: unique('minted'),
        access: 'granular',
        permissions: ['blocks:read'],
        expiresIn: '1d',
      });
      tokenValues.push(byToken.body.token);
      expected.push({
        action: 'token.created',
        requestId: byToken.requestId,
        actor: { type: 'token', id: full.id },
        target: { type: 'token', id: byToken.body.clientId },
      });

      const removed = await act(admin.client, 'DELETE', `${org}/members/${joinerId}`);
      expected.push({ action: 'member.removed', requestId: removed.requestId, actor: me, target: joiner });
      expected.push({
        action: 'token.revoked',
        requestId: removed.requestId,
        actor: me,
        target: { type: 'token', id: joinerToken.id },
      });
      endedAt = Date.now();

      const list = await admin.client.get(`${org}/audit?limit=100`);
      assert.equal(list.status, 200, JSON.stringify(list.body));
      events = list.body.items;
    });

    after(async () => {
      await server?.close();
    });

    test('every change writes one event with its action, actor and target', async () => {
      for (const want of expected) {
        const found = events.filter((e) => e.requestId === want.requestId && e.action === want.action);
        assert.equal(found.length, 1, `one ${want.action} event for request ${want.requestId}`);
        const event = found[0] as AuditEvent;
        assert.deepEqual(event.actor, want.actor, want.action);
        assert.deepEqual(event.target, want.target, want.action);
        assert.equal(event.orgId, admin.orgId);
        assert.match(event.id, /^evt_/);
      }
    });

    test('every event records the time in UTC ISO form, the client address, the user agent and the request id', async () => {
      for (const want of expected) {
        const event = events.find(
          (e) => e.requestId === want.requestId && e.action === want.action,
        ) as AuditEvent;
        assert.match(event.at, ISO_UTC, want.action);
        const at = Date.parse(event.at);
        assert.ok(at >= startedAt - 5 && at <= endedAt + 5, `${want.action} at ${event.at}`);
        assert.equal(event.ip, '127.0.0.1', want.action);
        assert.equal(event.userAgent, userAgent, want.action);
        assert.equal(event.requestId, want.requestId, want.action);
      }
    });

    test('a revocation through member removal is recorded with the reason owner_removed', async () => {
      const removal = expected.find((e) => e.action === 'member.removed') as Expected;
      const revocation = events.find(
        (e) => e.action === 'token.revoked' && e.requestId === removal.requestId,
      );
      assert.ok(revocation, 'a token.revoked event in the removal request');
      assert.equal((revocation.details as { reason: string }).reason, 'owner_removed');
    });

    test('?tokenId= answers only the events of that token, newest first', async () => {
      const answer = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?tokenId=${workflowToken}`);
      assert.equal(answer.status, 200);
      const items = answer.body.items as AuditEvent[];
      assert.ok(items.every((e) => e.target.id === workflowToken));
      assert.deepEqual(
        items.map((e) => e.action),
        ['token.revoked', 'token.rotated', 'token.updated', 'token.created'],
      );
    });

    test('events are answered newest first, and the cursor pages on to older ones', async () => {
      for (let i = 1; i < events.length; i++) {
        const newer = events[i - 1] as AuditEvent;
        const older = events[i] as AuditEvent;
        assert.ok(newer.id > older.id, `${newer.id} before ${older.id}`);
        assert.ok(Date.parse(newer.at) >= Date.parse(older.at));
      }
      const first = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?limit=3`);
      assert.equal(first.body.items.length, 3);
      assert.equal(typeof first.body.nextCursor, 'string');
      const second = await admin.client.get(
        `/v1/orgs/${admin.orgId}/audit?limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`,
      );
      assert.deepEqual(
        [...first.body.items, ...second.body.items].map((e: AuditEvent) => e.id),
        events.slice(0, 6).map((e) => e.id),
      );
    });

    test('reading the audit log needs audit:read: a read-only member gets 403 FORBIDDEN', async () => {
      const answer = await readonly.client.get(`/v1/orgs/${admin.orgId}/audit`);
      assertError(answer, 403, 'FORBIDDEN');
      assert.deepEqual(answer.body.error.details?.missing, ['audit:read']);
    });

    test('a token needs audit:read too: without it 403 FORBIDDEN, with it the events', async () => {
      const without = await createToken(admin, { permissions: ['tokens:read'] });
      assertError(
        await admin.client.withToken(without.token).get(`/v1/orgs/${admin.orgId}/audit`),
        403,
        'FORBIDDEN',
      );
      const withIt = await createToken(admin, { permissions: ['audit:read'] });
      const answer = await admin.client.withToken(withIt.token).get(`/v1/orgs/${admin.orgId}/audit`);
      assert.equal(answer.status, 200);
      assert.ok(answer.body.items.length > 0);
    });

    test('no event holds a token value, a password or an invite secret', async () => {
      const all = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?limit=100`);
      const text = JSON.stringify(all.body);
      assert.ok(tokenValues.length >= 5);
      for (const value of tokenValues) assert.ok(!text.includes(value), 'a token value in the audit log');
      assert.ok(!text.includes(PASSWORD), 'a password in the audit log');
      assert.ok(!/#token=/.test(text), 'an invite link in the audit log');
    });
  });
}

/** A fresh database whose default collation is ICU en-US, as on many PostgreSQL installs (not byte order). */
async function createIcuDatabase(): Promise<string> {
  const name = `lk_test_icu_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    await client.query(
      `CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`,
    );
  } finally {
    await client.end();
  }
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

describe('audit order on a PostgreSQL database with a linguistic collation', {
  skip: await postgresUnavailable(),
}, () => {
  let server: TestServer | undefined;

  after(async () => {
    await server?.close();
  });

  test('events are newest first even where the database collation is not byte order (ICU en-US)', async () => {
    server = await startServer({ dialect: 'postgres', databaseUrl: await createIcuDatabase() });
    const admin = await setupAdmin(server.url);
    // Ids carry the creation time in base62 (0-9A-Za-z); spread the events over a few hundred ms so that
    // ids differing only in the case of a digit occur, as they do in any real log.
    const created: string[] = [];
    const start = Date.now();
    while (Date.now() - start < 300 || created.length < 10) {
      const answer = await admin.client.post(`/v1/orgs/${admin.orgId}/resources`, {
        type: 'shard',
        name: unique('s'),
      });
      assert.equal(answer.status, 201);
      created.push(answer.body.id);
    }
    const list = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?action=resource.created&limit=100`);
    assert.deepEqual(
      list.body.items.map((e: AuditEvent) => e.target.id),
      [...created].reverse(),
    );
  });
});
