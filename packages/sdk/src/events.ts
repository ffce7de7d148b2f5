import type { LatchkeyEvent } from './types.ts';

/**
 * Options of {@link subscribeEvents}.
 *
 * @example
 * const options: EventStreamOptions = {
 *   url: 'http://127.0.0.1:4000/v1/events',
 *   headers: { authorization: `Bearer ${token}` },
 *   onEvent: (event) => console.log(event.type),
 * };
 */
export interface EventStreamOptions {
  /** The full URL of `GET /v1/events`. */
  url: string;
  /** Headers sent with each connection (the credential). */
  headers: Record<string, string>;
  /** Called for every event, `ready` included. */
  onEvent: (event: LatchkeyEvent) => void;
  /** Called whenever an established or attempted connection ends, before reconnecting. */
  onDisconnect?: (error: unknown) => void;
  /** First reconnection delay; doubles up to `maxBackoffMs`. Default 250 ms. */
  minBackoffMs?: number;
  /** Default 10 s. */
  maxBackoffMs?: number;
  /** A stream silent for this long is treated as dropped (the server pings every 15 s). Default 45 s. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * A live subscription; `close()` ends it for good.
 *
 * @example
 * const stream: EventStream = subscribeEvents(options);
 * stream.close();
 */
export interface EventStream {
  close(): void;
  /** Whether the stream is connected and has received `ready`. */
  readonly connected: boolean;
}

function parseEvent(block: string): LatchkeyEvent | null {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (type === 'ready') return { type: 'ready' };
  let payload: unknown;
  try {
    payload = data.length > 0 ? JSON.parse(data.join('\n')) : {};
  } catch {
    return null;
  }
  if (typeof payload !== 'object' || payload === null) return null;
  const record = payload as Record<string, unknown>;
  const orgId = typeof record.orgId === 'string' ? record.orgId : undefined;
  const tokenId = typeof record.tokenId === 'string' ? record.tokenId : undefined;
  if ((type === 'org.changed' || type === 'resources.changed') && orgId !== undefined) return { type, orgId };
  if (
    (type === 'token.revoked' || type === 'token.rotated' || type === 'token.changed') &&
    tokenId !== undefined &&
    orgId !== undefined
  ) {
    return { type, tokenId, orgId };
  }
  return null;
}

/**
 * Subscribes to the server's token events (`GET /v1/events`, Server-Sent Events) and keeps the
 * subscription alive: a dropped or silent stream is reconnected with exponential backoff, and
 * `onDisconnect` is called each time so that a cache can forget what it may have missed.
 * Usually reached through {@link Latchkey#events}.
 *
 * @example
 * const stream = subscribeEvents({
 *   url: 'http://127.0.0.1:4000/v1/events',
 *   headers: { authorization: `Bearer ${process.env.LATCHKEY_TOKEN}` },
 *   onEvent: (event) => {
 *     if (event.type === 'token.revoked') console.log('revoked', event.tokenId);
 *   },
 * });
 * // later
 * stream.close();
 */
export function subscribeEvents(options: EventStreamOptions): EventStream {
  const doFetch = options.fetch ?? fetch;
  const minBackoff = options.minBackoffMs ?? 250;
  const maxBackoff = options.maxBackoffMs ?? 10_000;
  const idleTimeout = options.idleTimeoutMs ?? 45_000;
  let closed = false;
  let connected = false;
  let controller: AbortController | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let backoff = minBackoff;

  const connect = async (): Promise<void> => {
    controller = new AbortController();
    const current = controller;
    let idleTimer: ReturnType<typeof setTimeout> | null = null;
    const touch = () => {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => current.abort(new Error('event stream idle')), idleTimeout);
    };
    let failure: unknown = null;
    try {
      touch();
      const response = await doFetch(options.url, {
        headers: { accept: 'text/event-stream', ...options.headers },
        signal: current.signal,
      });
      if (!response.ok || !response.body) {
        throw new Error(`event stream answered HTTP ${response.status}`);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        touch();
        buffer += value;
        for (;;) {
          const match = /\r?\n\r?\n/.exec(buffer);
          if (!match) break;
          const block = buffer.slice(0, match.index);
          buffer = buffer.slice(match.index + match[0].length);
          const event = parseEvent(block);
          if (!event) continue;
          if (event.type === 'ready') {
            connected = true;
            backoff = minBackoff;
          }
          options.onEvent(event);
        }
      }
      failure = new Error('event stream ended');
    } catch (error) {
      failure = error;
    } finally {
      if (idleTimer) clearTimeout(idleTimer);
    }
    connected = false;
    if (closed) return;
    options.onDisconnect?.(failure);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, backoff);
    backoff = Math.min(backoff * 2, maxBackoff);
  };

  void connect();

  return {
    close() {
      closed = true;
      connected = false;
      if (retryTimer) clearTimeout(retryTimer);
      controller?.abort();
    },
    get connected() {
      return connected;
    },
  };
}
