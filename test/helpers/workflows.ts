/** Helpers shared by the access, sessions, audit, secrets and leaks/mail suites. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiAnswer } from './client.ts';
import { ApiClient } from './client.ts';
import { type AdminSession, PASSWORD } from './factories.ts';

/** Asserts an error answer: its status and the `error.code` of the envelope. */
export function assertError(answer: ApiAnswer, status: number, code: string): void {
  assert.equal(
    answer.status,
    status,
    `expected ${status} ${code}, got ${answer.status} ${JSON.stringify(answer.body)}`,
  );
  assert.equal(answer.body?.error?.code, code, JSON.stringify(answer.body));
  assert.equal(typeof answer.body.error.message, 'string');
}

/** Polls `probe` until it answers something truthy, or fails after the deadline. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 5000, intervalMs = 20, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A fresh browser-like client signed in with e-mail and password. */
export async function signIn(baseUrl: string, email: string, password = PASSWORD): Promise<ApiClient> {
  const client = new ApiClient(baseUrl);
  const answer = await client.post('/v1/auth/login', { email, password });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return client;
}

/** The secret part of an invite link (`…/accept-invite#token=…`). */
export function inviteTokenOf(inviteUrl: string): string {
  const token = new URL(inviteUrl).hash.replace(/^#token=/, '');
  assert.ok(token.length > 20, `no invite token in ${inviteUrl}`);
  return token;
}

/** Invites an e-mail address into the admin's org; answers the invite token and the whole answer. */
export async function invite(admin: AdminSession, email: string, roleId: string) {
  const answer = await admin.client.post(`/v1/orgs/${admin.orgId}/members`, { email, roleId });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  assert.equal(answer.body.invited, true, JSON.stringify(answer.body));
  return { inviteToken: inviteTokenOf(answer.body.inviteUrl), answer };
}

/** The value of a `name=value` cookie in a Set-Cookie line, with its attributes. */
export function parseSetCookie(line: string): {
  name: string;
  value: string;
  attributes: Map<string, string>;
} {
  const [pair = '', ...rest] = line.split(';').map((part) => part.trim());
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const attribute of rest) {
    const at = attribute.indexOf('=');
    if (at === -1) attributes.set(attribute.toLowerCase(), '');
    else attributes.set(attribute.slice(0, at).toLowerCase(), attribute.slice(at + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}

/** Undoes quoted-printable (soft line breaks and =XX escapes), so values in a mail can be searched. */
export function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      for (const byte of Buffer.from(joined[i] as string, 'utf8')) bytes.push(byte);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export interface OutboxMail {
  file: string;
  raw: string;
  /** The whole file with quoted-printable undone. */
  text: string;
  to: string;
}

/** Every .eml in `<dataDir>/outbox/`, by file name. */
export function readOutbox(dataDir: string): OutboxMail[] {
  const dir = join(dataDir, 'outbox');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.eml'))
    .sort()
    .map((file) => {
      const raw = readFileSync(join(dir, file), 'utf8');
      const to = /^To: (.+)$/m.exec(raw)?.[1]?.trim() ?? '';
      return { file, raw, text: decodeQuotedPrintable(raw), to };
    });
}

/** Mails written since `before` (a list of file names taken earlier). */
export function newMails(dataDir: string, before: Iterable<string>): OutboxMail[] {
  const seen = new Set(before);
  return readOutbox(dataDir).filter((mail) => !seen.has(mail.file));
}

export const outboxFiles = (dataDir: string) => readOutbox(dataDir).map((mail) => mail.file);
