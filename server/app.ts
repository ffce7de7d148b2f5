import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyServerOptions, LogController } from 'fastify';
import { Gauge } from 'prom-client';
import { deleteLapsedAccountLinks } from './accounts/accounts.repository.ts';
import { accountsRoutes } from './accounts/accounts.routes.ts';
import { auditRoutes } from './audit/audit.routes.ts';
import { authRoutes } from './auth/auth.routes.ts';
import { deleteLapsedSessions } from './auth/users.repository.ts';
import { catalogRoutes } from './catalog/catalog.routes.ts';
import { loadCatalog } from './catalog/catalog.ts';
import type { Config } from './config.ts';
import type { Deps } from './context.ts';
import { connectDatabase, migrateToLatest } from './db/connect.ts';
import { eventsRoutes } from './events/events.routes.ts';
import { PostgresEventRelay } from './events/postgres-relay.ts';
import { TokenEvents } from './events/token-events.ts';
import { healthRoutes } from './health/health.routes.ts';
import { createMetrics } from './health/metrics.ts';
import type { App } from './http/app-type.ts';
import { installCors } from './http/cors.ts';
import { frameworkErrors, installErrorHandling } from './http/error-handler.ts';
import {
  collectRoutes,
  installHttpManners,
  installMethodNotAllowed,
  refuseTextBodies,
} from './http/manners.ts';
import { openapiOptions } from './http/openapi.ts';
import { ErrorEnvelope } from './http/schemas.ts';
import { insightsRoutes } from './insights/insights.routes.ts';
import { startInsightDigests } from './jobs/insights-digest.ts';
import { sealer } from './jobs/seal.ts';
import { JobWorker } from './jobs/worker.ts';
import { leaksRoutes } from './leaks/leaks.routes.ts';
import { createMailer } from './mail/mailer.ts';
import { outboxRoutes } from './mail/outbox.routes.ts';
import { deleteLapsedInvites } from './members/members.repository.ts';
import { membersRoutes } from './members/members.routes.ts';
import { orgsRoutes } from './orgs/orgs.routes.ts';
import { resourcesRoutes } from './resources/resources.routes.ts';
import { dropExpiredCiphertexts } from './reveal-links/reveal-links.repository.ts';
import { revealLinksRoutes } from './reveal-links/reveal-links.routes.ts';
import { rolesRoutes } from './roles/roles.routes.ts';
import { loadServerSecret } from './secret.ts';
import { ssoRoutes } from './sso/sso.routes.ts';
import { RotationEvidence } from './tokens/rotation-evidence.ts';
import { tokenInsightsRoutes } from './tokens/token-insights.routes.ts';
import { deleteLapsedSecrets } from './tokens/tokens.repository.ts';
import { tokensRoutes } from './tokens/tokens.routes.ts';
import { forwardAuthRoutes } from './verify/forward-auth.routes.ts';
import { deleteLapsedRateCounters, PostgresRateLimitStore } from './verify/postgres-rate-limiter.ts';
import { MemoryRateLimitStore, type RateLimitStore } from './verify/rate-limiter.ts';
import { UsageRecorder } from './verify/usage.ts';
import { Verifier } from './verify/verifier.ts';
import { verifyRoutes } from './verify/verify.routes.ts';
import { webhooksRoutes } from './webhooks/webhooks.routes.ts';

/** How long after listening the start-up scan of stored tokens begins (SQLite). */
const SCAN_START_DELAY_MS = 200;

export interface Latchkey {
  readonly app: App;
  readonly deps: Deps;
}

export interface BuildOptions {
  /** Fastify's logger option; tests pass a stream to read what would be logged. */
  logger?: FastifyServerOptions['logger'];
  /** Where the default logger writes (main.ts: readable lines on a terminal); stdout as JSON otherwise. */
  logStream?: NodeJS.WritableStream;
}

const defaultConsoleDir = fileURLToPath(new URL('../console/dist', import.meta.url));
const CLEANUP_INTERVAL_MS = 10 * 60_000;

/**
 * Compiling every route's validator at boot costs a good part of start-up; each is compiled when its
 * route is first called instead. (The security matrix and fuzz tests call every route, so a schema that
 * does not compile still fails the tests.)
 */
function compileOnFirstUse(compile: () => ValidateFunction) {
  let validate: ValidateFunction | undefined;
  const lazy = Object.assign(
    (data: unknown) => {
      validate ??= compile();
      const valid = validate(data);
      lazy.errors = validate.errors;
      return valid;
    },
    { errors: undefined as ValidateFunction['errors'] },
  );
  return lazy;
}

/** Verifications, probes and event streams are too frequent (or too long) for a log line each. */
const quietPaths = new Set(['/v1/verify', '/healthz', '/readyz', '/metrics', '/v1/events']);
function quietRequests(request: { url?: string }): boolean {
  const url = request.url ?? '';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  // The console's static files are not worth a line each either.
  return quietPaths.has(path) || !path.startsWith('/v1/');
}

function requestIds(): () => string {
  const prefix = randomBytes(6).toString('base64url');
  let counter = 0;
  return () => `${prefix}-${(++counter).toString(36)}`;
}

/** Query strings and path parameters arrive as text and are coerced; JSON bodies must have the right types. */
function validators() {
  const base = { allErrors: false, strict: false, useDefaults: true, removeAdditional: false } as const;
  const body = addFormats.default(new Ajv({ ...base, coerceTypes: false }));
  // An unknown query parameter is ignored (dropped), not refused: links and proxies add their own.
  const query = addFormats.default(new Ajv({ ...base, coerceTypes: 'array', removeAdditional: true }));
  return { body, query };
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<Latchkey> {
  const secret = loadServerSecret(config.dataDir, config.secret);
  const catalog = loadCatalog(config.catalogPath);
  const database = connectDatabase({
    dataDir: config.dataDir,
    ...(config.databaseUrl && { databaseUrl: config.databaseUrl }),
  });
  try {
    await migrateToLatest(database);
  } catch (error) {
    await database.close();
    throw error;
  }

  const app: App = Fastify({
    logger: options.logger ?? {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      ...(options.logStream && { stream: options.logStream }),
    },
    trustProxy: config.trustProxy,
    bodyLimit: 256 * 1024,
    // Unique across processes (random prefix) and cheaper than a UUID per request.
    genReqId: requestIds(),
    requestIdHeader: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Decided per request instead of a per-route log level, which would make pino rebuild every log
    // method of each request's child logger.
    logController: new LogController({ disableRequestLogging: quietRequests }),
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const ajv = validators();
  const validatorCompiler: Parameters<App['setValidatorCompiler']>[0] = ({ schema, httpPart }) =>
    compileOnFirstUse(() => (httpPart === 'body' ? ajv.body : ajv.query).compile(schema as object));
  app.setValidatorCompiler(validatorCompiler);
  // Response serializers too: compiling them all was a tenth of start-up. Shared schemas ($ref) are
  // looked up when the first answer of a route is written, after every schema was added.
  const buildSerializer = SerializerSelector();
  // Per scope: the shared schemas a scope's routes refer to are the ones it (or a parent) added.
  const serializerCompiler =
    (scope: App): Parameters<App['setSerializerCompiler']>[0] =>
    ({ schema, method, url, httpStatus }) => {
      let serialize: ((data: unknown) => string) | undefined;
      return (data: unknown) => {
        serialize ??= buildSerializer(
          scope.getSchemas(),
          {},
        )({ schema, method, url, httpStatus: httpStatus ?? '' });
        return serialize(data);
      };
    };
  app.setSerializerCompiler(serializerCompiler(app));

  // One process (SQLite) counts in memory; several on one PostgreSQL share counters there.
  const sharedLimits = database.pool
    ? new PostgresRateLimitStore(database.db, (error) =>
        app.log.warn({ err: error }, 'rate-limit counter update failed'),
      )
    : undefined;
  const rateLimits: RateLimitStore = sharedLimits ?? new MemoryRateLimitStore();
  const usage = new UsageRecorder(database.db, config.usageFlushIntervalMs, (error) =>
    app.log.error({ err: error }, 'usage flush failed; will retry'),
  );
  const verifier = new Verifier({
    database,
    secret,
    tokenPrefix: config.tokenPrefix,
    catalog,
    cacheSize: config.verifyCacheSize,
    cacheTtlMs: config.verifyCacheTtlMs,
    failureLimit: config.verifyFailureLimit,
    trustedFailureLimit: config.verifyTrustedFailureLimit,
    rateLimits,
    usage,
  });
  const mailer = createMailer({
    smtpUrl: config.smtpUrl,
    from: config.mailFrom,
    dataDir: config.dataDir,
    timeoutMs: 20_000,
  });
  const sealers = { mail: sealer(secret, 'queued mail'), webhook: sealer(secret, 'webhook secret') };
  const deps: Deps = {
    config,
    database,
    db: database.db,
    catalog,
    secret,
    verifier,
    usage,
    rateLimits,
    events: new TokenEvents(verifier),
    mailer,
    sealers,
    jobs: new JobWorker({
      db: database.db,
      dialect: database.dialect,
      mailer,
      mailSealer: sealers.mail,
      webhookSealer: sealers.webhook,
      log: app.log,
      publicUrl: () => deps.publicUrl(),
      intervalMs: config.workerIntervalMs,
      backoffBaseMs: config.retryBackoffBaseMs,
      retryWindowMs: config.retryWindowMs,
      noticeScanIntervalMs: config.noticeScanIntervalMs,
      webhookTimeoutMs: config.webhookTimeoutMs,
      webhookAllowPrivateNetworks: config.webhookAllowPrivateNetworks,
    }),
    metrics: createMetrics(verifier, usage),
    log: app.log,
    closing: new Set(),
    publicUrl: () => (config.publicUrlConfigured ? config.publicUrl : (boundUrl ?? config.publicUrl)),
  };
  // Rotation "until used" and reuse of stopped values (issue 17).
  const evidence = new RotationEvidence(deps);
  verifier.onFirstUse = (token, hash, ip) => evidence.firstUse(token, hash, ip);
  verifier.onRetiredValue = (token, ip) => evidence.oldValueReused(token, ip);
  let boundUrl: string | undefined;
  app.addHook('onListen', async () => {
    const address = app.server.address();
    if (address !== null && typeof address === 'object') {
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      boundUrl = `http://${host}:${address.port}`;
    }
  });

  const consoleDir = config.consoleDir ?? defaultConsoleDir;
  const relay =
    database.pool && config.databaseUrl
      ? new PostgresEventRelay(config.databaseUrl, database.pool, deps.events, verifier, app.log)
      : undefined;
  if (relay) {
    deps.events.relay = relay;
    if (sharedLimits) {
      sharedLimits.announce = (key, until) => relay.publishLimitReached(key, until);
      relay.onLimitReached = (key, until) => sharedLimits.block(key, until);
    }
    await relay.start();
    new Gauge({
      name: 'latchkey_event_listener_connected',
      help: '1 while this process listens for changes made by other processes (PostgreSQL)',
      registers: [deps.metrics.registry],
      collect() {
        this.set(relay.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'latchkey_event_listener_reconnects',
      help: 'Times the change listener reconnected since start',
      registers: [deps.metrics.registry],
      collect() {
        this.set(relay.reconnects);
      },
    });
  }

  const consoleIndex = existsSync(join(consoleDir, 'index.html'));
  installErrorHandling(app, { consoleIndex, notFound: false });
  refuseTextBodies(app);
  const routes = collectRoutes(app);
  await app.register(
    fastifySwagger,
    openapiOptions(() => deps.publicUrl()),
  );
  app.addSchema(ErrorEnvelope);
  // The hot route at the root, where no hook runs (it sets x-request-id itself, and takes the CORS hook
  // only when CORS_ORIGINS is set); every other route, with the request-id, CORS and HTTP-manners hooks,
  // the cookie, helmet and rate-limit plugins and the not-found handler (the console's pages), in a scope
  // of its own: their hooks never run for /v1/verify (issue 13). (A parent's hooks reach its children,
  // even those registered before them; a child's never reach its parent.)
  verifyRoutes(app, deps);
  forwardAuthRoutes(app, deps);
  await app.register(async (scope) => {
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();
    // A new scope does not take the root's compilers: the same strict validation everywhere.
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler(app));
    installErrorHandling(app, { consoleIndex });
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id);
      done();
    });
    installHttpManners(app);
    installCors(app, config);
    await app.register(fastifyCookie);
    const https = config.publicUrl.startsWith('https://');
    await app.register(fastifyHelmet, {
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
          upgradeInsecureRequests: https ? [] : null,
        },
      },
      hsts: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    });
    await app.register(fastifyRateLimit, { global: false });

    authRoutes(app, deps);
    accountsRoutes(app, deps);
    ssoRoutes(app, deps);
    catalogRoutes(app, deps);
    orgsRoutes(app, deps);
    membersRoutes(app, deps);
    rolesRoutes(app, deps);
    resourcesRoutes(app, deps);
    tokensRoutes(app, deps);
    tokenInsightsRoutes(app, deps);
    revealLinksRoutes(app, deps);
    insightsRoutes(app, deps);
    auditRoutes(app, deps);
    leaksRoutes(app, deps);
    webhooksRoutes(app, deps);
    outboxRoutes(app, deps);
    eventsRoutes(app, deps);
    healthRoutes(app, deps);
    app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    await app.after();
    installMethodNotAllowed(app, routes);

    if (consoleIndex) {
      await app.register(fastifyStatic, {
        root: consoleDir,
        prefix: '/',
        wildcard: true,
        index: ['index.html'],
      });
    }
  });

  usage.start();
  // One process on SQLite sees every value issued: the membership filter is built once the server
  // listens, in the background (on PostgreSQL the relay builds it once it listens for the other
  // processes' values). Not before: the scan's pages would hold start-up back, and until it is done
  // verification reads the database, right from the first request.
  if (!relay) {
    // And a moment after listening: the scan's first steps (counting a million stored values: 10–30 ms,
    // then pages of 3–5 ms) held back the first verifications, which come with the listening socket.
    let scanTimer: NodeJS.Timeout | undefined;
    app.addHook('onListen', async () => {
      scanTimer = setTimeout(() => verifier.setCaching(true), SCAN_START_DELAY_MS);
    });
    app.addHook('onClose', async () => clearTimeout(scanTimer));
  }
  // Started once the server listens, so mail links can use the bound address.
  app.addHook('onListen', async () => deps.jobs.start());
  // The weekly insights digest (issue 17), scanned as often as the notices.
  app.addHook('onListen', async () => {
    deps.closing.add(startInsightDigests(deps, config.noticeScanIntervalMs));
  });
  const cleanup = setInterval(() => {
    const now = Date.now();
    Promise.all([
      deleteLapsedSessions(database.db, now, now - config.sessionIdleMs),
      deleteLapsedInvites(database.db, now - 30 * 86_400_000),
      deleteLapsedSecrets(database.db, now),
      // An expired one-time link keeps its record, not its ciphertext.
      dropExpiredCiphertexts(database.db, now),
      // Kept a day past expiry: the per-hour mail limits count them.
      deleteLapsedAccountLinks(database.db, now - 86_400_000),
      database.pool ? deleteLapsedRateCounters(database.db, now - 86_400_000) : undefined,
    ]).catch((error) => app.log.warn({ err: error }, 'cleanup failed'));
  }, CLEANUP_INTERVAL_MS);
  cleanup.unref();

  app.addHook('preClose', async () => {
    for (const end of [...deps.closing]) end();
  });
  app.addHook('onClose', async () => {
    clearInterval(cleanup);
    // Jobs this process claimed go back to the queue before the connection closes.
    await deps.jobs.stop();
    mailer.close();
    await relay?.stop();
    await rateLimits.close?.();
    // Every recorded use reaches the database before the connection closes.
    await usage.stop();
    await database.close();
  });

  return { app, deps };
}
