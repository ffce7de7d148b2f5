import type { MailMessage } from './mailer.ts';

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
): MailMessage {
  const text = [...lines, ...(link ? ['', `${link.label}: ${link.url}`] : [])].join('\n');
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">',
    ...lines.map((l) => (l === '' ? '' : `<p>${escapeHtml(l)}</p>`)),
    link ? `<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>` : '',
    '</body></html>',
  ].join('\n');
  return { to, subject, text, html };
}

export function inviteMail(input: {
  to: string;
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
  );
}

export function tokenValueMail(input: {
  to: string;
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
  );
}

export function leakedTokenMail(input: {
  to: string;
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
  );
}
