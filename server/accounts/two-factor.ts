import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { recordAudit } from '../audit/audit.service.ts';
import { actingAs, type NewSession, type RequestInfo, startSession } from '../auth/auth.service.ts';
import { keyedDigest } from '../auth/keyed.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { findUserById } from '../auth/users.repository.ts';
import type { Deps } from '../context.ts';
import type { UserRow } from '../db/schema.ts';
import { AppError, conflict } from '../errors.ts';
import { sealer } from '../jobs/seal.ts';
import { issueAccountLink, spendAccountLink, usableAccountLink } from './account-links.ts';
import {
  advanceTotpStep,
  countLinkAttempt,
  countUnusedRecoveryCodes,
  orgIdsOfUser,
  replaceRecoveryCodes,
  setTotp,
  useRecoveryCode,
} from './accounts.repository.ts';

const PERIOD = 30;
const RECOVERY_CODES = 10;
/** How long the second step of a sign-in may take, and how many wrong codes it tolerates. */
const CHALLENGE_TTL_MS = 5 * 60_000;
const CHALLENGE_ATTEMPTS = 5;

const totpSealer = (deps: Deps) => sealer(deps.secret, 'totp secret');
const recoveryHash = (deps: Deps, code: string) =>
  keyedDigest(deps, 'recovery-code', code.toLowerCase().replace(/[^a-z0-9]/g, ''));

function totpOf(deps: Deps, user: UserRow): TOTP {
  if (user.totpSecretSealed === null) throw conflict('no second factor is set up');
  return new TOTP({
    issuer: 'Latchkey',
    label: user.email,
    secret: Secret.fromBase32(totpSealer(deps).open(user.totpSecretSealed)),
    period: PERIOD,
  });
}

/** `xxxxx-xxxxx` from an alphabet without look-alikes: about 50 bits each. */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(10);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

async function audit(deps: Deps, user: UserRow, request: RequestInfo, action: string, details = {}) {
  await deps.db.transaction().execute(async (trx) => {
    for (const orgId of await orgIdsOfUser(trx, user.id)) {
      await recordAudit(trx, actingAs(user, request), {
        orgId,
        action,
        target: { type: 'user', id: user.id },
        details,
      });
    }
  });
}

/**
 * Starts (or restarts) an enrolment: a new secret, sealed, not yet in force. The answer is the only one
 * holding it: as an otpauth:// URL, its QR code (SVG) and the base32 text for typing by hand.
 */
export async function startEnrolment(deps: Deps, user: UserRow) {
  if (user.totpEnabledAt !== null)
    throw conflict('two-factor authentication is already on; turn it off first');
  const secret = new Secret({ size: 20 });
  await setTotp(deps.db, user.id, {
    totpSecretSealed: totpSealer(deps).seal(secret.base32),
    totpEnabledAt: null,
    totpLastStep: null,
  });
  const otp = new TOTP({ issuer: 'Latchkey', label: user.email, secret, period: PERIOD });
  const otpauthUrl = otp.toString();
  // Loaded on first use, not at every start-up (issue 13).
  const { default: QRCode } = await import('qrcode');
  const qrSvg = await QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
  return { otpauthUrl, secret: secret.base32, qrSvg };
}

/** A 6-digit code of the user's authenticator, at most once (its time step is remembered). */
async function checkTotp(deps: Deps, user: UserRow, code: string): Promise<boolean> {
  if (!/^\d{6}$/.test(code)) return false;
  const otp = totpOf(deps, user);
  const delta = otp.validate({ token: code, window: 1 });
  if (delta === null) return false;
  const step = TOTP.counter({ period: PERIOD }) + delta;
  return advanceTotpStep(deps.db, user.id, step);
}

/** The typed code confirms the enrolment: the factor is in force and ten recovery codes are shown once. */
export async function confirmEnrolment(deps: Deps, user: UserRow, code: string, request: RequestInfo) {
  if (user.totpEnabledAt !== null) throw conflict('two-factor authentication is already on');
  if (user.totpSecretSealed === null) throw conflict('start the enrolment first');
  if (!(await checkTotp(deps, user, code.trim()))) {
    throw new AppError('VALIDATION_FAILED', 'that code is wrong or used; type the current code of your app', {
      fields: [{ field: 'code', message: 'That code is wrong or already used: type the current one.' }],
    });
  }
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  const now = Date.now();
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ totpEnabledAt: now }).where('id', '=', user.id).execute();
    await replaceRecoveryCodes(
      trx,
      user.id,
      codes.map((c) => recoveryHash(deps, c)),
      now,
    );
  });
  await audit(deps, user, request, 'user.2fa_enabled', { method: 'totp', recoveryCodes: RECOVERY_CODES });
  return { recoveryCodes: codes };
}

/** A TOTP code or an unused recovery code (used up by this). */
async function checkSecondFactor(
  deps: Deps,
  user: UserRow,
  code: string,
): Promise<'totp' | 'recovery' | null> {
  const typed = code.trim();
  if (/^\d{6}$/.test(typed)) return (await checkTotp(deps, user, typed)) ? 'totp' : null;
  if (!/^[A-Za-z0-9]{5}-?[A-Za-z0-9]{5}$/.test(typed)) return null;
  return (await useRecoveryCode(deps.db, user.id, recoveryHash(deps, typed), Date.now())) ? 'recovery' : null;
}

/** Turning the factor off needs the password and a current code (or a recovery code). */
export async function disableTwoFactor(
  deps: Deps,
  user: UserRow,
  input: { password: string; code: string },
  request: RequestInfo,
) {
  if (user.totpEnabledAt === null) throw conflict('two-factor authentication is off');
  const passwordOk = await verifyPassword(input.password, user.passwordHash);
  const factor = passwordOk ? await checkSecondFactor(deps, user, input.code) : null;
  if (!passwordOk || factor === null) {
    throw new AppError('UNAUTHENTICATED', 'the password or the code is wrong', {
      fields: [{ field: passwordOk ? 'code' : 'password', message: 'The password or the code is wrong.' }],
    });
  }
  await deps.db.transaction().execute(async (trx) => {
    await setTotp(trx, user.id, { totpSecretSealed: null, totpEnabledAt: null, totpLastStep: null });
    await replaceRecoveryCodes(trx, user.id, [], Date.now());
  });
  await audit(deps, user, request, 'user.2fa_disabled', { with: factor });
}

export async function twoFactorStatus(deps: Deps, user: UserRow) {
  return {
    enabled: user.totpEnabledAt !== null,
    enabledAt: user.totpEnabledAt === null ? null : new Date(Number(user.totpEnabledAt)).toISOString(),
    recoveryCodesLeft: user.totpEnabledAt === null ? 0 : await countUnusedRecoveryCodes(deps.db, user.id),
  };
}

/**
 * The password was right and the account has a second factor: no session yet, but a one-time challenge
 * (5 minutes, 5 wrong codes) that the second step presents with a code.
 */
export async function startSecondStep(deps: Deps, user: UserRow) {
  const { secret, expiresAt } = await issueAccountLink(deps.db, deps, {
    user,
    purpose: 'sign_in',
    email: '',
    ttlMs: CHALLENGE_TTL_MS,
  });
  return {
    twoFactorRequired: true as const,
    challenge: secret,
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

export async function completeSecondStep(
  deps: Deps,
  input: { challenge: string; code: string },
  request: RequestInfo,
): Promise<NewSession> {
  const link = await usableAccountLink(deps, 'sign_in', input.challenge).catch(() => {
    throw new AppError('UNAUTHENTICATED', 'this sign-in expired or was used: enter your password again', {
      reason: 'CHALLENGE_EXPIRED',
    });
  });
  const user = await findUserById(deps.db, link.userId);
  if (user === undefined || user.totpEnabledAt === null) {
    throw new AppError('UNAUTHENTICATED', 'this sign-in expired: enter your password again', {
      reason: 'CHALLENGE_EXPIRED',
    });
  }
  const factor = await checkSecondFactor(deps, user, input.code);
  if (factor === null) {
    const attempts = await countLinkAttempt(deps.db, link.id);
    if (attempts >= CHALLENGE_ATTEMPTS) {
      await deps.db.transaction().execute((trx) => spendAccountLink(trx, link.id).catch(() => {}));
      throw new AppError('UNAUTHENTICATED', 'too many wrong codes: enter your password again', {
        reason: 'CHALLENGE_EXPIRED',
      });
    }
    throw new AppError('UNAUTHENTICATED', 'that code is wrong or already used', {
      reason: 'WRONG_CODE',
      attemptsLeft: CHALLENGE_ATTEMPTS - attempts,
      fields: [{ field: 'code', message: 'That code is wrong or already used.' }],
    });
  }
  await deps.db.transaction().execute((trx) => spendAccountLink(trx, link.id));
  if (factor === 'recovery') {
    await audit(deps, user, request, 'user.recovery_code_used', {
      left: await countUnusedRecoveryCodes(deps.db, user.id),
    });
  }
  return startSession(deps, user, request);
}
