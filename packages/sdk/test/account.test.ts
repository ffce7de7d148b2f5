// The calls a person makes about their own account and from mailed links, as the console makes them:
// setup status, invitation preview and resend, password change and reset, sessions, the second factor,
// one-time reveal links, single sign-on providers and insight settings — against a real server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { readOutbox } from '../../../test/helpers/workflows.ts';
import { Latchkey } from '../src/client.ts';
import { LatchkeyError } from '../src/errors.ts';
import { isTwoFactorChallenge } from '../src/http-client.ts';
import { eventually, type LatchkeyFixture, startLatchkey } from './helpers/latchkey.ts';

const totp = (secret: string) => new TOTP({ secret: Secret.fromBase32(secret), period: 30 }).generate();

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error) => error instanceof LatchkeyError && error.code === code);
}

describe('account and mailed-link calls of the client', () => {
  let lk: LatchkeyFixture;
  before(async () => {
    lk = await startLatchkey({ env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
  });
  after(() => lk.close());

  /** A new member of the org with an account of their own: invited by the admin, accepted with a password. */
  async function newMember(email: string, password: string, name: string): Promise<Latchkey> {
    const added = await lk.admin.members.add(lk.org, { email, roleId: 'rol_readonly' });
    assert.ok('inviteUrl' in added);
    const inviteToken = new URLSearchParams(new URL(added.inviteUrl).hash.slice(1)).get('token') ?? '';
    const member = new Latchkey({ baseUrl: lk.url });
    await member.auth.acceptInvite({ inviteToken, password, name });
    return member;
  }

  test('setup is closed once the first user exists', async () => {
    assert.deepEqual(await new Latchkey({ baseUrl: lk.url }).auth.setupStatus(), { needed: false });
  });

  test('an invitation: previewed, resent (the old link stops working), accepted by a new account', async () => {
    const added = await lk.admin.members.add(lk.org, { email: 'cy@example.com', roleId: 'rol_readonly' });
    assert.ok('inviteUrl' in added);
    const first = new URLSearchParams(new URL(added.inviteUrl).hash.slice(1)).get('token') ?? '';
    const anonymous = new Latchkey({ baseUrl: lk.url });
    const preview = await anonymous.auth.previewInvite(first);
    assert.equal(preview.email, 'cy@example.com');
    assert.equal(preview.orgName, 'Acme Chain');
    assert.equal(preview.existingAccount, false);

    const [pending] = (await lk.admin.invites.list(lk.org)).items.filter((i) => i.email === 'cy@example.com');
    assert.ok(pending);
    const resent = await lk.admin.invites.resend(lk.org, pending.id);
    assert.equal(resent.email, 'cy@example.com');
    assert.equal(resent.delivery.email, 'outbox');
    await rejectsWith(anonymous.auth.previewInvite(first), 'NOT_FOUND');
    const second = new URLSearchParams(new URL(resent.inviteUrl).hash.slice(1)).get('token') ?? '';
    const session = await anonymous.auth.acceptInvite({
      inviteToken: second,
      password: 'cy has a long password',
      name: 'Cy',
    });
    assert.equal(session.user?.email, 'cy@example.com');
    assert.ok(session.orgs.some((o) => o.id === lk.org));
  });

  test('sessions: listed with the current one; ending the others signs them out', async () => {
    const other = new Latchkey({ baseUrl: lk.url });
    await other.auth.login({ email: 'ada@example.com', password: 'correct horse battery staple' });
    const { items } = await lk.admin.account.sessions();
    assert.equal(items.filter((s) => s.current).length, 1);
    assert.ok(items.length >= 2);
    const { ended } = await lk.admin.account.endOtherSessions();
    assert.ok(ended >= 1);
    await rejectsWith(other.auth.session(), 'UNAUTHENTICATED');
    assert.equal((await lk.admin.account.sessions()).items.length, 1);
  });

  test('a password: changed with the current one; a reset link from the mail sets a new one', async () => {
    const dee = await newMember('dee@example.com', 'dee first password', 'Dee');
    await rejectsWith(
      dee.account.changePassword({ currentPassword: 'wrong', newPassword: 'dee second password' }),
      'UNAUTHENTICATED',
    );
    await dee.account.changePassword({
      currentPassword: 'dee first password',
      newPassword: 'dee second password',
    });

    const answer = await new Latchkey({ baseUrl: lk.url }).auth.requestPasswordReset('dee@example.com');
    assert.match(answer.message, /./);
    let secret = '';
    // The link's secret is in no API answer (the outbox hides it too): read the mail file itself.
    await eventually(() => {
      const mail = readOutbox(lk.dataDir).find(
        (m) => m.to === 'dee@example.com' && /reset-password#/.test(m.text),
      );
      secret = /reset-password#token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1] ?? '';
      return secret !== '';
    }, 5000);
    const anonymous = new Latchkey({ baseUrl: lk.url });
    assert.equal((await anonymous.auth.inspectPasswordReset(secret)).email, 'dee@example.com');
    await anonymous.auth.completePasswordReset({ token: secret, password: 'dee third password' });
    await rejectsWith(dee.auth.session(), 'UNAUTHENTICATED');
    const again = await anonymous.auth.login({ email: 'dee@example.com', password: 'dee third password' });
    assert.equal(isTwoFactorChallenge(again), false);
  });

  test('the second factor: enrol, confirm with a code; sign-in then answers a challenge', async () => {
    const eve = await newMember('eve@example.com', 'eve long password', 'Eve');
    assert.equal((await eve.account.twoFactor.status()).enabled, false);
    const enrolment = await eve.account.twoFactor.enrol();
    assert.match(enrolment.otpauthUrl, /^otpauth:\/\/totp\//);
    const { recoveryCodes } = await eve.account.twoFactor.confirm(totp(enrolment.secret));
    assert.ok(recoveryCodes.length > 0);
    assert.equal((await eve.account.twoFactor.status()).enabled, true);

    const later = new Latchkey({ baseUrl: lk.url });
    const answer = await later.auth.login({ email: 'eve@example.com', password: 'eve long password' });
    assert.ok(isTwoFactorChallenge(answer), 'a challenge, not a session');
    await rejectsWith(later.auth.session(), 'UNAUTHENTICATED');
    const session = await later.auth.loginSecondFactor({
      challenge: answer.challenge,
      code: recoveryCodes[0] ?? '',
    });
    assert.equal(session.user?.email, 'eve@example.com');
    assert.equal(session.user?.twoFactorEnabled, true);
  });

  test('a one-time link: made for a held value, opened once, then only "opened"', async () => {
    const issued = await lk.admin.tokens.create(lk.org, { name: 'linked', access: 'full', expiresIn: '1d' });
    const link = await lk.admin.tokens.createLink(lk.org, issued.clientId, {
      token: issued.token,
      ttl: '1h',
    });
    const key = new URL(link.url).hash.slice(1);
    const anonymous = new Latchkey({ baseUrl: lk.url });
    const opened = await anonymous.revealLink(key);
    assert.equal(opened.status, 'revealed');
    assert.equal(opened.status === 'revealed' && opened.token, issued.token);
    assert.equal((await anonymous.revealLink(key)).status, 'opened');
    const { items } = await lk.admin.tokens.links(lk.org, issued.clientId);
    assert.equal(items[0]?.id, link.id);
  });

  test('single sign-on providers (none configured) and insight settings', async () => {
    assert.deepEqual(await new Latchkey({ baseUrl: lk.url }).auth.ssoProviders(), { items: [] });
    const settings = await lk.admin.insights.updateSettings(lk.org, { weeklyDigest: true });
    assert.equal(settings.weeklyDigest, true);
    assert.deepEqual(await lk.admin.insights.settings(lk.org), settings);
  });
});
