// Two-factor sign-in (issue 16): TOTP enrolment confirmed by a typed code, ten one-time recovery codes
// stored hashed, a second step at sign-in, disabling with password + code, and the org policy
// requireTwoFactor under which members without a second factor may only enrol.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { ApiClient } from '../helpers/client.ts';
import { testDialects } from '../helpers/dialects.ts';
import { type AdminSession, addMember, PASSWORD, setupAdmin } from '../helpers/factories.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertError } from '../helpers/workflows.ts';

const codeOf = (secret: string, offsetSeconds = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), period: 30 }).generate({
    timestamp: Date.now() + offsetSeconds * 1000,
  });

/** Enrols the session's user; answers the base32 secret, the code that confirmed it and the recovery codes. */
async function enrol(client: ApiClient) {
  const started = await client.post('/v1/auth/two-factor/enrol');
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const confirmingCode = codeOf(started.body.secret);
  const confirmed = await client.post('/v1/auth/two-factor/confirm', { code: confirmingCode });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  return {
    secret: started.body.secret as string,
    confirmingCode,
    recoveryCodes: confirmed.body.recoveryCodes as string[],
    started,
  };
}

async function passwordStep(server: TestServer, email: string) {
  const client = new ApiClient(server.url);
  const answer = await client.post('/v1/auth/login', { email, password: PASSWORD });
  return { client, answer };
}

for (const dialect of await testDialects()) {
  describe(`two-factor authentication (${dialect.name})`, { skip: dialect.skip }, () => {
    let server: TestServer;
    let admin: AdminSession;

    before(async () => {
      server = await startServer({ dialect: dialect.name, env: { LOGIN_ATTEMPTS_PER_MINUTE: '1000' } });
      admin = await setupAdmin(server.url);
    });
    after(() => server?.close());

    test('enrolment shows a QR code and needs a typed code; ten recovery codes are shown once and stored hashed', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const started = await member.client.post('/v1/auth/two-factor/enrol');
      assert.match(started.body.otpauthUrl, /^otpauth:\/\/totp\/Latchkey:/);
      assert.match(started.body.qrSvg, /^<svg/);
      assert.equal(
        (await member.client.get('/v1/auth/two-factor')).body.enabled,
        false,
        'not before the code',
      );
      const wrong = await member.client.post('/v1/auth/two-factor/confirm', { code: '000000' });
      assertError(wrong, 400, 'VALIDATION_FAILED');
      const confirmed = await member.client.post('/v1/auth/two-factor/confirm', {
        code: codeOf(started.body.secret),
      });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      const codes: string[] = confirmed.body.recoveryCodes;
      assert.equal(codes.length, 10);
      assert.equal(new Set(codes).size, 10);
      assert.deepEqual((await member.client.get('/v1/auth/two-factor')).body.recoveryCodesLeft, 10);
      // Neither the codes nor the TOTP secret are readable from the database.
      const dump = JSON.stringify([
        await server.deps.db.selectFrom('recoveryCodes').selectAll().execute(),
        await server.deps.db.selectFrom('users').selectAll().execute(),
      ]);
      for (const code of codes) assert.ok(!dump.includes(code));
      assert.ok(!dump.includes(started.body.secret));
      assertError(await member.client.post('/v1/auth/two-factor/enrol'), 409, 'CONFLICT');
      const audit = await admin.client.get(`/v1/orgs/${admin.orgId}/audit?limit=100`);
      const event = audit.body.items.find(
        (e: { action: string; target: { id: string } }) =>
          e.action === 'user.2fa_enabled' && e.target.id === member.userId,
      );
      assert.ok(event, 'audited');
      assert.ok(!JSON.stringify(event).includes(started.body.secret));
    });

    test('sign-in asks for a code after the password; a code works once; a wrong code is refused', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const { secret, confirmingCode } = await enrol(member.client);
      const { client, answer } = await passwordStep(server, member.email);
      assert.equal(answer.status, 200);
      assert.equal(answer.body.twoFactorRequired, true);
      assert.equal(answer.headers.getSetCookie().length, 0, 'no session before the code');
      assertError(await client.get('/v1/auth/session'), 401, 'UNAUTHENTICATED');
      const wrong = await client.post('/v1/auth/login/two-factor', {
        challenge: answer.body.challenge,
        code: '123456',
      });
      assertError(wrong, 401, 'UNAUTHENTICATED');
      assert.equal(wrong.body.error.details.reason, 'WRONG_CODE');
      // The code that confirmed the enrolment was used: the same time step never works twice (the very code
      // sent then, not today's, which a slow machine may already have moved into the next step).
      const replay = await client.post('/v1/auth/login/two-factor', {
        challenge: answer.body.challenge,
        code: confirmingCode,
      });
      assertError(replay, 401, 'UNAUTHENTICATED');
      const next = await client.post('/v1/auth/login/two-factor', {
        challenge: answer.body.challenge,
        code: codeOf(secret, 30),
      });
      assert.equal(next.status, 200, JSON.stringify(next.body));
      assert.equal((await client.get('/v1/auth/session')).body.user.twoFactorEnabled, true);
      // The challenge was used by that sign-in.
      assertError(
        await new ApiClient(server.url).post('/v1/auth/login/two-factor', {
          challenge: answer.body.challenge,
          code: codeOf(secret, 30),
        }),
        401,
        'UNAUTHENTICATED',
      );
    });

    test('a recovery code signs in once', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const { recoveryCodes } = await enrol(member.client);
      const first = await passwordStep(server, member.email);
      const used = await first.client.post('/v1/auth/login/two-factor', {
        challenge: first.answer.body.challenge,
        code: recoveryCodes[0]?.toUpperCase(),
      });
      assert.equal(used.status, 200, JSON.stringify(used.body));
      assert.equal((await member.client.get('/v1/auth/two-factor')).body.recoveryCodesLeft, 9);
      const second = await passwordStep(server, member.email);
      assertError(
        await second.client.post('/v1/auth/login/two-factor', {
          challenge: second.answer.body.challenge,
          code: recoveryCodes[0],
        }),
        401,
        'UNAUTHENTICATED',
      );
    });

    test('five wrong codes end the challenge; a tampered challenge is refused', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const { secret } = await enrol(member.client);
      const { client, answer } = await passwordStep(server, member.email);
      for (let i = 0; i < 5; i++) {
        await client.post('/v1/auth/login/two-factor', { challenge: answer.body.challenge, code: '000000' });
      }
      const after = await client.post('/v1/auth/login/two-factor', {
        challenge: answer.body.challenge,
        code: codeOf(secret, 30),
      });
      assertError(after, 401, 'UNAUTHENTICATED');
      assert.equal(after.body.error.details.reason, 'CHALLENGE_EXPIRED');
      const tampered = `${answer.body.challenge.slice(0, -2)}xx`;
      assertError(
        await client.post('/v1/auth/login/two-factor', { challenge: tampered, code: codeOf(secret, 30) }),
        401,
        'UNAUTHENTICATED',
      );
    });

    test('turning it off needs the password and a code', async () => {
      const member = await addMember(admin, 'rol_readonly');
      const { recoveryCodes } = await enrol(member.client);
      assertError(
        await member.client.post('/v1/auth/two-factor/disable', {
          password: 'wrong password!',
          code: recoveryCodes[1],
        }),
        401,
        'UNAUTHENTICATED',
      );
      assertError(
        await member.client.post('/v1/auth/two-factor/disable', { password: PASSWORD, code: '000000' }),
        401,
        'UNAUTHENTICATED',
      );
      const off = await member.client.post('/v1/auth/two-factor/disable', {
        password: PASSWORD,
        code: recoveryCodes[1],
      });
      assert.equal(off.status, 204, JSON.stringify(off.body));
      const plain = await passwordStep(server, member.email);
      assert.equal(plain.answer.body.user.email, member.email, 'a password alone signs in again');
    });

    test('requireTwoFactor: members without a second factor may only enrol until they do', async () => {
      const org = await admin.client.post('/v1/orgs', { name: 'Strict' });
      const strict: AdminSession = { ...admin, orgId: org.body.id };
      const member = await addMember(strict, 'rol_readwrite');
      // The admin has no second factor: turning the requirement on would lock them out.
      const refused = await admin.client.patch(`/v1/orgs/${strict.orgId}`, {
        policy: { requireTwoFactor: true },
      });
      assertError(refused, 409, 'CONFLICT');
      const adminFactor = await enrol(admin.client);
      assert.ok(adminFactor.secret);
      const on = await admin.client.patch(`/v1/orgs/${strict.orgId}`, { policy: { requireTwoFactor: true } });
      assert.equal(on.status, 200, JSON.stringify(on.body));
      assert.equal(on.body.policy.requireTwoFactor, true);
      const blocked = await member.client.get(`/v1/orgs/${strict.orgId}/tokens`);
      assertError(blocked, 403, 'FORBIDDEN');
      assert.equal(blocked.body.error.details.reason, 'TWO_FACTOR_REQUIRED');
      // The session still names the org (the console shows why), and enrolling is allowed.
      const session = await member.client.get('/v1/auth/session');
      assert.ok(session.body.orgs.some((o: { id: string }) => o.id === strict.orgId));
      await enrol(member.client);
      assert.equal((await member.client.get(`/v1/orgs/${strict.orgId}/tokens`)).status, 200);
      // Other orgs without the policy never asked.
      assert.equal((await admin.client.get(`/v1/orgs/${admin.orgId}/tokens`)).status, 200);
    });
  });
}
