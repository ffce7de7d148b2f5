// Starting the gateway: rules first (a wrong file stops here), then the verifier, then the proxy.
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { LatchkeyError } from '../../packages/sdk/src/errors.ts';
import type { Latchkey as LatchkeyServer } from '../app.ts';
import type { ConfigOverrides } from '../config.ts';
import { buildGateway } from './gateway.ts';
import { presetSource } from './presets/index.ts';
import {
  checkPermissions,
  type GatewayRules,
  parseRules,
  type RulesSource,
  readRulesSource,
} from './rules.ts';
import { type GatewayVerifier, inProcessVerifier, RemoteVerifier } from './verifiers.ts';

/** A start-up failure other than the rules: a server that cannot be reached, a credential it refuses. */
export class GatewayStartError extends Error {
  override name = 'GatewayStartError';
}

export interface StartGatewayOptions {
  upstream: string;
  /** A rules file (JSON or YAML). */
  rulesFile?: string | undefined;
  /** A shipped preset, after the file's rules. */
  preset?: string | undefined;
  /** Default resource of every rule that names none. */
  resource?: string | undefined;
  port?: number;
  host?: string;
  trustProxy?: boolean;
  logger?: FastifyServerOptions['logger'];
  /** Verify against this Latchkey server (without /v1). */
  latchkeyUrl?: string | undefined;
  /** The gateway's own credential there, for the cache's event stream. */
  token?: string | undefined;
  /** SDK cache: false turns it off. */
  cache?: { ttlMs?: number; max?: number } | false;
  /** Run the Latchkey server in this process too, and verify with its own Verifier. */
  serve?: ConfigOverrides | undefined;
  /** Environment the in-process server reads its configuration from. */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the cache's event stream at start before serving without the cache. */
  cacheReadyTimeoutMs?: number;
}

export interface RunningGateway {
  readonly url: string;
  readonly gateway: FastifyInstance;
  readonly verifier: GatewayVerifier;
  /** The in-process Latchkey server, with --serve. */
  readonly server: (LatchkeyServer & { url: string }) | null;
  /** Whether verifications are answered from a cache kept fresh by revocation events. */
  readonly cached: boolean;
  close(): Promise<void>;
}

const RESOURCE_ID = /^res_[0-9A-Za-z_-]+$/;

/** Reads and checks the rules: the file, then the preset. Throws RulesError naming each wrong line. */
export function loadRules(
  options: Pick<StartGatewayOptions, 'rulesFile' | 'preset' | 'resource'>,
): GatewayRules {
  if (options.resource !== undefined && !RESOURCE_ID.test(options.resource)) {
    throw new GatewayStartError(
      `--resource takes a resource id (res_…), not ${JSON.stringify(options.resource)}`,
    );
  }
  const sources: RulesSource[] = [];
  if (options.rulesFile) sources.push(readRulesSource(options.rulesFile));
  if (options.preset) sources.push(presetSource(options.preset));
  const [main, ...rest] = sources;
  if (main === undefined)
    throw new GatewayStartError('give a rules file (--rules FILE), a preset (--preset NAME) or both');
  return parseRules(main, {
    extraRules: rest,
    ...(options.resource === undefined ? {} : { resource: options.resource }),
  });
}

function addressOf(app: FastifyInstance): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') return String(address);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/** Starts `latchkey gateway`: resolves once it listens. */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const rules = loadRules(options);
  try {
    new URL(options.upstream);
  } catch {
    throw new GatewayStartError(
      `--upstream takes a URL (http://host:port), not ${JSON.stringify(options.upstream)}`,
    );
  }

  let server: (LatchkeyServer & { url: string }) | null = null;
  let verifier: GatewayVerifier;
  let cached = false;
  if (options.serve) {
    // Loaded only here: a standalone gateway does not carry the server's database drivers.
    const [{ buildApp }, { loadConfig }] = await Promise.all([import('../app.ts'), import('../config.ts')]);
    const config = loadConfig(options.env ?? process.env, options.serve);
    const built = await buildApp(config);
    try {
      checkPermissions(rules, built.deps.catalog.keys);
    } catch (error) {
      await built.app.close();
      throw error;
    }
    await built.app.listen({ port: config.port, host: config.host });
    server = { ...built, url: addressOf(built.app) };
    built.app.log.info(`Latchkey is serving on ${built.deps.publicUrl()}`);
    verifier = inProcessVerifier(built.deps.verifier);
    cached = true;
  } else {
    if (!options.latchkeyUrl) {
      throw new GatewayStartError(
        'no Latchkey server: give --latchkey URL (or LATCHKEY_URL), or --serve to run one in this process',
      );
    }
    const remote = new RemoteVerifier({
      url: options.latchkeyUrl,
      token: options.token,
      cache: options.cache ?? {},
    });
    verifier = remote;
    try {
      const catalog = await remote.client.permissions();
      checkPermissions(rules, new Set(catalog.map((p) => p.key)));
      if (options.token) {
        try {
          await remote.client.auth.session();
        } catch (error) {
          if (error instanceof LatchkeyError && error.status === 401) {
            throw new GatewayStartError(
              "the Latchkey server refuses the gateway's token (--token or LATCHKEY_TOKEN): it is needed to subscribe to revocations",
            );
          }
          throw error;
        }
        cached = options.cache !== false && (await remote.ready(options.cacheReadyTimeoutMs ?? 10_000));
      }
    } catch (error) {
      remote.close();
      if (error instanceof LatchkeyError) {
        throw new GatewayStartError(
          `cannot use the Latchkey server at ${options.latchkeyUrl}: ${error.message}`,
        );
      }
      throw error;
    }
  }

  let gateway: FastifyInstance;
  try {
    gateway = await buildGateway({
      upstream: options.upstream,
      rules,
      verifier,
      ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    await gateway.listen({ port: options.port ?? 8080, host: options.host ?? '127.0.0.1' });
  } catch (error) {
    verifier.close();
    await server?.app.close();
    throw error;
  }
  const url = addressOf(gateway);
  let closed = false;
  return {
    url,
    gateway,
    verifier,
    server,
    cached,
    async close() {
      if (closed) return;
      closed = true;
      await gateway.close();
      await server?.app.close();
    },
  };
}
