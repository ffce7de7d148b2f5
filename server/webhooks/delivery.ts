import http from 'node:http';
import https from 'node:https';
import { checkLiteralHost, publicOnlyLookup } from './destination.ts';

export interface PostOptions {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: skip the destination checks. */
  allowPrivateNetworks: boolean;
}

/** A delivery that got no answer in time. */
export class DeliveryTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * POSTs one delivery and resolves with the receiver's HTTP status (redirects are not followed). The
 * destination is checked on the addresses the socket connects to: a literal host before connecting, a
 * name inside the socket's own DNS lookup. A fresh connection each time, so no pooled socket outlives
 * the check that opened it.
 */
export function postWebhook(url: string, options: PostOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
      if (!options.allowPrivateNetworks) checkLiteralHost(target);
    } catch (error) {
      reject(error);
      return;
    }
    const signal = AbortSignal.timeout(options.timeoutMs);
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
        agent: false,
        signal,
        ...(options.allowPrivateNetworks ? {} : { lookup: publicOnlyLookup }),
      },
      (response) => {
        resolve(response.statusCode ?? 0);
        // Only the status matters; whatever the receiver sends after it is not read.
        response.destroy();
      },
    );
    request.on('error', (error) => reject(signal.aborted ? new DeliveryTimeout(options.timeoutMs) : error));
    request.end(options.body);
  });
}
