import type { MailKind, MailMessage } from './mailer.ts';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function mail(
  to: string,
  subject: string,
  lines: string[],
  link?: { url: string; label: string },
  meta: { orgId?: string | undefined; kind?: MailKind } = {},
): MailMessage {
  const text = [...lines, ...(link ? ['', `${link.label}: ${link.url}`] : [])].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">',
    ...lines.map((l) => (l === '' ? '' : `<p>${escapeHtml(l)}</p>`)),
    link ? `<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>` : '',
    '</body></html>',
  ].join('\n');
  return {
    to,
    subject,
    text,
    html,
    ...(meta.orgId !== undefined && { orgId: meta.orgId }),
    ...(meta.kind !== undefined && { kind: meta.kind }),
  };
}

export function inviteMail(input: {
  to: string;
  orgId?: string;
  orgName: string;
  inviterName: string;
  url: string;
  expiresAt: Date;
}) {
  return mail(
    input.to,
    `You are invited to ${input.orgName} on Latchkey`,
    [
      `${input.inviterName} invited you to the organization "${input.orgName}" on Latchkey.`,
      `The invitation expires on ${input.expiresAt.toUTCString()} and works once.`,
    ],
    { url: input.url, label: 'Accept the invitation' },
    { orgId: input.orgId, kind: 'invite' },
  );
}

export function tokenValueMail(input: {
  to: string;
  orgId?: string;
  orgName: string;
  tokenName: string;
  clientId: string;
  value: string;
  expiresAt: string | null;
  consoleUrl: string;
}) {
  return mail(
    input.to,
    `Your new Latchkey token "${input.tokenName}" (${input.orgName})`,
    [
      `You asked for the value of your new token "${input.tokenName}" in "${input.orgName}" to be sent to you.`,
      `Client id: ${input.clientId}`,
      `Token: ${input.value}`,
      `Expires: ${input.expiresAt ?? 'never'}`,
      'Store it in a secret manager and delete this mail. Latchkey keeps only a hash and cannot show it again.',
    ],
    { url: input.consoleUrl, label: 'Open the console' },
    { orgId: input.orgId, kind: 'token.value' },
  );
}

export function leakedTokenMail(input: {
  to: string;
  orgId?: string;
  orgName: string;
  tokenName: string;
  hint: string;
  url: string;
}) {
  return mail(
    input.to,
    `Your token "${input.tokenName}" was found leaked and has been revoked`,
    [
      `A secret scanner reported the value of your token "${input.tokenName}" (${input.hint}) in "${input.orgName}" as publicly exposed.`,
      'Latchkey revoked it at once. Create a new token and replace the old value wherever it was used.',
    ],
    { url: input.url, label: 'Open your tokens' },
    { orgId: input.orgId, kind: 'token.leaked' },
  );
}

/**
 * The link opens the console's create dialog pre-filled with the expiring token's settings:
 * `<PUBLIC_URL>/orgs/<org>/tokens?create=<tokenId>` (docs/notifications.md).
 */
export function expiringTokenMail(input: {
  to: string;
  orgId: string;
  orgName: string;
  tokenName: string;
  hint: string;
  expiresAt: Date;
  url: string;
}) {
  const days = Math.max(0, Math.ceil((input.expiresAt.getTime() - Date.now()) / 86_400_000));
  return mail(
    input.to,
    `Your token "${input.tokenName}" (${input.orgName}) expires in ${days} day${days === 1 ? '' : 's'}`,
    [
      `Your token "${input.tokenName}" (${input.hint}) in "${input.orgName}" expires on ${input.expiresAt.toUTCString()}.`,
      'After that, every request that presents it is refused. Create a replacement with the same settings and swap the value before then.',
    ],
    { url: input.url, label: 'Create a replacement' },
    { orgId: input.orgId, kind: 'token.expiring' },
  );
}

export function unusedTokenMail(input: {
  to: string;
  orgId: string;
  orgName: string;
  tokenName: string;
  hint: string;
  lastUsedAt: Date | null;
  days: number;
  url: string;
}) {
  return mail(
    input.to,
    `Your token "${input.tokenName}" (${input.orgName}) has not been used for ${input.days} days`,
    [
      `Your token "${input.tokenName}" (${input.hint}) in "${input.orgName}" has not been used ${
        input.lastUsedAt ? `since ${input.lastUsedAt.toUTCString()}` : 'since it was created'
      }.`,
      'A token nobody uses is a risk without a benefit: if it is no longer needed, revoke it.',
    ],
    { url: input.url, label: 'Review your tokens' },
    { orgId: input.orgId, kind: 'token.unused' },
  );
}

export function webhookDisabledMail(input: {
  to: string;
  orgId: string;
  orgName: string;
  endpointUrl: string;
  endpointId: string;
  reason: string;
  url: string;
}) {
  return mail(
    input.to,
    `A webhook endpoint of ${input.orgName} was disabled`,
    [
      `Latchkey disabled the webhook endpoint ${input.endpointId} (${input.endpointUrl}) of "${input.orgName}": ${input.reason}.`,
      'Events are no longer sent to it. Fix the receiver, then enable the endpoint again (PATCH it with {"enabled": true}).',
    ],
    { url: input.url, label: 'Open the organization' },
    { orgId: input.orgId, kind: 'webhook.disabled' },
  );
}

/** Account mails carry no org: they are about a person, and only their mailbox (or the server host) reads them. */
export function passwordResetMail(input: { to: string; name: string; url: string; expiresAt: Date }) {
  return mail(
    input.to,
    'Reset your Latchkey password',
    [
      `Hello ${input.name},`,
      'Someone (hopefully you) asked to reset the password of your Latchkey account.',
      `The link works once, until ${input.expiresAt.toUTCString()}. Setting a new password signs you out everywhere else.`,
      'If you did not ask for this, ignore this mail: your password stays as it is.',
    ],
    { url: input.url, label: 'Choose a new password' },
    { kind: 'account.password_reset' },
  );
}

export function verifyEmailMail(input: { to: string; name: string; url: string; expiresAt: Date }) {
  return mail(
    input.to,
    'Confirm your e-mail address for Latchkey',
    [
      `Hello ${input.name},`,
      `Open the link below to confirm that ${input.to} is yours. Invitations to other organizations can be accepted from your console once it is confirmed.`,
      `The link works once, until ${input.expiresAt.toUTCString()}.`,
    ],
    { url: input.url, label: 'Confirm my address' },
    { kind: 'account.verify_email' },
  );
}
