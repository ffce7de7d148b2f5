import { parseIpAddress, readBearer, VERIFY_CODES } from '@latchkey/sdk/rules';
import type {
  FastifyBaseLogger,
  FastifyReply,
  FastifySchemaCompiler,
  FastifySchemaValidationError,
} from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import { AppError, invalid } from '../errors.ts';
import type { App } from '../http/app-type.ts';
import { corsHook } from '../http/cors.ts';
import { trustedProxyTest } from './trusted-proxies.ts';
import type { CredentialOutcome, VerifyOutcome, Vouched } from './verifier.ts';

// The body's limits, read by the schema and by the hand check below alike.
const LIMITS = { token: 1000, key: 100, keys: 100, resource: 100, ip: 64 } as const;

const PermissionList = Type.Array(Type.String({ maxLength: LIMITS.key }), {
  minItems: 1,
  maxItems: LIMITS.keys,
});

export const VerifyBody = Type.Object(
  {
    token: Type.String({ maxLength: LIMITS.token }),
    permission: Type.Optional(
      Type.Union([
        Type.String({ maxLength: LIMITS.key }),
        Type.Object({ all: PermissionList }, { additionalProperties: false }),
        Type.Object({ any: PermissionList }, { additionalProperties: false }),
      ]),
    ),
    resource: Type.Optional(Type.String({ maxLength: LIMITS.resource })),
    ip: Type.Optional(
      Type.String({
        maxLength: LIMITS.ip,
        description:
          'the end client address the calling API saw; honoured only from a trusted caller (see the description)',
      }),
    ),
  },
  { additionalProperties: false, title: 'VerifyRequest' },
);

const isText = (value: unknown, maxLength: number): boolean =>
  // ajv's maxLength counts code points; a string of at most maxLength UTF-16 units has no more of them.
  typeof value === 'string' && value.length <= maxLength;

function isPermissionList(list: unknown): boolean {
  if (!Array.isArray(list) || list.length < 1 || list.length > LIMITS.keys) return false;
  for (const item of list) if (!isText(item, LIMITS.key)) return false;
  return true;
}

/**
 * Whether a verify body is one {@link VerifyBody} certainly accepts, checked by hand: the hot route's
 * bodies skip the schema validator (issue 13). It answers false for anything it is not sure of, and the
 * compiled schema then decides and words the error, so the errors are the schema's own.
 */
export function isPlainVerifyBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const fields = body as Record<string, unknown>;
  if (!isText(fields.token, LIMITS.token)) return false;
  for (const key in fields) {
    const value = fields[key];
    switch (key) {
      case 'token':
        break;
      case 'resource':
        if (!isText(value, LIMITS.resource)) return false;
        break;
      case 'ip':
        if (!isText(value, LIMITS.ip)) return false;
        break;
      case 'permission':
        if (isText(value, LIMITS.key)) break;
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
        {
          const keys = Object.keys(value);
          const list = (value as Record<string, unknown>)[keys[0] ?? ''];
          if (keys.length !== 1 || (keys[0] !== 'all' && keys[0] !== 'any') || !isPermissionList(list))
            return false;
        }
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The body's validator: {@link isPlainVerifyBody} first, the compiled schema for everything else. */
function handCheckedBody(compile: FastifySchemaCompiler<unknown>): FastifySchemaCompiler<unknown> {
  return (route) => {
    const schemaCheck = compile(route) as ((data: unknown) => boolean) & {
      errors?: FastifySchemaValidationError[] | null;
    };
    if (route.httpPart !== 'body') return schemaCheck;
    const check = Object.assign(
      (data: unknown) => {
        if (isPlainVerifyBody(data)) return true;
        const valid = schemaCheck(data);
        check.errors = schemaCheck.errors;
        return valid;
      },
      { errors: undefined as FastifySchemaValidationError[] | null | undefined },
    );
    return check;
  };
}

/**
 * The request logger of a verification, made only if something logs: a pino child per request (with its
 * bindings serialized) was visible in the hot path's profile, and verifications rarely log (issue 13).
 */
type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export class OnDemandLogger {
  private made: FastifyBaseLogger | undefined;
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Record<string, unknown>,
    private readonly options: object,
  ) {}
  private get logger(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }
  private get log(): Record<LogLevel, (...args: unknown[]) => void> {
    return this.logger as unknown as Record<LogLevel, (...args: unknown[]) => void>;
  }
  get level(): string {
    return this.made?.level ?? this.parent.level;
  }
  set level(level: string) {
    this.logger.level = level;
  }
  fatal(...args: unknown[]): void {
    this.log.fatal(...args);
  }
  error(...args: unknown[]): void {
    this.log.error(...args);
  }
  warn(...args: unknown[]): void {
    this.log.warn(...args);
  }
  info(...args: unknown[]): void {
    this.log.info(...args);
  }
  debug(...args: unknown[]): void {
    this.log.debug(...args);
  }
  trace(...args: unknown[]): void {
    this.log.trace(...args);
  }
  silent(...args: unknown[]): void {
    this.log.silent(...args);
  }
  child(bindings: Record<string, unknown>, options?: object): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

const VerifyAnswer = Type.Union(
  [
    Type.Object({
      valid: Type.Literal(true),
      token: Type.Object({
        id: Type.String(),
        orgId: Type.String(),
        kind: Type.Union([Type.Literal('personal'), Type.Literal('application')]),
        ownerId: Type.Union([Type.String(), Type.Null()]),
        permissions: Type.Array(Type.String()),
        resourceIds: Type.Union([Type.Array(Type.String()), Type.Null()]),
        expiresAt: Type.Union([Type.String(), Type.Null()]),
        allowedIps: Type.Union([Type.Array(Type.String()), Type.Null()]),
        rateLimit: Type.Union([
          Type.Object({ limit: Type.Integer(), windowSeconds: Type.Integer() }),
          Type.Null(),
        ]),
        valueExpiresAt: Type.Union([Type.String(), Type.Null()], {
          description: 'when this value stops working: the end of a rotation grace period',
        }),
      }),
    }),
    Type.Object({
      valid: Type.Literal(false),
      code: Type.Union(VERIFY_CODES.map((c) => Type.Literal(c))),
    }),
  ],
  { title: 'VerifyResult' },
);

/** The answer to a caller whose address failed too many verifications: 429 with Retry-After. */
export function throttledVerification(retryAfterSeconds: number): AppError {
  return new AppError(
    'RATE_LIMITED',
    'too many failed verifications from this address; retry later',
    undefined,
    {
      'retry-after': String(retryAfterSeconds),
    },
  );
}

/** The answer to a verify caller whose own credential does not work. */
function refusedCredential(outcome: Exclude<CredentialOutcome, { ok: true }>): AppError {
  if ('throttled' in outcome) {
    return new AppError(
      'RATE_LIMITED',
      'too many failed attempts from this address; retry later',
      undefined,
      {
        'retry-after': String(outcome.retryAfterSeconds),
      },
    );
  }
  return new AppError(
    'UNAUTHENTICATED',
    "the Authorization token, which vouches for the body's ip, is not valid; send a valid token or no Authorization header",
    { field: 'authorization' },
  );
}

export function verifyRoutes(app: App, deps: Deps): void {
  const answer = (reply: FastifyReply, outcome: VerifyOutcome): FastifyReply => {
    if ('throttled' in outcome) {
      deps.metrics.verifyResult('THROTTLED');
      throw throttledVerification(outcome.retryAfterSeconds);
    }
    deps.metrics.verifyResult(outcome.valid ? 'valid' : outcome.code);
    return reply.type('application/json; charset=utf-8').send(outcome.body);
  };

  const fromTrustedProxy = trustedProxyTest(deps.config.verifyTrustedProxies);
  let warnedIgnored = false;

  /** The end client named by `ip`, once the caller is known to be trusted: a valid address, normalized. */
  const vouchedFor = (ip: string, orgId: string | null): Vouched => {
    const address = parseIpAddress(ip);
    if (address === null) {
      throw invalid('ip must be an IPv4 or IPv6 address', { field: 'ip' });
    }
    return { ip: address.toString(), orgId };
  };

  const schemaCompiler = app.validatorCompiler;
  if (schemaCompiler === undefined) throw new Error('verifyRoutes needs the validator compiler set first');
  const cors = corsHook(deps.config);

  app.post(
    '/v1/verify',
    {
      validatorCompiler: handCheckedBody(schemaCompiler),
      childLoggerFactory: (logger, bindings, options) =>
        new OnDemandLogger(logger, bindings, options) as unknown as FastifyBaseLogger,
      ...(cors && { onRequest: cors }),
      // The hot path: no request log lines (see quietRequests in app.ts); registered in a scope without
      // the cookie and helmet plugins (app.ts); the answer is a string put together from cached parts.
      schema: {
        tags: ['verify'],
        operationId: 'verifyToken',
        security: [],
        summary: 'Is this token valid, and may it do this? Needs no credential besides the token.',
        description:
          '`ip` is honoured only from a trusted caller: one sending `Authorization: Bearer` with a valid token of ' +
          "the verified token's org, or one at an address in VERIFY_TRUSTED_PROXIES. From anyone else it is " +
          "ignored, and the caller's own address is judged (docs/security.md).",
        body: VerifyBody,
        response: {
          200: VerifyAnswer,
          400: Type.Ref('ErrorEnvelope'),
          401: Type.Ref('ErrorEnvelope'),
          429: Type.Ref('ErrorEnvelope'),
        },
      },
    },
    (request, reply) => {
      // Set here: the root scope has no request-id hook (app.ts).
      reply.header('x-request-id', request.id);
      const { body } = request;
      const authorization = request.headers.authorization;
      const now = Date.now();
      // Most verifications come without `ip`, or from a caller whose `ip` is not believed: answered as
      // the caller's own, from memory when possible, with no extra step.
      if (body.ip === undefined || (authorization === undefined && !fromTrustedProxy(request.ip))) {
        if (body.ip !== undefined && !warnedIgnored) {
          warnedIgnored = true;
          request.log.warn(
            { callerIp: request.ip },
            'verify: ignoring "ip" from a caller that is not trusted (give the SDK or gateway a token, or list it in VERIFY_TRUSTED_PROXIES)',
          );
        }
        const fast = deps.verifier.verifyFromMemory(body, request.ip, now);
        if (fast !== undefined) return answer(reply, fast);
        return deps.verifier.verify(body, request.ip).then((outcome) => answer(reply, outcome));
      }
      const ip = body.ip;
      if (authorization === undefined) return answerVouched(vouchedFor(ip, null));
      const value = readBearer(authorization);
      if (value === undefined) {
        throw new AppError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"', {
          field: 'authorization',
        });
      }
      const checked = deps.verifier.credentialFromMemory(value, request.ip, now);
      if (checked !== undefined) return answerCredential(checked);
      return deps.verifier.credential(value, request.ip).then(answerCredential);

      function answerCredential(outcome: CredentialOutcome) {
        if (!('ok' in outcome) || !outcome.ok) throw refusedCredential(outcome);
        return answerVouched(vouchedFor(ip, fromTrustedProxy(request.ip) ? null : outcome.orgId));
      }
      function answerVouched(vouched: Vouched) {
        const fast = deps.verifier.verifyFromMemory(body, request.ip, Date.now(), vouched);
        if (fast !== undefined) return answer(reply, fast);
        return deps.verifier.verify(body, request.ip, vouched).then((outcome) => answer(reply, outcome));
      }
    },
  );
}
