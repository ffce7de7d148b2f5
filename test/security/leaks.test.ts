// POST /v1/leaks in GitHub's secret-scanning format: signed reports are verified against the configured keys;
// unsigned ones need a caller who could revoke the token themselves.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../server/config.ts';
import { loadLeakReportKeys } from '../../server/leaks/leaks.routes.ts';
import { generateTokenValue } from '../../server/tokens/token-value.ts';
import { ApiClient } from '../helpers/client.ts';
import {
  type AdminSession,
  addMember,
  createToken,
  setupAdmin,
  unique,
  verify,
} from '../helpers/factories.ts';
import { leakSigner } from '../helpers/leak-keys.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError, newMails, outboxFiles } from '../helpers/workflows.ts';

const signer = leakSigner('github-key-2024');

async function post(baseUrl: string, raw: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}/v1/leaks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw,
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), headers: response.headers };
}

const githubBody = (...values: string[]) =>
  JSON.stringify(
    values.map((token) => ({
      token,
      type: 'latchkey_token',
      url: 'https://github.com/o/r/blob/x/.env',
      source: 'content',
    })),
  );

describe('leak reports: signatures and who may report', () => {
  let server: TestServer;
  let admin: AdminSession;
  let member: AdminSession;
  let otherAdmin: AdminSession;

  before(async () => {
    server = await startServer({
      env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000', LEAK_REPORT_PUBLIC_KEYS: signer.keysFile },
    });
    admin = await setupAdmin(server.url);
    member = await addMember(admin, 'rol_readwrite');
    const created = await admin.client.post('/v1/orgs', { name: unique('Other') });
    otherAdmin = await addMember({ ...admin, orgId: created.body.id }, 'rol_admin');
    await admin.client.delete(`/v1/orgs/${created.body.id}/members/${admin.userId}`);
    for (const s of [admin, member, otherAdmin]) await s.client.get('/v1/auth/session');
  });

  after(async () => {
    await server?.close();
  });

  /** Mails may be queued (a jobs worker sends them): wait until what is due is out, where there is a queue. */
  const settle = async () => {
    await (server.deps as { jobs?: { drain(): Promise<void> } }).jobs?.drain();
  };

  const statusOf = async (id: string) =>
    (await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${id}`)).body as {
      status: string;
      revokedReason: string | null;
    };

  test('a report signed with a configured key revokes, audits and notifies with no credential', async () => {
    const live = await createToken(member);
    await settle();
    const before = outboxFiles(server.dataDir);
    const raw = githubBody(live.token, generateTokenValue('lk'));
    const answer = await post(server.url, raw, signer.headers(raw));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(
      answer.body.map((r: { label: string }) => r.label),
      ['true_positive', 'false_positive'],
    );
    assert.deepEqual(await statusOf(live.id).then((r) => [r.status, r.revokedReason]), ['revoked', 'leaked']);
    assert.equal((await verify(server.url, { token: live.token })).body.code, 'REVOKED');
    const audit = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?tokenId=${live.id}`);
    assert.ok(audit.body.items.some((e: { action: string }) => e.action === 'token.revoked'));
    await settle();
    assert.deepEqual(
      newMails(server.dataDir, before).map((m) => m.to),
      [member.email],
    );
  });

  test('a signed report sent twice is idempotent: one revocation, one event, one mail', async () => {
    const live = await createToken(admin);
    const raw = githubBody(live.token);
    assert.equal((await post(server.url, raw, signer.headers(raw))).status, 200);
    await settle();
    const before = outboxFiles(server.dataDir);
    const again = await post(server.url, raw, signer.headers(raw));
    assert.equal(again.status, 200);
    assert.equal(again.body[0].label, 'true_positive');
    const audit = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?tokenId=${live.id}`);
    assert.equal(audit.body.items.filter((e: { action: string }) => e.action === 'token.revoked').length, 1);
    await settle();
    assert.deepEqual(newMails(server.dataDir, before), []);
  });

  test('a wrong signature, another key, an unknown key id or a changed body is 401 and revokes nothing', async () => {
    const live = await createToken(admin);
    const raw = githubBody(live.token);
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const good = signer.headers(raw);
    const attempts: Array<[string, string, Record<string, string>]> = [
      ['signed by a key that is not configured', raw, signer.headers(raw, stranger)],
      ['an unknown key identifier', raw, { ...good, 'github-public-key-identifier': 'nope' }],
      ['a signature that is not base64 DER', raw, { ...good, 'github-public-key-signature': 'AAAA' }],
      ['the body changed after signing (whitespace)', raw.replace(':', ': '), good],
      [
        'only one of the two headers',
        raw,
        { 'github-public-key-signature': good['github-public-key-signature'] as string },
      ],
    ];
    for (const [label, body, headers] of attempts) {
      const answer = await post(server.url, body, headers);
      assert.equal(answer.status, 401, `${label}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, 'UNAUTHENTICATED', label);
    }
    assert.equal((await statusOf(live.id)).status, 'active');
  });

  test('an unsigned report without a session or token is 401 and revokes nothing', async () => {
    const live = await createToken(admin);
    assertError(await post(server.url, JSON.stringify({ tokens: [live.token] })), 401, 'UNAUTHENTICATED');
    assert.equal((await statusOf(live.id)).status, 'active');
  });

  test('an unsigned report by an administrator (session or tokens:write token) revokes, with the caller as actor', async () => {
    const a = await createToken(member);
    const b = await createToken(member);
    const bySession = await admin.client.post('/v1/leaks', { tokens: [a.token] });
    assert.equal(bySession.status, 200, JSON.stringify(bySession.body));
    assert.equal(bySession.body[0].label, 'true_positive');
    const writer = await createToken(admin, { permissions: ['tokens:write'] });
    const byToken = await new ApiClient(server.url)
      .withToken(writer.token)
      .post('/v1/leaks', { tokens: [b.token] });
    assert.equal(byToken.body[0].label, 'true_positive');
    for (const t of [a, b]) assert.equal((await statusOf(t.id)).revokedReason, 'leaked');
    const audit = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?tokenId=${a.id}`);
    const event = audit.body.items.find((e: { action: string }) => e.action === 'token.revoked');
    assert.deepEqual(event.actor, { type: 'user', id: admin.userId });
  });

  test('an unsigned report of a token the caller may not revoke reads as unknown and revokes nothing', async () => {
    const adminsOwn = await createToken(admin);
    const membersOwn = await createToken(member);
    // Another org's administrator, and a member naming the administrator's token.
    const fromOtherOrg = await otherAdmin.client.post('/v1/leaks', { tokens: [adminsOwn.token] });
    assert.equal(fromOtherOrg.status, 200);
    const unknown = await otherAdmin.client.post('/v1/leaks', { tokens: [generateTokenValue('lk')] });
    assert.equal(fromOtherOrg.body[0].label, 'false_positive');
    assert.deepEqual(Object.keys(fromOtherOrg.body[0]), Object.keys(unknown.body[0]));
    const fromMember = await member.client.post('/v1/leaks', { tokens: [adminsOwn.token, membersOwn.token] });
    assert.deepEqual(
      fromMember.body.map((r: { label: string }) => r.label),
      ['false_positive', 'true_positive'],
      'a member may report their own token',
    );
    assert.equal((await statusOf(adminsOwn.id)).status, 'active');
    assert.equal((await statusOf(membersOwn.id)).status, 'revoked');
  });

  test('unsigned reports without a CSRF header from a browser session are 403 FORBIDDEN', async () => {
    const live = await createToken(admin);
    const answer = await fetch(`${server.url}/v1/leaks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: admin.client.sessionCookie as string },
      body: JSON.stringify({ tokens: [live.token] }),
    });
    assert.equal(answer.status, 403);
    assert.equal((await statusOf(live.id)).status, 'active');
  });

  test('LEAK_REPORT_PUBLIC_KEYS is read at start; a broken file stops the server with a clear message', () => {
    const keys = loadLeakReportKeys(signer.keysFile);
    assert.deepEqual([...keys.keys()], ['github-key-2024']);
    const broken = join(server.dataDir, 'broken-keys.json');
    writeFileSync(broken, JSON.stringify({ public_keys: [{ key_identifier: 'k', key: 'not a pem' }] }));
    assert.throws(() => loadLeakReportKeys(broken), /LEAK_REPORT_PUBLIC_KEYS: key k is not a PEM public key/);
    assert.throws(() => loadLeakReportKeys(join(server.dataDir, 'missing.json')), /cannot read/);
    assert.equal(
      loadConfig({ LEAK_REPORT_PUBLIC_KEYS: signer.keysFile }).leakReportPublicKeysPath,
      signer.keysFile,
    );
  });
});
