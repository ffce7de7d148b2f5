// The signed-in person's own account, and the pages reached from a mailed link (reset, verify, invite).
import { request } from './api';

export interface InvitePreview {
  email: string;
  orgName: string;
  inviterName: string | null;
  roleId: string;
  roleName: string;
  expiresAt: string;
  existingAccount: boolean;
}

export interface AccountSession {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

export interface MyInvitation {
  id: string;
  orgId: string;
  orgName: string;
  inviterName: string | null;
  roleId: string;
  roleName: string;
  createdAt: string;
  expiresAt: string;
}

export const accountApi = {
  requestPasswordReset: (email: string) =>
    request<{ message: string }>('POST', '/v1/auth/password-reset', { email }),
  inspectResetLink: (token: string) =>
    request<{ email: string }>('POST', '/v1/auth/password-reset/inspect', { token }),
  completePasswordReset: (body: { token: string; password: string }) =>
    request<null>('POST', '/v1/auth/password-reset/complete', body),
  changePassword: (body: { currentPassword: string; newPassword: string }) =>
    request<null>('POST', '/v1/auth/password', body),
  sendVerification: () =>
    request<{ emailVerified: boolean; sent: boolean; delivery: { email: 'smtp' | 'outbox' } | null }>(
      'POST',
      '/v1/auth/email-verification',
    ),
  verifyEmail: (token: string) =>
    request<{ email: string; emailVerified: boolean }>('POST', '/v1/auth/verify-email', { token }),
  sessions: () => request<{ items: AccountSession[] }>('GET', '/v1/auth/sessions'),
  endSession: (id: string) => request<null>('DELETE', `/v1/auth/sessions/${encodeURIComponent(id)}`),
  endOtherSessions: () => request<{ ended: number }>('DELETE', '/v1/auth/sessions'),
  invitations: () =>
    request<{ items: MyInvitation[]; emailVerified: boolean }>('GET', '/v1/auth/invitations'),
  acceptInvitation: (id: string) =>
    request<null>('POST', `/v1/auth/invitations/${encodeURIComponent(id)}/accept`),
  declineInvitation: (id: string) =>
    request<null>('DELETE', `/v1/auth/invitations/${encodeURIComponent(id)}`),
  invitePreview: (inviteToken: string) =>
    request<InvitePreview>('POST', '/v1/auth/invite-preview', { inviteToken }),
  acceptInvite: (body: { inviteToken: string; proof?: string; password?: string; name?: string }) =>
    request<unknown>('POST', '/v1/auth/accept-invite', body),
  resendInvite: (orgId: string, inviteId: string) =>
    request<{ inviteUrl: string; expiresAt: string; email: string; delivery: { email: 'smtp' | 'outbox' } }>(
      'POST',
      `/v1/orgs/${encodeURIComponent(orgId)}/invites/${encodeURIComponent(inviteId)}/resend`,
    ),
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

export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: string | null;
  recoveryCodesLeft: number;
}

export interface TwoFactorChallenge {
  twoFactorRequired: true;
  challenge: string;
  expiresAt: string;
}

export const twoFactorApi = {
  status: () => request<TwoFactorStatus>('GET', '/v1/auth/two-factor'),
  enrol: () =>
    request<{ otpauthUrl: string; secret: string; qrSvg: string }>('POST', '/v1/auth/two-factor/enrol'),
  confirm: (code: string) =>
    request<{ recoveryCodes: string[] }>('POST', '/v1/auth/two-factor/confirm', { code }),
  disable: (body: { password: string; code: string }) =>
    request<null>('POST', '/v1/auth/two-factor/disable', body),
  /** The password step: a session, or a challenge when the account has a second factor. */
  login: (body: { email: string; password: string }) =>
    request<TwoFactorChallenge | { user: unknown }>('POST', '/v1/auth/login', body),
  secondStep: (body: { challenge: string; code: string }) =>
    request<unknown>('POST', '/v1/auth/login/two-factor', body),
};

export const isChallenge = (answer: unknown): answer is TwoFactorChallenge =>
  typeof answer === 'object' && answer !== null && 'twoFactorRequired' in answer;

export const ssoApi = {
  providers: () => request<{ items: { id: string; name: string }[] }>('GET', '/v1/auth/sso/providers'),
};

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
