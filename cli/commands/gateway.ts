// `latchkey gateway`: the command, and the one place where the gateway meets the server. The gateway
// (gateway/) is its own part and never imports the server; with --serve, this file starts the server in
// the same process and hands the gateway a verifier over the server's own Verifier.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Command, InvalidArgumentError } from 'commander';
import type {
  GatewayLogger,
  RunningGateway as GatewayRunning,
  StartGatewayOptions as GatewayStartOptions,
  GatewayVerifier,
} from '../../gateway/index.ts';
import type { Latchkey as LatchkeyServer } from '../../server/app.ts';
import type { ConfigOverrides } from '../../server/config.ts';
import type { Verifier } from '../../server/verify/verifier.ts';
import { examples, settings } from './context.ts';

type GatewayModule = typeof import('../../gateway/index.ts');

// This file runs from the TypeScript sources (through tsx) or from the CLI's bundle, dist/latchkey.mjs.
const fromSource = import.meta.url.endsWith('.ts');
const root = fileURLToPath(new URL(fromSource ? '../../' : '../', import.meta.url));
const gatewayBundle = join(root, 'dist', 'gateway', 'gateway.mjs');

function newestFile(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestFile(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The gateway's bundle (scripts/build-gateway.mjs) is used while it is newer than every source it holds. */
function bundleIsFresh(): boolean {
  try {
    const built = statSync(gatewayBundle).mtimeMs;
    const sources = [join(root, 'gateway'), join(root, 'packages', 'sdk', 'src')].map(newestFile);
    return built >= Math.max(...sources) && process.env.LATCHKEY_FROM_SOURCE !== '1';
  } catch {
    return false;
  }
}

/**
 * The gateway module: its bundle, built JavaScript, when the CLI itself runs built and the bundle is
 * fresh; otherwise its sources (through tsx). Sources run with sources, so that a program importing
 * the gateway's sources (the tests) shares its classes (`instanceof RulesError`).
 */
export function loadGateway(): Promise<GatewayModule> {
  loading ??= importGateway();
  return loading;
}

let loading: Promise<GatewayModule> | undefined;

async function importGateway(): Promise<GatewayModule> {
  if (!fromSource) {
    if (bundleIsFresh()) return (await import(pathToFileURL(gatewayBundle).href)) as GatewayModule;
    // An edited checkout: the sources, compiled on the fly.
    const { register } = await import('tsx/esm/api');
    register();
  }
  // Not a literal: the CLI's bundle must not swallow the gateway (it has its own).
  const entry = pathToFileURL(join(root, 'gateway', 'index.ts')).href;
  return (await import(entry)) as GatewayModule;
}

/** The server's own Verifier, for `--serve`: no HTTP hop, invalidated synchronously by revocations. */
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

export interface StartGatewayOptions extends Omit<GatewayStartOptions, 'verifier' | 'rules'> {
  /** Run the Latchkey server in this process too, and verify with its own Verifier. */
  serve?: ConfigOverrides | undefined;
  /** Environment the in-process server reads its configuration from. */
  env?: NodeJS.ProcessEnv;
}

export interface RunningGateway extends GatewayRunning {
  /** The in-process Latchkey server, with --serve. */
  readonly server: (LatchkeyServer & { url: string }) | null;
}

/** Starts the gateway (and with `serve`, the server first): resolves once both listen. */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const gateway = await loadGateway();
  // A wrong rules file stops start-up before anything listens.
  const rules = gateway.loadRules(options);
  if (!options.serve) {
    const running = await gateway.startGateway({ ...options, rules });
    return Object.assign(running, { server: null });
  }
  // Loaded only here: a gateway verifying over HTTP does not carry the server and its database drivers.
  const [{ buildApp }, { loadConfig }] = await Promise.all([
    import('../../server/app.ts'),
    import('../../server/config.ts'),
  ]);
  const config = loadConfig(options.env ?? process.env, options.serve);
  const built = await buildApp(config);
  let running: GatewayRunning;
  try {
    await built.app.listen({ port: config.port, host: config.host });
    running = await gateway.startGateway({
      ...options,
      rules,
      verifier: {
        verifier: inProcessVerifier(built.deps.verifier),
        permissionKeys: built.deps.catalog.keys,
        cached: true,
      },
    });
  } catch (error) {
    await built.app.close();
    throw error;
  }
  built.app.log.info(`Latchkey is serving on ${built.deps.publicUrl()}`);
  const address = built.app.server.address();
  const url =
    address === null || typeof address === 'string'
      ? String(address)
      : `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  const server = { ...built, url };
  const closeGateway = running.close.bind(running);
  return Object.assign(running, {
    server,
    async close() {
      await closeGateway();
      await built.app.close();
    },
  });
}

interface GatewayCommandOptions {
  upstream: string;
  rules?: string;
  preset?: string;
  resource?: string;
  port: number;
  host: string;
  latchkey?: string;
  token?: string;
  cache: boolean;
  cacheTtl?: number;
  trustProxy?: boolean;
  logLevel: string;
  serve?: boolean;
  servePort?: number;
  serveHost?: string;
  dataDir?: string;
  check?: boolean;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is a number from 0 to 65535');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a number of seconds');
  return n;
}

export function registerGatewayCommand(program: Command): void {
  const command = program
    .command('gateway')
    .description('a reverse proxy that lets through only what the bearer token may do (see docs/gateway.md)')
    .requiredOption('--upstream <url>', 'the API to protect, e.g. http://127.0.0.1:3030')
    .option('--rules <file>', 'rules file (JSON, or YAML for any other extension)')
    .option('--preset <name>', "shipped rules after the file's own: near-rpc")
    .option('--resource <resId>', 'resource every rule without its own checks (res_…)')
    .option('--port <port>', 'port to listen on', port, 8080)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--latchkey <url>',
      'the Latchkey server to verify with (default: LATCHKEY_URL, then the login config)',
    )
    .option(
      '--token <token>',
      "the gateway's own token (a token of the org it protects): it vouches for client addresses on verify and feeds the cache's revocation events (default: LATCHKEY_TOKEN)",
    )
    .option('--no-cache', 'ask the Latchkey server on every request')
    .option(
      '--cache-ttl <seconds>',
      'how long a verified token is trusted between events (default 30)',
      seconds,
    )
    .option(
      '--trust-proxy',
      'take the client address from the last X-Forwarded-For hop, which your proxy appended (only behind your own proxy)',
    )
    .option('--log-level <level>', 'log level', 'info')
    .option('--serve', 'also run the Latchkey server in this process and verify with it directly')
    .option('--serve-port <port>', 'with --serve: port of the Latchkey server (env PORT, default 4000)', port)
    .option(
      '--serve-host <host>',
      'with --serve: address of the Latchkey server (env HOST, default 127.0.0.1)',
    )
    .option('--data-dir <dir>', 'with --serve: data directory (env LATCHKEY_DATA_DIR, default ./data)')
    .option('--check', 'check the rules file and exit');
  examples(command, [
    'latchkey gateway --upstream http://127.0.0.1:3030 --preset near-rpc --latchkey http://127.0.0.1:4000 --token $GATEWAY_TOKEN',
    'latchkey gateway --upstream http://127.0.0.1:9000 --rules rules.yaml --port 8080',
    'latchkey gateway --upstream http://127.0.0.1:3030 --preset near-rpc --serve --data-dir /var/lib/latchkey',
    'latchkey gateway --upstream http://x --rules rules.yaml --check',
  ]);
  command.action(async (options: GatewayCommandOptions) => {
    const gateway = await loadGateway();
    const fail = (message: string) => {
      process.stderr.write(`latchkey gateway: ${message}\n`);
      process.exit(2);
    };
    try {
      if (options.check) {
        const rules = gateway.loadRules({
          rulesFile: options.rules,
          preset: options.preset,
          resource: options.resource,
        });
        process.stdout.write(`rules OK: ${rules.rules.length} rules\n`);
        return;
      }
      const { url, token } = await settings({});
      const { default: pino } = await import('pino');
      const log: GatewayLogger = pino({ level: options.logLevel });
      const running = await startGateway({
        upstream: options.upstream,
        rulesFile: options.rules,
        preset: options.preset,
        resource: options.resource,
        port: options.port,
        host: options.host,
        trustProxy: options.trustProxy === true,
        logger: log,
        latchkeyUrl: options.latchkey ?? url,
        token: options.token ?? token,
        cache: options.cache
          ? options.cacheTtl === undefined
            ? {}
            : { ttlMs: options.cacheTtl * 1000 }
          : false,
        serve: options.serve
          ? {
              ...(options.servePort === undefined ? {} : { port: options.servePort }),
              ...(options.serveHost === undefined ? {} : { host: options.serveHost }),
              ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
            }
          : undefined,
      });
      if (!running.cached) {
        log.warn(
          'verifying without a cache: every request asks the Latchkey server (give --token or LATCHKEY_TOKEN to cache)',
        );
      }
      if (!running.server && !(options.token ?? token)) {
        log.warn(
          "without --token, Latchkey does not believe the client addresses the gateway sends: allowedIps are judged on the gateway's own address and every client's failed verifications count against it (unless it is in the server's VERIFY_TRUSTED_PROXIES)",
        );
      }
      log.info(
        { upstream: options.upstream, verifier: running.server ? 'in-process' : (options.latchkey ?? url) },
        `Latchkey gateway is serving on ${running.url}`,
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping the gateway');
        const timer = setTimeout(() => process.exit(1), 10_000);
        timer.unref();
        running.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    } catch (error) {
      if (error instanceof gateway.RulesError)
        fail(`the rules are wrong:\n  ${error.message.split('\n').join('\n  ')}`);
      else if (error instanceof gateway.GatewayStartError) fail(error.message);
      else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') fail((error as Error).message);
      else throw error;
    }
  });
}
