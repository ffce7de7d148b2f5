// How the gateway asks whether a token may do something: through the SDK client (a separate Latchkey
// server, with the SDK's cache kept fresh by token events) or the server's own Verifier (same process).
import { Latchkey } from '../../packages/sdk/src/client.ts';
import { LatchkeyError } from '../../packages/sdk/src/errors.ts';
import type { Verifier } from '../verify/verifier.ts';
import type { PermissionQuery } from './rules.ts';

export type RefusalCode =
  | 'MALFORMED'
  | 'NOT_FOUND'
  | 'EXPIRED'
  | 'REVOKED'
  | 'FORBIDDEN'
  | 'RESOURCE_FORBIDDEN'
  | 'IP_NOT_ALLOWED'
  | 'RATE_LIMITED';

export type GatewayVerdict =
  | { ok: true; tokenId: string; orgId: string }
  | { ok: false; code: RefusalCode }
  /** The client's address failed too often (verify's own limit): 429 with Retry-After. */
  | { ok: false; code: 'THROTTLED'; retryAfterSeconds: number }
  /** No answer could be had (the Latchkey server unreachable): 503. */
  | { ok: false; code: 'UNAVAILABLE' };

export interface VerifyQuestion {
  permission?: PermissionQuery;
  resource?: string;
  /** The end client's address, as the gateway saw it. */
  ip: string;
}

export interface GatewayVerifier {
  verify(token: string, question: VerifyQuestion): Promise<GatewayVerdict>;
  close(): void;
}

/** The server's own Verifier, for `latchkey gateway --serve`: no HTTP hop, invalidated synchronously. */
export function inProcessVerifier(verifier: Verifier): GatewayVerifier {
  return {
    async verify(token, question) {
      const outcome = await verifier.verify(
        {
          token,
          ...(question.permission === undefined ? {} : { permission: question.permission }),
          ...(question.resource === undefined ? {} : { resource: question.resource }),
        },
        question.ip,
      );
      if ('throttled' in outcome) {
        return { ok: false, code: 'THROTTLED', retryAfterSeconds: outcome.retryAfterSeconds };
      }
      if (outcome.valid) return { ok: true, tokenId: outcome.token.id, orgId: outcome.token.orgId };
      return { ok: false, code: outcome.code };
    },
    close() {},
  };
}

export interface RemoteVerifierOptions {
  /** The Latchkey server, without /v1. */
  url: string;
  /** The gateway's own credential: it feeds the cache's event stream. Without it, no cache. */
  token?: string | undefined;
  cache?: { max?: number; ttlMs?: number } | false;
  timeoutMs?: number;
}

/** The SDK client with its verify cache; revocation events clear entries. */
export class RemoteVerifier implements GatewayVerifier {
  readonly client: Latchkey;

  constructor(options: RemoteVerifierOptions) {
    const cache = options.token && options.cache !== false ? (options.cache ?? {}) : false;
    this.client = new Latchkey({
      baseUrl: options.url,
      ...(options.token ? { token: options.token } : {}),
      cache,
      timeoutMs: options.timeoutMs ?? 5_000,
    });
  }

  /** Resolves once the cache answers from memory (subscribed to events), or false after the wait. */
  async ready(timeoutMs: number): Promise<boolean> {
    if (!this.client.cache) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.client.cacheReady().then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async verify(token: string, question: VerifyQuestion): Promise<GatewayVerdict> {
    try {
      const result = await this.client.verify(token, {
        ip: question.ip,
        ...(question.permission === undefined ? {} : { permission: question.permission }),
        ...(question.resource === undefined ? {} : { resource: question.resource }),
      });
      if (result.valid) return { ok: true, tokenId: result.token.id, orgId: result.token.orgId };
      return { ok: false, code: result.code };
    } catch (error) {
      if (error instanceof LatchkeyError && error.code === 'RATE_LIMITED') {
        return { ok: false, code: 'THROTTLED', retryAfterSeconds: error.retryAfter ?? 60 };
      }
      return { ok: false, code: 'UNAVAILABLE' };
    }
  }

  close(): void {
    this.client.close();
  }
}
