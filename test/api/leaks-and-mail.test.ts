// Leak reports (a secret-scanning hook) and the mails that go to the outbox: token values, leak notices, invites.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateTokenValue } from '../../server/tokens/token-value.ts';
import { ApiClient } from '../helpers/client.ts';
import { testDialects } from '../helpers/dialects.ts';
import {
  type AdminSession,
  addMember,
  createToken,
  PASSWORD,
  setupAdmin,
  unique,
  verify,
} from '../helpers/factories.ts';
import { leakSigner } from '../helpers/leak-keys.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError, inviteTokenOf, newMails, outboxFiles } from '../helpers/workflows.ts';

/** Reports arrive signed, as GitHub sends them (unsigned ones need a session or token: test/security/leaks.test.ts). */
const signer = leakSigner();

async function report(baseUrl: string, body: unknown, headers: Record<string, string> = {}) {
  const raw = JSON.stringify(body);
  const response = await fetch(`${baseUrl}/v1/leaks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signer.headers(raw), ...headers },
    body: raw,
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), headers: response.headers };
}

for (const dialect of await testDialects()) {
  describe(`leak reports and mail (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;
    let member: AdminSession;

    before(async () => {
      server = await startServer({
        dialect: dialect.name,
        env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000', LEAK_REPORT_PUBLIC_KEYS: signer.keysFile },
      });
      admin = await setupAdmin(server.url);
      member = await addMember(admin, 'rol_readwrite');
    });

    after(async () => {
      await server?.close();
    });

    /** Mails written since `before`, once the queue has delivered what is due (invites and notices are queued). */
    const mailsSince = async (before: string[]) => {
      await server.deps.jobs.drain();
      return newMails(server.dataDir, before);
    };
    /** The outbox once earlier queued mails are out, so a test sees only its own. */
    const settledOutbox = async () => {
      await server.deps.jobs.drain();
      return outboxFiles(server.dataDir);
    };
    const tokenRecord = async (id: string) =>
      (await admin.client.get(`/v1/orgs/${admin.orgId}/tokens/${id}`)).body;
    const auditOf = async (id: string) =>
      (await admin.client.get(`/v1/orgs/${admin.orgId}/audit?tokenId=${id}`)).body.items as Array<{
        action: string;
        actor: { type: string; id: string };
        details: { reason?: string };
        userAgent: string | null;
      }>;

    describe('POST /v1/leaks', () => {
      test("GitHub's format revokes each live token with reason leaked and labels every value", async () => {
        const adminToken = await createToken(admin);
        const memberToken = await createToken(member);
        const unknown = generateTokenValue(server.deps.config.tokenPrefix);
        const before = await settledOutbox();
        const answer = await report(
          server.url,
          [
            {
              token: adminToken.token,
              type: 'latchkey_token',
              url: 'https://github.com/acme/app/blob/x/.env',
              source: 'content',
            },
            {
              token: memberToken.token,
              type: 'latchkey_token',
              url: 'https://github.com/acme/app/issues/1',
              source: 'issue_comment',
            },
            { token: unknown, type: 'latchkey_token', url: 'https://github.com/acme/app', source: 'commit' },
            {
              token: 'lk_short',
              type: 'latchkey_token',
              url: 'https://github.com/acme/app',
              source: 'commit',
            },
          ],
          { 'user-agent': 'GitHub-Hookshot/leak-test' },
        );
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.deepEqual(
          answer.body.map((r: { label: string }) => r.label),
          ['true_positive', 'true_positive', 'false_positive', 'false_positive'],
        );
        assert.equal(answer.body[0].token_hint, adminToken.info.hint);
        assert.ok(!JSON.stringify(answer.body).includes(adminToken.token), 'the answer holds no value');

        for (const t of [adminToken, memberToken]) {
          const record = await tokenRecord(t.id);
          assert.equal(record.status, 'revoked');
          assert.equal(record.revokedReason, 'leaked');
          assert.deepEqual((await verify(server.url, { token: t.token })).body, {
            valid: false,
            code: 'REVOKED',
          });
          const events = await auditOf(t.id);
          const revoked = events.filter((e) => e.action === 'token.revoked');
          assert.equal(revoked.length, 1);
          assert.equal(revoked[0]?.details.reason, 'leaked');
          assert.equal(revoked[0]?.actor.type, 'system');
          assert.equal(revoked[0]?.userAgent, 'GitHub-Hookshot/leak-test');
        }

        const mails = await mailsSince(before);
        assert.deepEqual(mails.map((m) => m.to).sort(), [admin.email, member.email].sort());
        for (const mail of mails) {
          assert.match(mail.text, /reported the value of your token .* as publicly exposed/);
          assert.match(mail.text, /Latchkey revoked it at once/);
          assert.ok(
            !mail.text.includes(adminToken.token) && !mail.text.includes(memberToken.token),
            'no value in a notice',
          );
        }
        const toMember = mails.find((m) => m.to === member.email);
        assert.ok(toMember?.text.includes(memberToken.info.hint), 'the notice names the token by its hint');
      });

      test('the {tokens: [...]} format revokes and labels the same way', async () => {
        const live = await createToken(member);
        const before = await settledOutbox();
        const answer = await report(server.url, { tokens: [live.token, generateTokenValue('lk')] });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.deepEqual(
          answer.body.map((r: { label: string }) => r.label),
          ['true_positive', 'false_positive'],
        );
        const record = await tokenRecord(live.id);
        assert.equal(record.status, 'revoked');
        assert.equal(record.revokedReason, 'leaked');
        assert.deepEqual(
          (await mailsSince(before)).map((m) => m.to),
          [member.email],
        );
      });

      test('a repeated report is harmless: still true_positive, no second revocation, event or mail', async () => {
        const live = await createToken(admin);
        assert.equal((await report(server.url, { tokens: [live.token] })).status, 200);
        const first = await tokenRecord(live.id);
        const before = await settledOutbox();
        const again = await report(server.url, [
          { token: live.token, type: 'latchkey_token', url: 'u', source: 'content' },
        ]);
        assert.equal(again.status, 200);
        assert.deepEqual(
          again.body.map((r: { label: string }) => r.label),
          ['true_positive'],
        );
        const second = await tokenRecord(live.id);
        assert.equal(second.status, 'revoked');
        assert.equal(second.revokedAt, first.revokedAt);
        assert.equal(second.revokedReason, 'leaked');
        assert.equal((await auditOf(live.id)).filter((e) => e.action === 'token.revoked').length, 1);
        assert.deepEqual(await mailsSince(before), []);
      });

      test('a leaked token revoked earlier by its owner keeps its reason and gets no mail', async () => {
        const live = await createToken(admin);
        assert.equal((await admin.client.delete(`/v1/orgs/${admin.orgId}/tokens/${live.id}`)).status, 200);
        const before = await settledOutbox();
        const answer = await report(server.url, { tokens: [live.token] });
        assert.equal(answer.body[0].label, 'true_positive');
        assert.equal((await tokenRecord(live.id)).revokedReason, 'revoked');
        assert.deepEqual(await mailsSince(before), []);
      });

      test('a leaked application token is revoked and its creator is told', async () => {
        const app = await createToken(admin, { kind: 'application' });
        const before = await settledOutbox();
        const answer = await report(server.url, { tokens: [app.token] });
        assert.equal(answer.body[0].label, 'true_positive');
        assert.equal((await tokenRecord(app.id)).revokedReason, 'leaked');
        assert.deepEqual(
          (await mailsSince(before)).map((m) => m.to),
          [admin.email],
        );
      });

      test('a malformed report is 400 VALIDATION_FAILED and revokes nothing', async () => {
        const live = await createToken(admin);
        assertError(await report(server.url, { token: live.token }), 400, 'VALIDATION_FAILED');
        assertError(await report(server.url, []), 400, 'VALIDATION_FAILED');
        assert.equal((await tokenRecord(live.id)).status, 'active');
      });
    });

    describe('deliver.email', () => {
      test("deliver: {email: true} answers delivery.email 'outbox' (no SMTP here) and mails the value to the creator's own address", async () => {
        const before = await settledOutbox();
        const answer = await member.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
          name: unique('mailed'),
          access: 'granular',
          permissions: ['blocks:read'],
          deliver: { email: true },
        });
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        assert.deepEqual(answer.body.delivery, { email: 'outbox' });
        assert.equal(answer.headers.get('cache-control'), 'no-store');
        const mails = await mailsSince(before);
        assert.equal(mails.length, 1);
        const mail = mails[0] as (typeof mails)[number];
        assert.equal(mail.to, member.email);
        assert.ok(mail.text.includes(answer.body.token), 'the mail holds the value');
        assert.ok(mail.text.includes(answer.body.clientId), 'and the client id');
        // The mailed value is the real one.
        assert.equal(
          (await verify(server.url, { token: answer.body.token, permission: 'blocks:read' })).body.valid,
          true,
        );
      });

      test('without deliver no mail is written and the answer has no delivery', async () => {
        const before = await settledOutbox();
        const answer = await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
          name: unique('quiet'),
          access: 'granular',
          permissions: ['blocks:read'],
        });
        assert.equal(answer.status, 201);
        assert.equal(answer.body.delivery, undefined);
        assert.deepEqual(await mailsSince(before), []);
      });

      test('deliver takes no other address: an extra field is 400 VALIDATION_FAILED and nothing is mailed', async () => {
        const before = await settledOutbox();
        const answer = await member.client.post(`/v1/orgs/${admin.orgId}/tokens`, {
          name: unique('elsewhere'),
          access: 'granular',
          permissions: ['blocks:read'],
          deliver: { email: true, to: 'attacker@example.net' },
        });
        assertError(answer, 400, 'VALIDATION_FAILED');
        assert.deepEqual(await mailsSince(before), []);
      });

      test("a personal token minted by a token is mailed to the owner's address", async () => {
        const parent = await createToken(admin, { permissions: ['blocks:read', 'tokens:write'] });
        const before = await settledOutbox();
        const answer = await admin.client.withToken(parent.token).post(`/v1/orgs/${admin.orgId}/tokens`, {
          name: unique('child'),
          access: 'granular',
          permissions: ['blocks:read'],
          deliver: { email: true },
        });
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        assert.deepEqual(answer.body.delivery, { email: 'outbox' });
        const mails = await mailsSince(before);
        assert.deepEqual(
          mails.map((m) => m.to),
          [admin.email],
        );
        assert.ok(mails[0]?.text.includes(answer.body.token));
      });
    });

    describe('invite mail', () => {
      test('an invite writes a mail to the invitee holding the link, and the link from the mail works', async () => {
        const email = `${unique('invitee')}@example.com`;
        const before = await settledOutbox();
        const answer = await admin.client.post(`/v1/orgs/${admin.orgId}/members`, {
          email,
          roleId: 'rol_readonly',
        });
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        const mails = await mailsSince(before);
        assert.equal(mails.length, 1);
        const mail = mails[0] as (typeof mails)[number];
        assert.equal(mail.to, email);
        assert.match(mail.text, /Subject: You are invited to Acme/);
        assert.ok(mail.text.includes(answer.body.inviteUrl), 'the mail holds the invite link');
        const fromMail = /(\S+\/accept-invite#token=[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
        assert.ok(fromMail);
        const accepted = await new ApiClient(server.url).post('/v1/auth/accept-invite', {
          inviteToken: inviteTokenOf(fromMail),
          password: PASSWORD,
          name: 'Invitee',
        });
        assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
        assert.equal(accepted.body.user.email, email);
      });

      test('the invite link points at the server that sent it', async () => {
        const answer = await admin.client.post(`/v1/orgs/${admin.orgId}/members`, {
          email: `${unique('where')}@example.com`,
          roleId: 'rol_readonly',
        });
        assert.equal(answer.status, 201);
        assert.equal(new URL(answer.body.inviteUrl).origin, server.url);
      });

      test('adding an existing user invites them by mail; they are no member until they accept (issue 12 rule 5)', async () => {
        const other = await admin.client.post('/v1/orgs', { name: unique('Second') });
        const before = await settledOutbox();
        const answer = await admin.client.post(`/v1/orgs/${other.body.id}/members`, {
          email: member.email,
          roleId: 'rol_readonly',
        });
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        assert.equal(answer.body.invited, true);
        assert.equal(answer.body.existingAccount, true);
        const members = await admin.client.get(`/v1/orgs/${other.body.id}/members`);
        assert.equal(
          members.body.items.some((m: { userId: string }) => m.userId === member.userId),
          false,
        );
        const mails = await mailsSince(before);
        assert.equal(mails.length, 1);
        assert.ok(mails[0]?.to.includes(member.email));
      });
    });
  });
}
