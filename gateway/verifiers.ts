// How the gateway asks whether a token may do something: the GatewayVerifier interface, and its one
// implementation here, the SDK client (a separate Latchkey server, with the SDK's cache kept fresh by
// token events). `latchkey gateway --serve` gives the gateway another, over the server's own Verifier in
// the same process: the CLI builds it (cli/commands/gateway.ts), so that the gateway never loads the server.
import { Latchkey, LatchkeyError } from '@latchkey/sdk';
import type { PermissionQuery, VerifyCode } from '@latchkey/sdk/rules';

export type GatewayVerdict =
  | { ok: true; tokenId: string; orgId: string }
  /** Verify's own refusal (`POST /v1/verify`'s closed list of codes). */
  | { ok: false; code: VerifyCode }
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

/** Answers the gateway's questions. Refusals are verdicts; it throws only on a bug. */
export interface GatewayVerifier {
  verify(token: string, question: VerifyQuestion): Promise<GatewayVerdict>;
  close(): void;
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
