import { type Command, InvalidArgumentError } from 'commander';
import { examples, settings } from './context.ts';

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
  const gateway = program
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
  examples(gateway, [
    'latchkey gateway --upstream http://127.0.0.1:3030 --preset near-rpc --latchkey http://127.0.0.1:4000 --token $GATEWAY_TOKEN',
    'latchkey gateway --upstream http://127.0.0.1:9000 --rules rules.yaml --port 8080',
    'latchkey gateway --upstream http://127.0.0.1:3030 --preset near-rpc --serve --data-dir /var/lib/latchkey',
    'latchkey gateway --upstream http://x --rules rules.yaml --check',
  ]);
  gateway.action(async (options: GatewayCommandOptions) => {
    // Loaded here: the other commands should not pay for the proxy and the server.
    const { RulesError } = await import('../../server/gateway/rules.ts');
    const { GatewayStartError, loadRules, startGateway } = await import('../../server/gateway/start.ts');
    const fail = (message: string) => {
      process.stderr.write(`latchkey gateway: ${message}\n`);
      process.exit(2);
    };
    try {
      if (options.check) {
        const rules = loadRules({
          rulesFile: options.rules,
          preset: options.preset,
          resource: options.resource,
        });
        process.stdout.write(`rules OK: ${rules.rules.length} rules\n`);
        return;
      }
      const { url, token } = await settings({});
      const running = await startGateway({
        upstream: options.upstream,
        rulesFile: options.rules,
        preset: options.preset,
        resource: options.resource,
        port: options.port,
        host: options.host,
        trustProxy: options.trustProxy === true,
        logger: { level: options.logLevel },
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
      const log = running.gateway.log;
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
      if (error instanceof RulesError)
        fail(`the rules are wrong:\n  ${error.message.split('\n').join('\n  ')}`);
      else if (error instanceof GatewayStartError) fail(error.message);
      else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') fail((error as Error).message);
      else throw error;
    }
  });
}
