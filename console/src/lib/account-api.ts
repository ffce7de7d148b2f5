// The signed-in person's own account, and the pages reached from a mailed link (reset, verify, invite).
import { latchkey } from './api';

export type { AccountSession, InvitePreview, UserInvitation as MyInvitation } from '@latchkey/sdk/browser';

/** The account calls the pages make: the SDK's, under the console's names. */
export const accountApi = {
  requestPasswordReset: latchkey.auth.requestPasswordReset,
  inspectResetLink: latchkey.auth.inspectPasswordReset,
  completePasswordReset: latchkey.auth.completePasswordReset,
  changePassword: latchkey.account.changePassword,
  sendVerification: latchkey.account.sendEmailVerification,
  verifyEmail: latchkey.account.verifyEmail,
  sessions: latchkey.account.sessions,
  endSession: latchkey.account.endSession,
  endOtherSessions: latchkey.account.endOtherSessions,
  invitations: latchkey.account.invitations,
  acceptInvitation: latchkey.account.acceptInvitation,
  declineInvitation: latchkey.account.declineInvitation,
  invitePreview: latchkey.auth.previewInvite,
  acceptInvite: latchkey.auth.acceptInvite,
  resendInvite: latchkey.invites.resend,
};

/** A mailed link's secrets travel in the fragment (#token=…&proof=…), which no server ever receives. */
export function readFragment(): URLSearchParams {
  return new URLSearchParams(window.location.hash.replace(/^#/, ''));
}

/** "Firefox on Linux" from a User-Agent header; the raw header when it names nothing known. */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /OPR\//.test(userAgent)
      ? 'Opera'
      : /Firefox\//.test(userAgent)
        ? 'Firefox'
        : /Chrome\//.test(userAgent)
          ? /HeadlessChrome/.test(userAgent)
            ? 'Headless Chrome'
            : 'Chrome'
          : /Safari\//.test(userAgent)
            ? 'Safari'
            : /curl\//.test(userAgent)
              ? 'curl'
              : /^node|undici/i.test(userAgent)
                ? 'Node.js'
                : null;
  const system = /Windows/.test(userAgent)
    ? 'Windows'
    : /Android/.test(userAgent)
      ? 'Android'
      : /iPhone|iPad/.test(userAgent)
        ? 'iOS'
        : /Mac OS X/.test(userAgent)
          ? 'macOS'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : null;
  if (browser === null) return userAgent.slice(0, 60);
  return system ? `${browser} on ${system}` : browser;
}

export {
  isTwoFactorChallenge as isChallenge,
  type TwoFactorChallenge,
  type TwoFactorStatus,
} from '@latchkey/sdk/browser';

export const twoFactorApi = {
  status: latchkey.account.twoFactor.status,
  enrol: latchkey.account.twoFactor.enrol,
  confirm: latchkey.account.twoFactor.confirm,
  disable: latchkey.account.twoFactor.disable,
  /** The password step: a session, or a challenge when the account has a second factor. */
  login: latchkey.auth.login,
  secondStep: latchkey.auth.loginSecondFactor,
};

export const ssoApi = { providers: latchkey.auth.ssoProviders };

/** Why a single sign-on came back without a session (`/login?sso_error=…`). */
export const SSO_ERRORS: Record<string, string> = {
  UNKNOWN_PROVIDER: 'That sign-in provider is not set up on this server.',
  STATE_MISMATCH: 'This sign-in was not started here, or it took too long. Start again.',
  PROVIDER_ERROR:
    'The sign-in provider’s answer could not be accepted. Start again, or ask your administrator.',
  EMAIL_UNVERIFIED:
    'Your sign-in provider has not verified your e-mail address, so it cannot be matched to an account.',
  ADDRESS_UNCONFIRMED:
    'An account with your address exists but its address was never confirmed here. Reset its password from that mailbox first, then continue with single sign-on.',
  NO_ACCOUNT: 'No account has your address. Ask an administrator for an invitation.',
};
