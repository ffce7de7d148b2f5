// Which headers cross the gateway, each way. Pure: the proxy passes what it read and sends what comes out.
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Request headers that are not sent on: hop-by-hop headers (RFC 9110 §7.6.1), `host` (the upstream's
 * own is set), and `expect` (the gateway answered any 100-continue itself).
 */
const DROPPED_REQUEST_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
]);

/** Answer headers that are not sent back: hop-by-hop ones; Node writes its own framing. */
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export interface ForwardContext {
  /** Lower-case name of the header holding the token. */
  tokenHeader: string;
  identityHeaders: { readonly tokenId: string; readonly orgId: string };
  /** The verified token, or null for a public rule. */
  identity: { tokenId: string; orgId: string } | null;
  /** The end client's address (what verify was told). */
  clientIp: string;
  /** The address of the peer of this connection. */
  peerAddress: string;
  trustProxy: boolean;
  /** The body is sent as read (a JSON-RPC body): its framing is the gateway's, not the client's. */
  bodyReplaced: boolean;
}

/** Names listed in `Connection` are hop-by-hop too. */
function connectionListed(headers: IncomingHttpHeaders): Set<string> | null {
  const value = headers.connection;
  if (value === undefined) return null;
  const names = String(value)
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '' && name !== 'close' && name !== 'keep-alive');
  return names.length === 0 ? null : new Set(names);
}

/**
 * The headers the upstream receives. The token is the client's secret with Latchkey: the upstream
 * never sees it. Identity headers are the gateway's word: whatever the client sent under those names
 * (or any `x-latchkey-*`) goes, then the verified token's are set. `X-Forwarded-For` names the client
 * (appended to the chain only behind a trusted proxy); `X-Forwarded-Proto` and `-Host` are the
 * gateway's own reading unless a trusted proxy in front set them.
 */
export function upstreamHeaders(
  headers: IncomingHttpHeaders,
  context: ForwardContext,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const listed = connectionListed(headers);
  const { tokenHeader, identityHeaders } = context;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (DROPPED_REQUEST_HEADERS.has(name) || name === tokenHeader) continue;
    if (name.startsWith('x-latchkey-') || name === identityHeaders.tokenId || name === identityHeaders.orgId)
      continue;
    if (listed?.has(name)) continue;
    if (name === 'content-length' && context.bodyReplaced) continue;
    if (name === 'authorization' && typeof value === 'string' && /^Bearer[ \t]/i.test(value)) continue;
    out[name] = value;
  }
  if (context.identity !== null) {
    out[identityHeaders.tokenId] = context.identity.tokenId;
    out[identityHeaders.orgId] = context.identity.orgId;
  }
  const forwardedFor = headers['x-forwarded-for'];
  out['x-forwarded-for'] =
    context.trustProxy && typeof forwardedFor === 'string'
      ? `${forwardedFor}, ${context.peerAddress}`
      : context.clientIp;
  if (!context.trustProxy || out['x-forwarded-proto'] === undefined) out['x-forwarded-proto'] = 'http';
  const host = headers.host;
  if (host !== undefined && (!context.trustProxy || out['x-forwarded-host'] === undefined)) {
    out['x-forwarded-host'] = host;
  }
  return out;
}

/**
 * The client's address: the peer, or behind a trusted proxy the last `X-Forwarded-For` hop — the one
 * that proxy appended; never the left end, which the client writes.
 */
export function clientAddress(
  peerAddress: string,
  forwardedFor: string | string[] | undefined,
  trustProxy: boolean,
): string {
  if (!trustProxy || forwardedFor === undefined) return peerAddress;
  const value = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const last = value.slice(value.lastIndexOf(',') + 1).trim();
  return last === '' ? peerAddress : last;
}

/** A header as undici hands it over (bytes) read as HTTP header text: latin1, byte for byte. */
const text = (value: Buffer | string): string =>
  typeof value === 'string' ? value : value.toString('latin1');

/**
 * The upstream's answer headers as Node writes them (`[name, value, name, value…]`), less the
 * hop-by-hop ones; with `corsOwned`, less the upstream's own `Access-Control-*` too (the gateway's
 * policy answers for CORS, and two policies would contradict each other), then `extra` after them.
 */
export function clientHeaders(
  raw: ReadonlyArray<Buffer | string>,
  corsOwned: boolean,
  extra: Record<string, string> | null,
): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = text(raw[i] as Buffer | string);
    const lower = name.toLowerCase();
    if (DROPPED_RESPONSE_HEADERS.has(lower)) continue;
    if (corsOwned && (lower.startsWith('access-control-') || lower === 'vary')) {
      if (lower === 'vary') {
        // Keep what else the answer varies with; Origin is added with the gateway's own headers.
        const rest = text(raw[i + 1] as Buffer | string)
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== '' && v.toLowerCase() !== 'origin');
        if (rest.length > 0 && extra !== null) {
          out.push(name, [...rest, 'Origin'].join(', '));
          extra = { ...extra };
          delete extra.vary;
        }
      }
      continue;
    }
    out.push(name, text(raw[i + 1] as Buffer | string));
  }
  if (extra !== null) for (const name in extra) out.push(name, extra[name] as string);
  return out;
}
