import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseIpRange } from '@latchkey/sdk/rules';

/** Everything the server reads from its environment, parsed once at boot. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** `postgres://…` for PostgreSQL; absent for SQLite in the data directory. */
  readonly databaseUrl: string | undefined;
  /** From LATCHKEY_SECRET; when absent the server generates and keeps one in the data directory. */
  readonly secret: string | undefined;
  readonly tokenPrefix: string;
  readonly catalogPath: string | undefined;
  readonly publicUrl: string;
  /** False when publicUrl was derived from HOST and PORT, so the bound address may replace it. */
  readonly publicUrlConfigured: boolean;
  readonly logLevel: string;
  /**
   * TRUST_PROXY: which X-Forwarded-For hops are believed, as Fastify's `trustProxy` takes it: `false`,
   * a number of proxy hops in front (`true` is one), or the proxies' addresses/CIDRs. Never "every hop":
   * the left end of X-Forwarded-For is whatever the client wrote there.
   */
  readonly trustProxy: false | string[] | TrustHops;
  /** Failed verifications (MALFORMED, NOT_FOUND) allowed per client address per minute. */
  readonly verifyFailureLimit: number;
  /**
   * VERIFY_TRUSTED_PROXIES: addresses (CIDR list) whose `ip` on verify is believed for every token, like
   * a caller presenting a token of the verified token's org (docs/security.md).
   */
  readonly verifyTrustedProxies: readonly string[];
  /** Web origins (scheme://host[:port]) whose pages may call the API and /v1/verify; none by default. */
  readonly corsOrigins: readonly string[];
  /**
   * Failures a trusted caller relays for its end clients, per minute, before the caller itself is
   * throttled: the ceiling on guessing through one API (each end client has VERIFY_FAILURE_LIMIT).
   */
  readonly verifyTrustedFailureLimit: number;
  readonly verifyCacheSize: number;
  readonly verifyCacheTtlMs: number;
  readonly usageFlushIntervalMs: number;
  readonly sessionTtlMs: number;
  readonly sessionIdleMs: number;
  readonly inviteTtlMs: number;
  readonly loginAttemptsPerMinute: number;
  readonly consoleDir: string | undefined;
  readonly mailFrom: string;
  /** SMTP_URL: `smtp://user:pass@host:587` or `smtps://…`; without it mail goes to the outbox folder. Never logged. */
  readonly smtpUrl: string | undefined;
  /** How often each process's worker looks for due mails and webhook deliveries. */
  readonly workerIntervalMs: number;
  /** First retry delay of a failed delivery; each further one doubles (at most an hour). */
  readonly retryBackoffBaseMs: number;
  /** How long a failing delivery is retried before it is given up (a day). */
  readonly retryWindowMs: number;
  /** How often the worker looks for tokens that need an expiry or unused notice. */
  readonly noticeScanIntervalMs: number;
  readonly webhookTimeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: deliver to loopback, private and link-local addresses too (tests, labs). */
  readonly webhookAllowPrivateNetworks: boolean;
  /** How often an open /v1/events stream checks that its credential still works (besides on changes). */
  readonly eventsRecheckIntervalMs: number;
  /**
   * LEAK_REPORT_PUBLIC_KEYS: path of a JSON file `{public_keys: [{key_identifier, key}]}` (GitHub's secret-scanning
   * keys); reports signed by one of them are trusted without a session or token.
   */
  readonly leakReportPublicKeysPath: string | undefined;
  /**
   * Single sign-on providers (OpenID Connect), from SSO_PROVIDERS (JSON) or the file LATCHKEY_SSO_CONFIG
   * (docs/operations.md). Empty: no SSO.
   */
  readonly ssoProviders: readonly SsoProviderConfig[];
}

export interface SsoProviderConfig {
  /** In URLs and sessions: `[a-z0-9-]{1,40}`. */
  readonly id: string;
  /** Shown as "Continue with <name>". */
  readonly name: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Where someone without an account is created on first sign-in; absent: only existing accounts. */
  readonly jitOrgId: string | undefined;
  readonly jitRoleId: string;
}

function ssoProvidersOf(env: Env): SsoProviderConfig[] {
  const file = env.LATCHKEY_SSO_CONFIG || undefined;
  const inline = env.SSO_PROVIDERS || undefined;
  if (file === undefined && inline === undefined) return [];
  const source = file !== undefined ? `LATCHKEY_SSO_CONFIG (${file})` : 'SSO_PROVIDERS';
  let parsed: unknown;
  try {
    parsed = JSON.parse(file !== undefined ? readFileSync(resolve(file), 'utf8') : (inline as string));
  } catch (error) {
    throw new ConfigError(`${source} must be JSON {"providers": [...]}: ${(error as Error).message}`);
  }
  const list = (parsed as { providers?: unknown })?.providers;
  if (!Array.isArray(list)) throw new ConfigError(`${source} must be JSON {"providers": [...]}`);
  const ids = new Set<string>();
  return list.map((raw, index) => {
    const entry = raw as Record<string, unknown>;
    const text = (key: string, required = true) => {
      const value = entry[key];
      if (value === undefined && !required) return undefined;
      if (typeof value !== 'string' || value === '') {
        throw new ConfigError(`${source}: providers[${index}].${key} must be a non-empty string`);
      }
      return value;
    };
    const id = text('id') as string;
    if (!/^[a-z0-9-]{1,40}$/.test(id) || ids.has(id)) {
      throw new ConfigError(`${source}: providers[${index}].id must be unique, 1-40 characters of [a-z0-9-]`);
    }
    ids.add(id);
    const issuer = text('issuer') as string;
    if (!/^https?:\/\//.test(issuer))
      throw new ConfigError(`${source}: providers[${index}].issuer must be a URL`);
    const jitOrgId = text('jitOrgId', false);
    if (jitOrgId !== undefined && !jitOrgId.startsWith('org_')) {
      throw new ConfigError(`${source}: providers[${index}].jitOrgId must be an org id (org_…)`);
    }
    return Object.freeze({
      id,
      name: text('name') as string,
      issuer,
      clientId: text('clientId') as string,
      clientSecret: text('clientSecret') as string,
      jitOrgId,
      jitRoleId: text('jitRoleId', false) ?? 'rol_readonly',
    });
  });
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function smtpUrlOf(env: Env): string | undefined {
  const raw = env.SMTP_URL || undefined;
  // The message never repeats the URL: it holds the SMTP password.
  if (raw !== undefined && !/^smtps?:\/\/[^/]/.test(raw)) {
    throw new ConfigError(
      'SMTP_URL must start with smtp:// or smtps:// (leave it unset for the outbox folder)',
    );
  }
  return raw;
}

/** A comma- or space-separated list of web origins (https://app.example.com); a bad entry stops the start. */
function originList(env: Env, name: string): string[] {
  const entries = (env[name] ?? '').split(/[\s,]+/).filter((entry) => entry !== '');
  return entries.map((entry) => {
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      if (
        (url.protocol === 'http:' || url.protocol === 'https:') &&
        url.origin === entry.replace(/\/$/, '')
      ) {
        origin = url.origin;
      }
    } catch {
      origin = undefined;
    }
    if (origin === undefined) {
      throw new ConfigError(
        `${name} must list origins such as https://app.example.com (no path, no *), got "${entry}"`,
      );
    }
    return origin;
  });
}

/** A comma- or space-separated list of addresses and CIDR ranges; a bad entry stops the start. */
function cidrList(env: Env, name: string): string[] {
  const entries = (env[name] ?? '').split(/[\s,]+/).filter((entry) => entry !== '');
  for (const entry of entries) {
    if (parseIpRange(entry) === null) {
      throw new ConfigError(`${name} must list addresses or CIDR ranges (203.0.113.0/24), got "${entry}"`);
    }
  }
  return entries;
}

/**
 * `true` (or `1`) trusts the one proxy in front, which appends the address it saw; a number trusts that
 * many hops; a list trusts hops from those addresses. Believing every hop (Fastify's `true`) would let a
 * client pick its own address by sending X-Forwarded-For, escaping every per-address limit.
 */
function trustProxyOf(env: Env): false | string[] | TrustHops {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true') return trustHops(1);
  if (/^\d+$/.test(raw)) return trustHops(integer(env, 'TRUST_PROXY', 1, 1, 20));
  return cidrList(env, 'TRUST_PROXY');
}

/** Trusts the `hops` nearest X-Forwarded-For hops (Fastify takes a hop count as a function). */
export type TrustHops = ((address: string, hop: number) => boolean) & { readonly hops: number };

function trustHops(hops: number): TrustHops {
  return Object.assign((_address: string, hop: number) => hop < hops, { hops });
}

function flag(env: Env, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

const prefixPattern = /^[a-z][a-z0-9]{1,9}$/;

/** Flags given to `latchkey serve` win over the environment. */
export interface ConfigOverrides {
  port?: number;
  host?: string;
  dataDir?: string;
}

export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  const tokenPrefix = env.LATCHKEY_TOKEN_PREFIX || 'lk';
  if (!prefixPattern.test(tokenPrefix)) {
    throw new ConfigError(
      `LATCHKEY_TOKEN_PREFIX must be 2-10 characters of [a-z0-9] starting with a letter, got "${tokenPrefix}"`,
    );
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// (leave it unset for SQLite)');
  }
  const secret = env.LATCHKEY_SECRET || undefined;
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigError('LATCHKEY_SECRET must be at least 32 characters');
  }
  const port = overrides.port ?? integer(env, 'PORT', 4000, 0, 65535);
  const host = overrides.host ?? (env.HOST || '127.0.0.1');
  const verifyFailureLimit = integer(env, 'VERIFY_FAILURE_LIMIT', 100, 1, 1_000_000);
  const publicUrl = (env.PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(
    /\/+$/,
    '',
  );
  return Object.freeze({
    port,
    host,
    dataDir: resolve(overrides.dataDir ?? (env.LATCHKEY_DATA_DIR || './data')),
    databaseUrl,
    secret,
    tokenPrefix,
    catalogPath: env.LATCHKEY_CATALOG || undefined,
    publicUrl,
    publicUrlConfigured: Boolean(env.PUBLIC_URL),
    logLevel: env.LOG_LEVEL || 'info',
    trustProxy: trustProxyOf(env),
    verifyFailureLimit,
    verifyTrustedProxies: Object.freeze(cidrList(env, 'VERIFY_TRUSTED_PROXIES')),
    corsOrigins: Object.freeze(originList(env, 'CORS_ORIGINS')),
    verifyTrustedFailureLimit: integer(
      env,
      'VERIFY_TRUSTED_FAILURE_LIMIT',
      Math.min(verifyFailureLimit * 100, 100_000_000),
      1,
      100_000_000,
    ),
    verifyCacheSize: integer(env, 'VERIFY_CACHE_SIZE', 1_000_000, 0, 10_000_000),
    verifyCacheTtlMs: integer(env, 'VERIFY_CACHE_TTL_SECONDS', 60, 0, 86_400) * 1000,
    usageFlushIntervalMs: integer(env, 'USAGE_FLUSH_INTERVAL_MS', 1000, 10, 60_000),
    sessionTtlMs: integer(env, 'SESSION_TTL_HOURS', 24 * 7, 1, 24 * 365) * 3_600_000,
    sessionIdleMs: integer(env, 'SESSION_IDLE_HOURS', 24, 1, 24 * 365) * 3_600_000,
    inviteTtlMs: integer(env, 'INVITE_TTL_HOURS', 72, 1, 24 * 30) * 3_600_000,
    loginAttemptsPerMinute: integer(env, 'LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 10_000),
    consoleDir: env.LATCHKEY_CONSOLE_DIR || undefined,
    mailFrom: env.MAIL_FROM || 'Latchkey <latchkey@localhost>',
    smtpUrl: smtpUrlOf(env),
    workerIntervalMs: integer(env, 'WORKER_INTERVAL_MS', 2000, 10, 3_600_000),
    retryBackoffBaseMs: integer(env, 'RETRY_BACKOFF_BASE_MS', 30_000, 1, 3_600_000),
    retryWindowMs: integer(env, 'RETRY_WINDOW_SECONDS', 86_400, 1, 30 * 86_400) * 1000,
    noticeScanIntervalMs: integer(env, 'NOTICE_SCAN_INTERVAL_MS', 3_600_000, 10, 86_400_000),
    webhookTimeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    webhookAllowPrivateNetworks: flag(env, 'WEBHOOK_ALLOW_PRIVATE_NETWORKS'),
    eventsRecheckIntervalMs: integer(env, 'EVENTS_RECHECK_INTERVAL_MS', 15_000, 10, 3_600_000),
    leakReportPublicKeysPath: env.LEAK_REPORT_PUBLIC_KEYS ? resolve(env.LEAK_REPORT_PUBLIC_KEYS) : undefined,
    ssoProviders: Object.freeze(ssoProvidersOf(env)),
  });
}
