import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Options of {@link verifyWebhookSignature}.
 *
 * @example
 * const options: VerifyWebhookSignatureOptions = { toleranceSeconds: 60 };
 */
export interface VerifyWebhookSignatureOptions {
  /**
   * How old (or how far in the future) the signature's timestamp may be, in seconds: older
   * deliveries are refused as replays. Default 300.
   */
  toleranceSeconds?: number;
  /** The current time in milliseconds (for tests). Default `Date.now()`. */
  now?: number;
}

/**
 * The raw body of a delivery as received: a string (UTF-8) or the exact bytes.
 *
 * @example
 * const body: WebhookBody = Buffer.concat(chunks); // or: await request.text()
 */
export type WebhookBody = string | Uint8Array;

const HEX = /^[0-9a-f]+$/i;

function mac(secret: string, timestamp: string, body: WebhookBody): Buffer {
  const hmac = createHmac('sha256', secret).update(`${timestamp}.`);
  return (typeof body === 'string' ? hmac.update(body, 'utf8') : hmac.update(body)).digest();
}

/**
 * Checks a webhook delivery the way docs/notifications.md describes: the `Latchkey-Signature`
 * header (`t=<unix seconds>,v1=<hex HMAC-SHA-256(secret, "<t>.<body>")>`) must carry a timestamp
 * within `toleranceSeconds` of now and a `v1` MAC of the **raw** body under the endpoint's secret,
 * compared in constant time. Returns `false` (never throws) for a missing, malformed, stale or
 * wrong signature. Check before parsing the body.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { verifyWebhookSignature } from '@latchkey/sdk';
 *
 * createServer(async (req, res) => {
 *   const chunks: Buffer[] = [];
 *   for await (const chunk of req) chunks.push(chunk);
 *   const raw = Buffer.concat(chunks);
 *   if (!verifyWebhookSignature(process.env.LATCHKEY_WEBHOOK_SECRET!, req.headers['latchkey-signature'], raw)) {
 *     res.writeHead(401).end();
 *     return;
 *   }
 *   const event = JSON.parse(raw.toString('utf8'));
 *   console.log(event.type, req.headers['latchkey-delivery']);
 *   res.writeHead(204).end();
 * }).listen(8080);
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | readonly string[] | null | undefined,
  body: WebhookBody,
  options: VerifyWebhookSignatureOptions = {},
): boolean {
  if (typeof secret !== 'string' || secret === '') return false;
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || value.length > 4096) return false;
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const field = part.slice(eq + 1).trim();
    if (key === 't') timestamp = field;
    else if (key === 'v1' && field.length === 64 && HEX.test(field))
      signatures.push(Buffer.from(field, 'hex'));
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) return false;
  const tolerance = options.toleranceSeconds ?? 300;
  const now = (options.now ?? Date.now()) / 1000;
  if (!(Math.abs(now - Number(timestamp)) <= tolerance)) return false;
  const expected = mac(secret, timestamp, body);
  let ok = false;
  // Every candidate is compared (no early exit), each in constant time.
  for (const given of signatures) if (timingSafeEqual(given, expected)) ok = true;
  return ok;
}

/**
 * Computes a `Latchkey-Signature` header value for a body, as the server does: for testing a
 * receiver without a server.
 *
 * @example
 * const body = JSON.stringify({ id: 'evt_1', type: 'ping', createdAt: new Date().toISOString(), orgId: 'org_1', data: {} });
 * const header = signWebhookBody('whsec_test', body);
 * verifyWebhookSignature('whsec_test', header, body); // true
 */
export function signWebhookBody(
  secret: string,
  body: WebhookBody,
  timestamp: number = Math.floor(Date.now() / 1000),
): string {
  const t = String(Math.floor(timestamp));
  return `t=${t},v1=${mac(secret, t, body).toString('hex')}`;
}
