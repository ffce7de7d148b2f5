// Starting the gateway: rules first (a wrong file stops here), then the verifier, then the proxy.
import type { AddressInfo } from 'node:net';
import { LatchkeyError } from '@latchkey/sdk';
import { presetSource } from './presets/index.ts';
import { createGateway, type Gateway, type GatewayLogger } from './proxy.ts';
import {
  checkPermissions,
  type GatewayRules,
  parseRules,
  type RulesSource,
  readRulesSource,
} from './rules/index.ts';
import { type GatewayVerifier, RemoteVerifier } from './verifiers.ts';

/** A start-up failure other than the rules: a server that cannot be reached, a credential it refuses. */
export class GatewayStartError extends Error {
  override name = 'GatewayStartError';
}

/** A verifier given by the caller (the CLI's `--serve`: the server's own, in this process). */
export interface InjectedVerifier {
  verifier: GatewayVerifier;
  /** The permission keys of the catalog the verifier judges against: the rules may name no other. */
  permissionKeys: ReadonlySet<string>;
  /** Whether it answers from memory kept fresh by revocations. */
  cached: boolean;
}

export interface StartGatewayOptions {
  upstream: string;
  /** A rules file (JSON or YAML). */
  rulesFile?: string | undefined;
  /** A shipped preset, after the file's rules. */
  preset?: string | undefined;
  /** Default resource of every rule that names none. */
  resource?: string | undefined;
  /** Rules already loaded (loadRules), instead of rulesFile, preset and resource. */
  rules?: GatewayRules;
  port?: number;
  host?: string;
  trustProxy?: boolean;
  logger?: GatewayLogger;
  /** Verify against this Latchkey server (without /v1), unless `verifier` is given. */
  latchkeyUrl?: string | undefined;
  /** The gateway's own credential there, for the cache's event stream. */
  token?: string | undefined;
  /** SDK cache: false turns it off. */
  cache?: { ttlMs?: number; max?: number } | false;
  /** How long to wait for the cache's event stream at start before serving without the cache. */
  cacheReadyTimeoutMs?: number;
  /** Verify with this instead of a Latchkey server over HTTP. */
  verifier?: InjectedVerifier;
}

export interface RunningGateway {
  readonly url: string;
  readonly gateway: Gateway;
  readonly verifier: GatewayVerifier;
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

/** The verifier of a separate Latchkey server, checked: reachable, its catalog, the gateway's own token. */
async function remoteVerifier(
  options: StartGatewayOptions,
  rules: GatewayRules,
): Promise<{ verifier: RemoteVerifier; cached: boolean }> {
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
  try {
    const catalog = await remote.client.permissions();
    checkPermissions(rules, new Set(catalog.map((p) => p.key)));
    let cached = false;
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
    return { verifier: remote, cached };
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

/** Starts `latchkey gateway`: resolves once it listens. */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const rules = options.rules ?? loadRules(options);
  try {
    new URL(options.upstream);
  } catch {
    throw new GatewayStartError(
      `--upstream takes a URL (http://host:port), not ${JSON.stringify(options.upstream)}`,
    );
  }
  let verifier: GatewayVerifier;
  let cached: boolean;
  if (options.verifier) {
    checkPermissions(rules, options.verifier.permissionKeys);
    ({ verifier, cached } = options.verifier);
  } else ({ verifier, cached } = await remoteVerifier(options, rules));

  let gateway: Gateway | undefined;
  try {
    gateway = createGateway({
      upstream: options.upstream,
      rules,
      verifier,
      ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    const server = gateway.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    if (gateway) await gateway.close();
    else verifier.close();
    throw error;
  }
  const running = gateway;
  const address = running.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed = false;
  return {
    url: `http://${host}:${address.port}`,
    gateway: running,
    verifier,
    cached,
    async close() {
      if (closed) return;
      closed = true;
      await running.close();
    },
  };
}
