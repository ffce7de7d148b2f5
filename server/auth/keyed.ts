import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Deps } from '../context.ts';

/**
 * HMAC-SHA-256 under the server secret, per purpose: what the database keeps of every secret it hands out
 * (session ids, invite and account links, recovery codes), and the mailbox proof of an invitation.
 */
export const keyedDigest = (deps: Pick<Deps, 'secret'>, purpose: string, value: string): string =>
  createHmac('sha256', deps.secret).update(`${purpose}:${value}`).digest('base64url');

export function sameSecret(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
