import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { newId } from '../ids.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<{ file?: string }>;
}

/**
 * Without SMTP, each mail is written as an .eml file (mode 0600) to `<data dir>/outbox/`,
 * built by nodemailer exactly as it would be sent.
 */
export class OutboxMailer implements Mailer {
  private readonly transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });

  constructor(
    private readonly outboxDir: string,
    private readonly from: string,
  ) {}

  async send(message: MailMessage): Promise<{ file: string }> {
    const info = await this.transport.sendMail({ from: this.from, ...message });
    mkdirSync(this.outboxDir, { recursive: true, mode: 0o700 });
    const file = join(this.outboxDir, `${newId('evt').slice(4)}.eml`);
    writeFileSync(file, info.message as Buffer, { mode: 0o600 });
    return { file };
  }
}
