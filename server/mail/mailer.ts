import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { newId } from '../ids.ts';

/** What a mail is about: the outbox listing uses it to decide who may read it. */
export type MailKind =
  | 'token.value'
  | 'invite'
  | 'token.expiring'
  | 'token.unused'
  | 'insights.digest'
  | 'token.leaked'
  | 'webhook.disabled'
  | 'account.password_reset'
  | 'account.verify_email';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The org the mail is about, written as `X-Latchkey-Org`. */
  orgId?: string;
  /** Written as `X-Latchkey-Kind`. */
  kind?: MailKind;
}

export interface Mailer {
  /** `outbox` when the mail was written to the outbox folder, `smtp` when an SMTP server accepted it. */
  readonly transport: 'outbox' | 'smtp';
  send(message: MailMessage): Promise<{ file?: string }>;
  close(): void;
}

function envelope(from: string, message: MailMessage) {
  const headers: Record<string, string> = {};
  if (message.orgId) headers['X-Latchkey-Org'] = message.orgId;
  if (message.kind) headers['X-Latchkey-Kind'] = message.kind;
  return { from, to: message.to, subject: message.subject, text: message.text, html: message.html, headers };
}

/**
 * Without SMTP, each mail is written as an .eml file (mode 0600) to `<data dir>/outbox/`,
 * built by nodemailer exactly as it would be sent. The outbox is the delivery: admins read it through
 * `GET /v1/outbox` (docs/notifications.md).
 */
export class OutboxMailer implements Mailer {
  readonly transport = 'outbox' as const;
  private readonly stream = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });

  constructor(
    readonly outboxDir: string,
    private readonly from: string,
  ) {}

  async send(message: MailMessage): Promise<{ file: string }> {
    const info = await this.stream.sendMail(envelope(this.from, message));
    mkdirSync(this.outboxDir, { recursive: true, mode: 0o700 });
    const file = join(this.outboxDir, `${newId('evt').slice(4)}.eml`);
    writeFileSync(file, info.message as Buffer, { mode: 0o600 });
    return { file };
  }

  close(): void {}
}

/**
 * SMTP from `SMTP_URL`: `smtp://user:pass@host:587` (STARTTLS when the server offers it) or
 * `smtps://user:pass@host:465` (TLS from the start); nodemailer's query options such as
 * `?tls.rejectUnauthorized=false` work too. The URL is never logged: it holds credentials.
 */
export class SmtpMailer implements Mailer {
  readonly transport = 'smtp' as const;
  private readonly smtp: nodemailer.Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    timeoutMs: number,
  ) {
    this.smtp = nodemailer.createTransport({
      url: smtpUrl,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    } as nodemailer.TransportOptions);
  }

  async send(message: MailMessage): Promise<{ file?: string }> {
    await this.smtp.sendMail(envelope(this.from, message));
    return {};
  }

  close(): void {
    this.smtp.close();
  }
}

export function createMailer(options: {
  smtpUrl: string | undefined;
  from: string;
  dataDir: string;
  timeoutMs: number;
}): Mailer {
  return options.smtpUrl
    ? new SmtpMailer(options.smtpUrl, options.from, options.timeoutMs)
    : new OutboxMailer(join(options.dataDir, 'outbox'), options.from);
}

/** An error's message without anything that could hold a credential (SMTP answers never echo the password). */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\/\/[^/@\s]*@/g, '//…@').slice(0, 500);
}
