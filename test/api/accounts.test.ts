// Accounts are bound to addresses someone proved (issue 12 rule 5): adding a person is always an
// invitation they accept; an address is proved only by a link that reached its mailbox.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiClient } from '../helpers/client.ts';
import { testDialects } from '../helpers/dialects.ts';
import { type AdminSession, PASSWORD, setupAdmin, unique } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError, invite, inviteTokenOf, newMails, outboxFiles, signIn } from '../helpers/workflows.ts';

/** The link of the last mail to `to` among those written since `before` (the mailbox's copy). */
async function mailedLink(server: TestServer, before: string[], to: string, path: string) {
  await server.deps.jobs.drain();
  const mail = newMails(server.dataDir, before)
    .filter((m) => m.to === to && m.text.includes(`/${path}#`))
    .at(-1);
  assert.ok(mail, `no mail to ${to}`);
  const match = new RegExp(`https?://[^\\s"<]+/${path}#[^\\s"<]+`).exec(mail.text);
  assert.ok(match, `no ${path} link in the mail to ${to}`);
  return new URL(match[0]);
}

const fragment = (url: URL) => new URLSearchParams(url.hash.slice(1));

/** A new account under `email` created by opening the API answer's inviteUrl of an invite made by `by`. */
async function claimThroughInviteUrl(by: AdminSession, email: string, roleId = 'rol_admin') {
  const { inviteToken } = await invite(by, email, roleId);
  const client = new ApiClient(by.client.baseUrl);
  const accepted = await client.post('/v1/auth/accept-invite', {
    inviteToken,
    password: PASSWORD,
    name: 'Claimer',
  });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  return { client, userId: accepted.body.user.id as string, session: accepted.body };
}

for (const dialect of await testDialects()) {
  describe(`accounts bound to proved addresses (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;

    before(async () => {
      // Many accepts from one address: the per-address sign-in limit has its own tests (sessions.test.ts).
      server = await startServer({ dialect: dialect.name, env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
      admin = await setupAdmin(server.url);
    });
    after(() => server?.close());

    test('the attack of issue 12 rule 5: an account claimed under an unproved address never joins the victim org', async () => {
      // The attacker has an account on the server (any account will do) and makes an org of their own.
      const attackerEmail = `${unique('attacker')}@evil.test`;
      const { inviteToken: attackerInvite } = await invite(admin, attackerEmail, 'rol_readonly');
      const attacker = new ApiClient(server.url);
      await attacker.post('/v1/auth/accept-invite', {
        inviteToken: attackerInvite,
        password: PASSWORD,
        name: 'Mallory',
      });
      const evil = await attacker.post('/v1/orgs', { name: unique('Evil') });
      assert.equal(evil.status, 201, JSON.stringify(evil.body));
      const evilAdmin: AdminSession = {
        client: attacker,
        orgId: evil.body.id,
        userId: '',
        email: attackerEmail,
      };

      // They invite the victim's CFO into their own org and open the link the API answer returned.
      const cfo = `${unique('cfo')}@victim.test`;
      const claimed = await claimThroughInviteUrl(evilAdmin, cfo);
      assert.equal(claimed.session.user.emailVerified, false, 'opening inviteUrl proves no mailbox');

      // The victim org's administrator later adds the CFO as an administrator.
      const before = outboxFiles(server.dataDir);
      const added = await admin.client.post(`/v1/orgs/${admin.orgId}/members`, {
        email: cfo,
        roleId: 'rol_admin',
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.added, false, 'an existing user is never added without accepting');
      assert.equal(added.body.invited, true);
      assert.equal(added.body.existingAccount, true);

      // The attacker, signed in as the claimed account, is not a member of the victim org.
      assertError(await claimed.client.get(`/v1/orgs/${admin.orgId}`), 404, 'NOT_FOUND');
      const members = await admin.client.get(`/v1/orgs/${admin.orgId}/members?limit=100`);
      assert.ok(!members.body.items.some((m: { email: string }) => m.email === cfo));

      // Nor can they accept: the console lists no invitation for an unproved address …
      const mine = await claimed.client.get('/v1/auth/invitations');
      assert.deepEqual(mine.body, { items: [], emailVerified: false });
      assertError(
        await claimed.client.post(`/v1/auth/invitations/${added.body.inviteId}/accept`),
        403,
        'FORBIDDEN',
      );
      // … the copy of the invitation they can read in the console's Outbox has no mailbox proof …
      await server.deps.jobs.drain();
      const outbox = await claimed.client.get('/v1/outbox?limit=100');
      const copy = outbox.body.items.find(
        (m: { to: string; kind: string; orgId: string }) =>
          m.to === cfo && m.kind === 'invite' && m.orgId === admin.orgId,
      );
      assert.ok(copy, 'the recipient sees the invitation in the outbox');
      assert.doesNotMatch(copy.text, /proof=/);
      const linkFromOutbox = new URL(/https?:\/\/\S+\/accept-invite#\S+/.exec(copy.text)?.[0] ?? 'http://x/');
      const refused = await claimed.client.post('/v1/auth/accept-invite', {
        inviteToken: fragment(linkFromOutbox).get('token'),
      });
      assertError(refused, 403, 'FORBIDDEN');
      assert.equal(refused.body.error.details.reason, 'EMAIL_UNVERIFIED');
      // … and a verification mail they ask for is not shown to them in the console.
      const asked = await claimed.client.post('/v1/auth/email-verification');
      assert.equal(asked.status, 200, JSON.stringify(asked.body));
      await server.deps.jobs.drain();
      const after = await claimed.client.get('/v1/outbox?limit=100');
      assert.ok(!after.body.items.some((m: { kind: string }) => m.kind?.startsWith('account.')));
      assertError(await claimed.client.get(`/v1/orgs/${admin.orgId}`), 404, 'NOT_FOUND');

      // The real CFO owns the mailbox: a password reset takes the account back and proves the address,
      // and the invitation, accepted from the console, makes them an administrator.
      const resetBefore = outboxFiles(server.dataDir);
      await new ApiClient(server.url).post('/v1/auth/password-reset', { email: cfo });
      const reset = await mailedLink(server, resetBefore, cfo, 'reset-password');
      const newPassword = 'the real cfo owns this mailbox';
      const done = await new ApiClient(server.url).post('/v1/auth/password-reset/complete', {
        token: fragment(reset).get('token'),
        password: newPassword,
      });
      assert.equal(done.status, 204, JSON.stringify(done.body));
      assertError(await claimed.client.get('/v1/auth/session'), 401, 'UNAUTHENTICATED');
      const real = await signIn(server.url, cfo, newPassword);
      const session = await real.get('/v1/auth/session');
      assert.equal(session.body.user.emailVerified, true);
      const pending = await real.get('/v1/auth/invitations');
      assert.equal(pending.body.items.length, 1, JSON.stringify(pending.body));
      assert.equal(pending.body.items[0].orgId, admin.orgId);
      const accepted = await real.post(`/v1/auth/invitations/${pending.body.items[0].id}/accept`);
      assert.equal(accepted.status, 204, JSON.stringify(accepted.body));
      const orgs = (await real.get('/v1/auth/session')).body.orgs;
      assert.equal(orgs.find((o: { id: string }) => o.id === admin.orgId)?.roleId, 'rol_admin');
      // The mailed link of the earlier invitation is used now.
      const mailed = await mailedLink(server, before, cfo, 'accept-invite');
      assertError(
        await real.post('/v1/auth/accept-invite', { inviteToken: fragment(mailed).get('token') }),
        404,
        'NOT_FOUND',
      );
    });

    test('the mailed invitation proves the address; the API answer’s inviteUrl does not', async () => {
      const viaUrl = `${unique('url')}@example.com`;
      const claimed = await claimThroughInviteUrl(admin, viaUrl, 'rol_readonly');
      assert.equal(claimed.session.user.emailVerified, false);

      const viaMail = `${unique('mail')}@example.com`;
      const before = outboxFiles(server.dataDir);
      const { answer } = await invite(admin, viaMail, 'rol_readonly');
      const link = await mailedLink(server, before, viaMail, 'accept-invite');
      assert.equal(
        fragment(link).get('token'),
        inviteTokenOf(answer.body.inviteUrl),
        'one invitation, one secret',
      );
      assert.ok(!answer.body.inviteUrl.includes('proof='), 'the inviter never holds the proof');
      const client = new ApiClient(server.url);
      const accepted = await client.post('/v1/auth/accept-invite', {
        inviteToken: fragment(link).get('token'),
        proof: fragment(link).get('proof'),
        password: PASSWORD,
        name: 'Mia Mailbox',
      });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body.user.emailVerified, true);
    });

    test('a wrong proof proves nothing and the invitation still works for a new account', async () => {
      const email = `${unique('wrongproof')}@example.com`;
      const { inviteToken } = await invite(admin, email, 'rol_readonly');
      const accepted = await new ApiClient(server.url).post('/v1/auth/accept-invite', {
        inviteToken,
        proof: 'A'.repeat(43),
        password: PASSWORD,
        name: 'Guess',
      });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body.user.emailVerified, false);
    });

    test('an invitation for an existing account needs that account signed in', async () => {
      const email = `${unique('existing')}@example.com`;
      const owner = await claimThroughInviteUrl(admin, email, 'rol_readonly');
      const second = await new ApiClient(server.url).post('/v1/orgs', { name: 'x' });
      assertError(second, 401, 'UNAUTHENTICATED');
      const other = await owner.client.post('/v1/orgs', { name: unique('Second') });
      const otherAdmin: AdminSession = {
        client: owner.client,
        orgId: other.body.id,
        userId: owner.userId,
        email,
      };
      const target = `${unique('target')}@example.com`;
      await claimThroughInviteUrl(admin, target, 'rol_readonly');
      const { inviteToken } = await invite(otherAdmin, target, 'rol_readonly');
      const anonymous = await new ApiClient(server.url).post('/v1/auth/accept-invite', {
        inviteToken,
        password: PASSWORD,
        name: 'Anyone',
      });
      assertError(anonymous, 401, 'UNAUTHENTICATED');
      assert.equal(anonymous.body.error.details.reason, 'SIGN_IN_REQUIRED');
      const wrongAccount = await owner.client.post('/v1/auth/accept-invite', { inviteToken });
      assertError(wrongAccount, 403, 'FORBIDDEN');
      assert.equal(wrongAccount.body.error.details.reason, 'OTHER_ACCOUNT');
    });

    test('adding someone who is already a member is 409 CONFLICT', async () => {
      const email = `${unique('dup')}@example.com`;
      await claimThroughInviteUrl(admin, email, 'rol_readonly');
      assertError(
        await admin.client.post(`/v1/orgs/${admin.orgId}/members`, { email, roleId: 'rol_readonly' }),
        409,
        'CONFLICT',
      );
    });

    test('a verification link proves the address once; a token cannot ask for one', async () => {
      const email = `${unique('verify')}@example.com`;
      const claimed = await claimThroughInviteUrl(admin, email, 'rol_readonly');
      const before = outboxFiles(server.dataDir);
      const sent = await claimed.client.post('/v1/auth/email-verification');
      assert.deepEqual(sent.body, { emailVerified: false, sent: true, delivery: { email: 'outbox' } });
      const link = await mailedLink(server, before, email, 'verify-email');
      const token = fragment(link).get('token');
      const confirmed = await new ApiClient(server.url).post('/v1/auth/verify-email', { token });
      assert.deepEqual(confirmed.body, { email, emailVerified: true });
      assertError(await new ApiClient(server.url).post('/v1/auth/verify-email', { token }), 404, 'NOT_FOUND');
      assert.equal((await claimed.client.get('/v1/auth/session')).body.user.emailVerified, true);
      const again = await claimed.client.post('/v1/auth/email-verification');
      assert.deepEqual(again.body, { emailVerified: true, sent: false, delivery: null });
      const audit = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?limit=100`);
      const event = audit.body.items.find(
        (e: { action: string; target: { id: string } }) =>
          e.action === 'user.email_verified' && e.target.id === claimed.userId,
      );
      assert.ok(event, 'audited');
      assert.ok(!JSON.stringify(event).includes(token ?? '!'), 'never the secret');
      const tokenClient = admin.client.withToken(
        (await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, { name: unique('t'), access: 'full' }))
          .body.token,
      );
      assertError(await tokenClient.post('/v1/auth/email-verification'), 403, 'SESSION_REQUIRED');
    });

    test('a verified user declines an invitation: it is gone and its link stops working', async () => {
      const email = `${unique('decline')}@example.com`;
      const before = outboxFiles(server.dataDir);
      const first = await invite(admin, email, 'rol_readonly');
      const link = await mailedLink(server, before, email, 'accept-invite');
      const client = new ApiClient(server.url);
      await client.post('/v1/auth/accept-invite', {
        inviteToken: first.inviteToken,
        proof: fragment(link).get('proof'),
        password: PASSWORD,
        name: 'Dee',
      });
      const third = await admin.client.post('/v1/orgs', { name: unique('Third') });
      const thirdAdmin: AdminSession = { ...admin, orgId: third.body.id };
      const second = await invite(thirdAdmin, email, 'rol_readonly');
      const pending = await client.get('/v1/auth/invitations');
      const item = pending.body.items.find((i: { orgId: string }) => i.orgId === third.body.id);
      assert.ok(item, JSON.stringify(pending.body));
      assert.equal(item.inviterName, 'Ada Admin');
      assert.equal((await client.delete(`/v1/auth/invitations/${item.id}`)).status, 204);
      assertError(
        await client.post('/v1/auth/accept-invite', { inviteToken: second.inviteToken }),
        404,
        'NOT_FOUND',
      );
    });

    test('the invitation preview names the org, the inviter and the address, and nothing for a wrong secret', async () => {
      const email = `${unique('preview')}@example.com`;
      const { inviteToken, answer } = await invite(admin, email, 'rol_readwrite');
      const preview = await new ApiClient(server.url).post('/v1/auth/invite-preview', { inviteToken });
      assert.equal(preview.status, 200, JSON.stringify(preview.body));
      assert.deepEqual(preview.body, {
        email,
        orgName: 'Acme',
        inviterName: 'Ada Admin',
        roleId: 'rol_readwrite',
        roleName: 'Read/Write User',
        expiresAt: answer.body.expiresAt,
        existingAccount: false,
      });
      const wrong = await new ApiClient(server.url).post('/v1/auth/invite-preview', {
        inviteToken: 'x'.repeat(43),
      });
      assertError(wrong, 404, 'NOT_FOUND');
      // A used invitation answers exactly like an unknown one.
      await new ApiClient(server.url).post('/v1/auth/accept-invite', {
        inviteToken,
        password: PASSWORD,
        name: 'P',
      });
      const used = await new ApiClient(server.url).post('/v1/auth/invite-preview', { inviteToken });
      assert.equal(used.status, 404);
      assert.equal(used.body.error.message, wrong.body.error.message);
    });

    test('"send a new link" gives a pending invitation a new secret and ends the old link', async () => {
      const email = `${unique('resend')}@example.com`;
      const first = await invite(admin, email, 'rol_readonly');
      const before = outboxFiles(server.dataDir);
      const resent = await admin.client.post(
        `/v1/orgs/${admin.orgId}/invites/${first.answer.body.inviteId}/resend`,
      );
      assert.equal(resent.status, 200, JSON.stringify(resent.body));
      assert.equal(resent.body.inviteId, first.answer.body.inviteId, 'the same invitation');
      const newToken = inviteTokenOf(resent.body.inviteUrl);
      assert.notEqual(newToken, first.inviteToken);
      // Mailed again, with the new link.
      const mailed = await mailedLink(server, before, email, 'accept-invite');
      assert.equal(fragment(mailed).get('token'), newToken);
      assertError(
        await new ApiClient(server.url).post('/v1/auth/invite-preview', { inviteToken: first.inviteToken }),
        404,
        'NOT_FOUND',
      );
      const accepted = await new ApiClient(server.url).post('/v1/auth/accept-invite', {
        inviteToken: newToken,
        password: PASSWORD,
        name: 'Re Sent',
      });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      // Used: nothing to resend any more.
      assertError(
        await admin.client.post(`/v1/orgs/${admin.orgId}/invites/${first.answer.body.inviteId}/resend`),
        404,
        'NOT_FOUND',
      );
      const audit = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?limit=100`);
      const event = audit.body.items.find((e: { action: string }) => e.action === 'member.invite_resent');
      assert.ok(event);
      assert.ok(!JSON.stringify(event).includes(newToken));
    });

    test('resending needs members:write and a session', async () => {
      const pending = await invite(admin, `${unique('pending')}@example.com`, 'rol_readonly');
      const reader = await claimThroughInviteUrl(admin, `${unique('reader')}@example.com`, 'rol_readonly');
      assertError(
        await reader.client.post(`/v1/orgs/${admin.orgId}/invites/${pending.answer.body.inviteId}/resend`),
        403,
        'FORBIDDEN',
      );
      const token = (
        await admin.client.post(`/v1/orgs/${admin.orgId}/tokens`, { name: unique('t'), access: 'full' })
      ).body.token;
      assertError(
        await admin.client
          .withToken(token)
          .post(`/v1/orgs/${admin.orgId}/invites/${pending.answer.body.inviteId}/resend`),
        403,
        'SESSION_REQUIRED',
      );
    });
  });
}
