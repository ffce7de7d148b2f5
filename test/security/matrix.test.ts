// The authorization matrix: every route × every kind of caller → the status it must get (issue 8).
// A route missing from the table fails the coverage test, so a new route cannot ship without its row.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateTokenValue } from '../../server/tokens/token-value.ts';
import { ApiClient } from '../helpers/client.ts';
import {
  type AdminSession,
  addMember,
  createResource,
  createToken,
  setupAdmin,
  unique,
} from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const PRINCIPALS = [
  'anonymous',
  'otherOrgAdmin',
  'readOnly',
  'readWrite',
  'adminSession',
  'adminToken',
  'tokenWithoutPermission',
  'revokedToken',
  'expiredToken',
  'unknownToken',
] as const;
type PrincipalName = (typeof PRINCIPALS)[number];

/** Expected statuses for the seven callers that differ; revoked, expired and unknown tokens expect what anonymous does. */
type Expect = [
  anonymous: number,
  otherOrgAdmin: number,
  readOnly: number,
  readWrite: number,
  adminSession: number,
  adminToken: number,
  tokenWithoutPermission: number,
];

interface Fixture {
  tokenId: string;
  tokenValue: string;
  roleId: string;
  resourceId: string;
  memberId: string;
  inviteId: string;
  hookId: string;
}
type Key = keyof Fixture;

interface Row {
  method: string;
  /** OpenAPI path, with {org}, {tok}, {role}, {res}, {user}, {inv}, {hook}. */
  path: string;
  expect: Expect;
  body?: (f: Fixture) => unknown;
  /** What a success consumes (deleted, rotated…): a fresh one is made for the next caller. */
  consumes?: Key[];
  /** Server-Sent Events: only the status line is read. */
  stream?: boolean;
}

const A = 401; // anonymous and dead tokens
const X = 404; // another org's admin: nothing of this org exists for them
const F = 403;

// [anonymous, otherOrgAdmin, readOnly, readWrite, adminSession, adminToken, tokenWithoutPermission]
const ROWS: Row[] = [
  { method: 'GET', path: '/v1/setup', expect: [200, 200, 200, 200, 200, 200, 200] },
  {
    method: 'POST',
    path: '/v1/setup',
    expect: [409, 409, 409, 409, 409, 409, 409],
    body: () => ({
      email: `${unique('s')}@example.com`,
      password: 'long enough pass',
      name: 'N',
      orgName: 'O',
    }),
  },
  {
    method: 'POST',
    path: '/v1/auth/login',
    expect: [A, A, A, A, A, A, A],
    body: () => ({ email: 'nobody@example.com', password: 'wrong password here' }),
  },
  { method: 'GET', path: '/v1/auth/session', expect: [A, 200, 200, 200, 200, 200, 200] },
  {
    method: 'POST',
    path: '/v1/auth/accept-invite',
    expect: [X, X, X, X, X, X, X],
    body: () => ({ inviteToken: 'no-such-invite-token', password: 'long enough pass', name: 'N' }),
  },
  // Accounts (server/accounts): the pages of mailed links are public and answer the same to everyone;
  // the rest is the signed-in person's own account, which a token never reaches.
  {
    method: 'POST',
    path: '/v1/auth/invite-preview',
    expect: [X, X, X, X, X, X, X],
    body: () => ({ inviteToken: 'no-such-invite-token' }),
  },
  {
    method: 'POST',
    path: '/v1/auth/password-reset',
    expect: [202, 202, 202, 202, 202, 202, 202],
    body: () => ({ email: 'nobody@example.com' }),
  },
  {
    method: 'POST',
    path: '/v1/auth/password-reset/inspect',
    expect: [X, X, X, X, X, X, X],
    body: () => ({ token: 'no-such-link' }),
  },
  {
    method: 'POST',
    path: '/v1/auth/password-reset/complete',
    expect: [X, X, X, X, X, X, X],
    body: () => ({ token: 'no-such-link', password: 'long enough pass' }),
  },
  {
    method: 'POST',
    path: '/v1/auth/password',
    expect: [A, A, A, A, A, F, F],
    body: () => ({ currentPassword: 'wrong password here', newPassword: 'long enough pass' }),
  },
  { method: 'POST', path: '/v1/auth/email-verification', expect: [A, 200, 200, 200, 200, F, F] },
  {
    method: 'POST',
    path: '/v1/auth/verify-email',
    expect: [X, X, X, X, X, X, X],
    body: () => ({ token: 'no-such-link' }),
  },
  { method: 'GET', path: '/v1/auth/sessions', expect: [A, 200, 200, 200, 200, F, F] },
  { method: 'DELETE', path: '/v1/auth/sessions/{session}', expect: [A, X, X, X, X, F, F] },
  { method: 'DELETE', path: '/v1/auth/sessions', expect: [A, 200, 200, 200, 200, F, F] },
  {
    method: 'POST',
    path: '/v1/auth/login/two-factor',
    expect: [A, A, A, A, A, A, A],
    body: () => ({ challenge: 'no-such-challenge', code: '123456' }),
  },
  { method: 'GET', path: '/v1/auth/two-factor', expect: [A, 200, 200, 200, 200, F, F] },
  { method: 'POST', path: '/v1/auth/two-factor/enrol', expect: [A, 200, 200, 200, 200, F, F] },
  {
    method: 'POST',
    path: '/v1/auth/two-factor/confirm',
    expect: [A, 400, 400, 400, 400, F, F],
    body: () => ({ code: '000000' }),
  },
  {
    method: 'POST',
    path: '/v1/auth/two-factor/disable',
    expect: [A, 409, 409, 409, 409, F, F],
    body: () => ({ password: 'wrong password here', code: '000000' }),
  },
  // Single sign-on is browser redirects; with no provider configured every caller is sent back to sign-in.
  { method: 'GET', path: '/v1/auth/sso/providers', expect: [200, 200, 200, 200, 200, 200, 200] },
  { method: 'GET', path: '/v1/auth/sso/{provider}/start', expect: [302, 302, 302, 302, 302, 302, 302] },
  { method: 'GET', path: '/v1/auth/sso/{provider}/callback', expect: [302, 302, 302, 302, 302, 302, 302] },
  { method: 'GET', path: '/v1/auth/invitations', expect: [A, 200, 200, 200, 200, F, F] },
  // The fixture's invitation is addressed to someone else: nobody here may accept or decline it.
  { method: 'POST', path: '/v1/auth/invitations/{inv}/accept', expect: [A, X, X, X, X, F, F] },
  { method: 'DELETE', path: '/v1/auth/invitations/{inv}', expect: [A, X, X, X, X, F, F] },
  { method: 'GET', path: '/v1/permissions', expect: [200, 200, 200, 200, 200, 200, 200] },
  { method: 'GET', path: '/v1/orgs', expect: [A, 200, 200, 200, 200, 200, 200] },
  {
    method: 'POST',
    path: '/v1/orgs',
    expect: [A, 201, 201, 201, 201, F, F],
    body: () => ({ name: unique('org') }),
  },
  { method: 'GET', path: '/v1/orgs/{org}', expect: [A, X, 200, 200, 200, 200, 200] },
  {
    method: 'PATCH',
    path: '/v1/orgs/{org}',
    expect: [A, X, F, F, 200, F, F],
    body: () => ({ name: 'Acme' }),
  },
  { method: 'GET', path: '/v1/orgs/{org}/members', expect: [A, X, F, F, 200, 200, F] },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/members',
    expect: [A, X, F, F, 201, F, F],
    body: () => ({ email: `${unique('invitee')}@example.com`, roleId: 'rol_readonly' }),
  },
  {
    method: 'PATCH',
    path: '/v1/orgs/{org}/members/{user}',
    expect: [A, X, F, F, 200, F, F],
    body: () => ({ roleId: 'rol_readonly' }),
  },
  {
    method: 'DELETE',
    path: '/v1/orgs/{org}/members/{user}',
    expect: [A, X, F, F, 204, F, F],
    consumes: ['memberId'],
  },
  { method: 'GET', path: '/v1/orgs/{org}/invites', expect: [A, X, F, F, 200, 200, F] },
  {
    method: 'DELETE',
    path: '/v1/orgs/{org}/invites/{inv}',
    expect: [A, X, F, F, 204, F, F],
    consumes: ['inviteId'],
  },
  { method: 'GET', path: '/v1/orgs/{org}/roles', expect: [A, X, F, F, 200, 200, F] },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/roles',
    expect: [A, X, F, F, 201, F, F],
    body: () => ({ name: unique('role'), permissions: ['blocks:read'] }),
  },
  { method: 'GET', path: '/v1/orgs/{org}/roles/{role}', expect: [A, X, F, F, 200, 200, F] },
  {
    method: 'PATCH',
    path: '/v1/orgs/{org}/roles/{role}',
    expect: [A, X, F, F, 200, F, F],
    body: () => ({ permissions: ['blocks:read', 'chunks:read'] }),
  },
  {
    method: 'DELETE',
    path: '/v1/orgs/{org}/roles/{role}',
    expect: [A, X, F, F, 204, F, F],
    consumes: ['roleId'],
  },
  { method: 'GET', path: '/v1/orgs/{org}/resources', expect: [A, X, 200, 200, 200, 200, F] },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/resources',
    expect: [A, X, F, F, 201, 201, F],
    body: () => ({ type: 'shard', name: unique('shard') }),
  },
  { method: 'GET', path: '/v1/orgs/{org}/resources/{res}', expect: [A, X, 200, 200, 200, 200, F] },
  {
    method: 'DELETE',
    path: '/v1/orgs/{org}/resources/{res}',
    expect: [A, X, F, F, 204, 204, F],
    consumes: ['resourceId'],
  },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/tokens',
    expect: [A, X, 201, 201, 201, 201, F],
    body: () => ({ name: unique('t'), access: 'granular', permissions: ['blocks:read'], expiresIn: '1h' }),
  },
  { method: 'GET', path: '/v1/orgs/{org}/tokens', expect: [A, X, 200, 200, 200, 200, F] },
  // The target is the administrator's own token: members who cannot see it get 404, not 403.
  { method: 'GET', path: '/v1/orgs/{org}/tokens/{tok}', expect: [A, X, X, X, 200, 200, F] },
  { method: 'GET', path: '/v1/orgs/{org}/tokens/{tok}/usage', expect: [A, X, X, X, 200, 200, F] },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/tokens/lookup',
    expect: [A, X, X, X, 200, 200, F],
    body: (f) => ({ value: f.tokenValue }),
  },
  {
    method: 'PATCH',
    path: '/v1/orgs/{org}/tokens/{tok}',
    expect: [A, X, X, X, 200, 200, F],
    body: () => ({ description: unique('d') }),
  },
  {
    method: 'DELETE',
    path: '/v1/orgs/{org}/tokens/{tok}',
    expect: [A, X, X, X, 200, 200, F],
    consumes: ['tokenId', 'tokenValue'],
  },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/tokens/{tok}/rotate',
    expect: [A, X, X, X, 200, 200, F],
    body: () => ({}),
    consumes: ['tokenId', 'tokenValue'],
  },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/tokens/{tok}/deliver',
    expect: [A, X, X, X, 200, 200, F],
    body: (f) => ({ token: f.tokenValue }),
  },
  // Issue 17: one-time links (opening one is public: a key that names no link is 404 for everyone), a
  // token's observed use, and the insights report over what the caller may list.
  {
    method: 'POST',
    path: '/v1/reveal',
    expect: [X, X, X, X, X, X, X],
    body: () => ({ key: 'A'.repeat(43) }),
  },
  { method: 'GET', path: '/v1/orgs/{org}/tokens/{tok}/links', expect: [A, X, X, X, 200, 200, F] },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/tokens/{tok}/links',
    expect: [A, X, X, X, 201, 201, F],
    body: (f) => ({ token: f.tokenValue, ttl: '5m' }),
  },
  { method: 'GET', path: '/v1/orgs/{org}/tokens/{tok}/use', expect: [A, X, X, X, 200, 200, F] },
  { method: 'GET', path: '/v1/orgs/{org}/insights', expect: [A, X, 200, 200, 200, 200, F] },
  { method: 'GET', path: '/v1/orgs/{org}/insights/settings', expect: [A, X, 200, 200, 200, 200, 200] },
  {
    method: 'PATCH',
    path: '/v1/orgs/{org}/insights/settings',
    expect: [A, X, F, F, 200, F, F],
    body: () => ({ maxAgeDays: 180 }),
  },
  { method: 'GET', path: '/v1/orgs/{org}/audit', expect: [A, X, F, F, 200, 200, F] },
  // Webhooks: reading needs audit:read; managing needs a signed-in person who manages members and roles.
  { method: 'GET', path: '/v1/orgs/{org}/webhooks', expect: [A, X, F, F, 200, 200, F] },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/webhooks',
    expect: [A, X, F, F, 201, F, F],
    body: () => ({ url: 'https://hooks.example.com/latchkey', events: ['token.revoked'] }),
  },
  { method: 'GET', path: '/v1/orgs/{org}/webhooks/{hook}', expect: [A, X, F, F, 200, 200, F] },
  {
    method: 'PATCH',
    path: '/v1/orgs/{org}/webhooks/{hook}',
    expect: [A, X, F, F, 200, F, F],
    body: () => ({ description: unique('d') }),
  },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/webhooks/{hook}/ping',
    expect: [A, X, F, F, 202, F, F],
    body: () => ({}),
  },
  { method: 'GET', path: '/v1/orgs/{org}/webhooks/{hook}/deliveries', expect: [A, X, F, F, 200, 200, F] },
  {
    method: 'DELETE',
    path: '/v1/orgs/{org}/webhooks/{hook}',
    expect: [A, X, F, F, 204, F, F],
    consumes: ['hookId'],
  },
  // "Send a new link": the invitation stays pending under a new secret.
  { method: 'POST', path: '/v1/orgs/{org}/invites/{inv}/resend', expect: [A, X, F, F, 200, F, F] },
  // The outbox lists a signed-in person's own mails: a token is refused.
  { method: 'GET', path: '/v1/outbox', expect: [A, 200, 200, 200, 200, F, F] },
  {
    method: 'POST',
    path: '/v1/verify',
    expect: [200, 200, 200, 200, 200, 200, 200],
    body: (f) => ({ token: f.tokenValue, permission: 'blocks:read' }),
  },
  // For reverse proxies: the caller's own bearer token is the one judged (no question asked: any live token).
  { method: 'GET', path: '/v1/verify', expect: [A, A, A, A, A, 204, 204] },
  // Unsigned reports need a caller; a value the caller may not revoke reads as unknown (200, false_positive).
  {
    method: 'POST',
    path: '/v1/leaks',
    expect: [A, 200, 200, 200, 200, 200, 200],
    body: () => ({ tokens: [generateTokenValue('lk')] }),
  },
  { method: 'GET', path: '/v1/events', expect: [A, 200, 200, 200, 200, 200, 200], stream: true },
  { method: 'GET', path: '/healthz', expect: [200, 200, 200, 200, 200, 200, 200] },
  { method: 'GET', path: '/readyz', expect: [200, 200, 200, 200, 200, 200, 200] },
  { method: 'GET', path: '/metrics', expect: [200, 200, 200, 200, 200, 200, 200] },
  { method: 'GET', path: '/v1/openapi.json', expect: [200, 200, 200, 200, 200, 200, 200] },
  // Last: a session's logout ends it (a token's logout changes nothing).
  { method: 'POST', path: '/v1/auth/logout', expect: [A, 204, 204, 204, 204, 204, 204] },
];

/** Routes the OpenAPI document leaves out on purpose. */
// Hidden from the OpenAPI document on purpose: the document itself, and the browser-navigation steps of
// single sign-on (they answer only redirects).
const HIDDEN = [
  'GET /v1/openapi.json',
  'GET /v1/auth/sso/{provider}/start',
  'GET /v1/auth/sso/{provider}/callback',
];

describe('authorization matrix: every route × every caller', () => {
  let server: TestServer;
  let admin: AdminSession;
  const callers = new Map<PrincipalName, ApiClient>();
  let fixture: Fixture;
  const results: Array<{ row: string; principal: PrincipalName; status: number; body: unknown }> = [];

  const fresh = {
    async token() {
      const t = await createToken(admin, { permissions: ['blocks:read'], expiresIn: '12h' });
      return { tokenId: t.id, tokenValue: t.token };
    },
    async roleId() {
      const role = await admin.client.post(`/v1/orgs/${admin.orgId}/roles`, {
        name: unique('role'),
        permissions: ['blocks:read'],
      });
      assert.equal(role.status, 201, JSON.stringify(role.body));
      return role.body.id as string;
    },
    async resourceId() {
      return (await createResource(admin)).id;
    },
    async memberId() {
      return (await addMember(admin, 'rol_readonly')).userId;
    },
    async hookId() {
      const hook = await admin.client.post(`/v1/orgs/${admin.orgId}/webhooks`, {
        url: 'https://hooks.example.com/latchkey',
        events: ['token.revoked'],
      });
      assert.equal(hook.status, 201, JSON.stringify(hook.body));
      return hook.body.id as string;
    },
    async inviteId() {
      const email = `${unique('pending')}@example.com`;
      const sent = await admin.client.post(`/v1/orgs/${admin.orgId}/members`, {
        email,
        roleId: 'rol_readonly',
      });
      assert.equal(sent.status, 201);
      const list = await admin.client.get(`/v1/orgs/${admin.orgId}/invites?limit=100`);
      const found = list.body.items.find((i: { email: string }) => i.email === email);
      assert.ok(found, JSON.stringify(list.body));
      return found.id as string;
    },
  };

  async function refresh(keys: Key[]) {
    if (keys.includes('tokenId') || keys.includes('tokenValue')) Object.assign(fixture, await fresh.token());
    if (keys.includes('roleId')) fixture.roleId = await fresh.roleId();
    if (keys.includes('resourceId')) fixture.resourceId = await fresh.resourceId();
    if (keys.includes('memberId')) fixture.memberId = await fresh.memberId();
    if (keys.includes('inviteId')) fixture.inviteId = await fresh.inviteId();
    if (keys.includes('hookId')) fixture.hookId = await fresh.hookId();
  }

  const fill = (path: string) =>
    path
      .replace('{org}', admin.orgId)
      .replace('{tok}', fixture.tokenId)
      .replace('{role}', fixture.roleId)
      .replace('{res}', fixture.resourceId)
      .replace('{user}', fixture.memberId)
      .replace('{inv}', fixture.inviteId)
      .replace('{hook}', fixture.hookId)
      .replace('{session}', 'ses_no-such-session')
      .replace('{provider}', 'no-such-provider');

  async function send(client: ApiClient, row: Row): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = {};
    const body = row.body?.(fixture);
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (client.bearer) headers.authorization = `Bearer ${client.bearer}`;
    if (client.sessionCookie) headers.cookie = client.sessionCookie;
    if (client.csrfToken && row.method !== 'GET') headers['x-csrf-token'] = client.csrfToken;
    const abort = new AbortController();
    const response = await fetch(`${server.url}${fill(row.path)}`, {
      method: row.method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal,
      // A redirect is the answer (single sign-on), not something to follow.
      redirect: 'manual',
    });
    if (row.stream && response.status === 200) {
      abort.abort();
      return { status: 200, body: null };
    }
    const text = await response.text();
    return {
      status: response.status,
      body: response.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text,
    };
  }

  before(async () => {
    server = await startServer({
      env: { LOGIN_ATTEMPTS_PER_MINUTE: '10000', VERIFY_FAILURE_LIMIT: '100000' },
    });
    admin = await setupAdmin(server.url);
    const readOnly = await addMember(admin, 'rol_readonly');
    const readWrite = await addMember(admin, 'rol_readwrite');

    // Another org whose only administrator is someone with no place in this one.
    const created = await admin.client.post('/v1/orgs', { name: unique('Other') });
    assert.equal(created.status, 201);
    const other = await addMember({ ...admin, orgId: created.body.id }, 'rol_admin');
    assert.equal(
      (await admin.client.delete(`/v1/orgs/${created.body.id}/members/${admin.userId}`)).status,
      204,
    );

    const full = await createToken(admin, { access: 'full', permissions: undefined, expiresIn: '1d' });
    const weak = await createToken(admin, { permissions: ['blocks:read'], expiresIn: '1d' });
    const revoked = await createToken(admin, { access: 'full', permissions: undefined, expiresIn: '1d' });
    assert.equal((await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${revoked.id}`)).status, 200);
    const expired = await createToken(admin, { access: 'full', permissions: undefined, expiresIn: '1d' });
    await server.deps.db
      .updateTable('tokens')
      .set({ expiresAt: Date.now() - 1000 })
      .where('id', '=', expired.id)
      .execute();
    server.deps.verifier.clear();

    const anonymous = new ApiClient(server.url);
    const withToken = (value: string) => anonymous.withToken(value);
    callers.set('anonymous', anonymous);
    callers.set('otherOrgAdmin', other.client);
    callers.set('readOnly', readOnly.client);
    callers.set('readWrite', readWrite.client);
    callers.set('adminSession', admin.client);
    callers.set('adminToken', withToken(full.token));
    callers.set('tokenWithoutPermission', withToken(weak.token));
    callers.set('revokedToken', withToken(revoked.token));
    callers.set('expiredToken', withToken(expired.token));
    callers.set('unknownToken', withToken(generateTokenValue(server.deps.config.tokenPrefix)));
    // Sessions hold their CSRF token as a browser would.
    for (const client of [other.client, readOnly.client, readWrite.client, admin.client]) {
      assert.equal((await client.get('/v1/auth/session')).status, 200);
    }

    fixture = {
      ...(await fresh.token()),
      roleId: await fresh.roleId(),
      resourceId: await fresh.resourceId(),
      memberId: await fresh.memberId(),
      inviteId: await fresh.inviteId(),
      hookId: await fresh.hookId(),
    };

    for (const row of ROWS) {
      for (const principal of PRINCIPALS) {
        const answer = await send(callers.get(principal) as ApiClient, row);
        results.push({ row: `${row.method} ${row.path}`, principal, ...answer });
        if (row.consumes && answer.status >= 200 && answer.status < 300) await refresh(row.consumes);
      }
    }
  });

  after(async () => {
    await server?.close();
  });

  test('the matrix has a row for every route of the API (a new route needs one)', async () => {
    const doc = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const rows = ROWS.map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(
      documented.filter((route) => !rows.includes(route)),
      [],
      'routes without a matrix row',
    );
    assert.deepEqual(
      rows.filter((route) => !documented.includes(route) && !HIDDEN.includes(route)),
      [],
      'rows for routes that do not exist',
    );
    // Every route Fastify knows appears in the document or is hidden on purpose (the console's static files aside).
    const printed = server.app.printRoutes({ commonPrefix: false });
    for (const hidden of HIDDEN) {
      const path = (hidden.split(' ')[1] as string).replace(/\{(\w+)\}/g, ':$1');
      assert.ok(printed.includes(path), hidden);
    }
  });

  test('every route answers every caller with the expected status', () => {
    const wrong: string[] = [];
    for (const result of results) {
      const row = ROWS.find((r) => `${r.method} ${r.path}` === result.row) as Row;
      const index = PRINCIPALS.indexOf(result.principal);
      const expected = row.expect[index < 7 ? index : 0];
      if (result.status !== expected) {
        wrong.push(
          `${result.row} as ${result.principal}: expected ${expected}, got ${result.status} ${JSON.stringify(result.body).slice(0, 160)}`,
        );
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('every refusal is the error envelope with the code its status stands for', () => {
    const codes: Record<number, string[]> = {
      400: ['VALIDATION_FAILED'],
      401: ['UNAUTHENTICATED'],
      403: ['FORBIDDEN', 'SESSION_REQUIRED'],
      404: ['NOT_FOUND'],
      409: ['CONFLICT'],
    };
    for (const result of results.filter((r) => r.status >= 400)) {
      const error = (result.body as { error?: { code?: string; message?: string } }).error;
      assert.ok(error, `${result.row} as ${result.principal}: ${JSON.stringify(result.body)}`);
      assert.ok(codes[result.status]?.includes(error.code as string), `${result.row}: ${error.code}`);
      assert.equal(typeof error.message, 'string');
    }
  });

  test("another org's administrator never sees or changes anything of this org (404 on every org path)", () => {
    const orgRows = results.filter((r) => r.principal === 'otherOrgAdmin' && r.row.includes('{org}'));
    assert.ok(orgRows.length >= 20);
    for (const r of orgRows) assert.equal(r.status, 404, r.row);
  });

  test('a 403 to a session is FORBIDDEN; a 403 to a token on policy, member and role changes is SESSION_REQUIRED', () => {
    for (const r of results.filter((x) => x.status === 403)) {
      const code = (r.body as { error: { code: string } }).error.code;
      if (r.principal === 'readOnly' || r.principal === 'readWrite') assert.equal(code, 'FORBIDDEN', r.row);
      if (
        r.principal === 'adminToken' &&
        (/members|invites|roles|webhooks|outbox/.test(r.row) ||
          r.row === 'PATCH /v1/orgs/{org}' ||
          r.row === 'POST /v1/orgs')
      ) {
        assert.equal(code, 'SESSION_REQUIRED', r.row);
      }
    }
  });

  test('unknown, revoked and expired tokens get answers that cannot be told apart, on every route', () => {
    const shape = (principal: PrincipalName, row: string) => {
      const r = results.find((x) => x.principal === principal && x.row === row);
      const body = r?.body as { error?: { code: string; message: string } } | undefined;
      return { status: r?.status, code: body?.error?.code, message: body?.error?.message };
    };
    for (const row of ROWS) {
      const key = `${row.method} ${row.path}`;
      if (row.path === '/v1/verify') continue; // verify's job is to tell them apart
      const unknown = shape('unknownToken', key);
      assert.deepEqual(shape('revokedToken', key), unknown, key);
      assert.deepEqual(shape('expiredToken', key), unknown, key);
    }
  });
});
