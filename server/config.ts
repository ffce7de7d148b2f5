import { resolve } from 'node:path';

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
  readonly trustProxy: boolean;
  /** Failed verifications (MALFORMED, NOT_FOUND) allowed per client address per minute. */
  readonly verifyFailureLimit: number;
  readonly verifyCacheSize: number;
  readonly verifyCacheTtlMs: number;
  readonly usageFlushIntervalMs: number;
  readonly sessionTtlMs: number;
  readonly sessionIdleMs: number;
  readonly inviteTtlMs: number;
  readonly loginAttemptsPerMinute: number;
  readonly consoleDir: string | undefined;
  readonly mailFrom: string;
  /**
   * LEAK_REPORT_PUBLIC_KEYS: path of a JSON file `{public_keys: [{key_identifier, key}]}` (GitHub's secret-scanning
   * keys); reports signed by one of them are trusted without a session or token.
   */
  readonly leakReportPublicKeysPath: string | undefined;
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
    trustProxy: env.TRUST_PROXY === 'true' || env.TRUST_PROXY === '1',
    verifyFailureLimit: integer(env, 'VERIFY_FAILURE_LIMIT', 100, 1, 1_000_000),
    verifyCacheSize: integer(env, 'VERIFY_CACHE_SIZE', 100_000, 0, 10_000_000),
    verifyCacheTtlMs: integer(env, 'VERIFY_CACHE_TTL_SECONDS', 60, 0, 86_400) * 1000,
    usageFlushIntervalMs: integer(env, 'USAGE_FLUSH_INTERVAL_MS', 1000, 10, 60_000),
    sessionTtlMs: integer(env, 'SESSION_TTL_HOURS', 24 * 7, 1, 24 * 365) * 3_600_000,
    sessionIdleMs: integer(env, 'SESSION_IDLE_HOURS', 24, 1, 24 * 365) * 3_600_000,
    inviteTtlMs: integer(env, 'INVITE_TTL_HOURS', 72, 1, 24 * 30) * 3_600_000,
    loginAttemptsPerMinute: integer(env, 'LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 10_000),
    consoleDir: env.LATCHKEY_CONSOLE_DIR || undefined,
    mailFrom: env.MAIL_FROM || 'Latchkey <latchkey@localhost>',
    leakReportPublicKeysPath: env.LEAK_REPORT_PUBLIC_KEYS ? resolve(env.LEAK_REPORT_PUBLIC_KEYS) : undefined,
  });
}
