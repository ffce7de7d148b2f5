import { createPublicKey, type KeyObject, verify as verifySignature } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { tokenHint } from '@latchkey/sdk/rules';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ConfigError } from '../config.ts';
import type { Deps, Principal } from '../context.ts';
import { AppError } from '../errors.ts';
import type { App } from '../http/app-type.ts';
import { authenticate, contextOf } from '../http/request-context.ts';
import { errorResponses } from '../http/schemas.ts';
import { orgAccess } from '../orgs/access.ts';
import { revokeLeaked, mayRevoke as revokeRuleAllows } from '../tokens/tokens.service.ts';

const Value = Type.String({ minLength: 1, maxLength: 1000 });
/** GitHub's secret-scanning shape: [{token, type, url, source}]; or simply {tokens: [...]}. */
const LeakReport = Type.Union([
  Type.Array(
    Type.Object({
      token: Value,
      type: Type.Optional(Type.String({ maxLength: 200 })),
      url: Type.Optional(Type.String({ maxLength: 2000 })),
      source: Type.Optional(Type.String({ maxLength: 200 })),
    }),
    { minItems: 1, maxItems: 100 },
  ),
  Type.Object({ tokens: Type.Array(Value, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false }),
]);

const KEY_ID_HEADER = 'github-public-key-identifier';
const SIGNATURE_HEADER = 'github-public-key-signature';

/** Reads `{public_keys: [{key_identifier, key}]}` (the document GitHub serves for secret-scanning partners). */
export function loadLeakReportKeys(path: string | undefined): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  if (path === undefined) return keys;
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`LEAK_REPORT_PUBLIC_KEYS: cannot read ${path}: ${(error as Error).message}`);
  }
  const list = (document as { public_keys?: unknown })?.public_keys;
  if (!Array.isArray(list)) throw new ConfigError(`LEAK_REPORT_PUBLIC_KEYS: ${path} has no public_keys list`);
  for (const entry of list as Array<{ key_identifier?: unknown; key?: unknown }>) {
    if (typeof entry?.key_identifier !== 'string' || typeof entry.key !== 'string') {
      throw new ConfigError(`LEAK_REPORT_PUBLIC_KEYS: every entry of ${path} needs key_identifier and key`);
    }
    let key: KeyObject;
    try {
      key = createPublicKey(entry.key);
    } catch (error) {
      throw new ConfigError(
        `LEAK_REPORT_PUBLIC_KEYS: key ${entry.key_identifier} is not a PEM public key: ${(error as Error).message}`,
      );
    }
    if (key.asymmetricKeyType !== 'ec') {
      throw new ConfigError(`LEAK_REPORT_PUBLIC_KEYS: key ${entry.key_identifier} is not an ECDSA key`);
    }
    keys.set(entry.key_identifier, key);
  }
  return keys;
}

type RawRequest = FastifyRequest & { rawBody?: string };

/** True for a report signed by a configured key; throws for a report whose signature headers do not check out. */
function signedReport(keys: Map<string, KeyObject>, request: RawRequest): boolean {
  const keyId = request.headers[KEY_ID_HEADER];
  const signature = request.headers[SIGNATURE_HEADER];
  if (keyId === undefined && signature === undefined) return false;
  const refused = () => new AppError('UNAUTHENTICATED', 'the leak report signature does not verify');
  if (typeof keyId !== 'string' || typeof signature !== 'string' || request.rawBody === undefined) {
    throw refused();
  }
  const key = keys.get(keyId);
  if (key === undefined) throw refused();
  let ok = false;
  try {
    ok = verifySignature(
      'sha256',
      Buffer.from(request.rawBody, 'utf8'),
      key,
      Buffer.from(signature, 'base64'),
    );
  } catch {
    ok = false;
  }
  if (!ok) throw refused();
  return true;
}

/**
 * An unsigned report is a request of a signed-in person or a token: each value is revoked only where the
 * caller could revoke that token itself (the rule of DELETE …/tokens/{tok}). Others read as unknown.
 */
async function mayRevoke(deps: Deps, principal: Principal, value: string): Promise<boolean> {
  const token = await deps.verifier.resolve(value);
  if (typeof token === 'string') return true; // unknown: revokeLeaked labels it, nothing to protect
  try {
    return revokeRuleAllows(await orgAccess(deps, principal, token.orgId), token);
  } catch {
    return false;
  }
}

export function leaksRoutes(app: App, deps: Deps): void {
  const keys = loadLeakReportKeys(deps.config.leakReportPublicKeysPath);
  // The signature covers the exact bytes sent: this route alone keeps the raw body beside the parsed one.
  void app.register(async (scope) => {
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      (request as RawRequest).rawBody = body as string;
      parseJson(request, body as string, done);
    });
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/v1/leaks',
      {
        schema: {
          tags: ['leaks'],
          operationId: 'reportLeaks',
          security: [{}, { bearer: [] }, { session: [] }],
          summary:
            'Report leaked token values; each live one is revoked (reason "leaked") and its owner e-mailed. ' +
            'Signed (GitHub secret-scanning headers) or sent with a session or token.',
          body: LeakReport,
          response: {
            200: Type.Array(
              Type.Object({
                token_hint: Type.String(),
                label: Type.Union([Type.Literal('true_positive'), Type.Literal('false_positive')]),
              }),
            ),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const now = Date.now();
        const retryAfter = deps.verifier.throttledFor(request.ip, now);
        if (retryAfter > 0) {
          throw new AppError(
            'RATE_LIMITED',
            'too many unknown values from this address; retry later',
            undefined,
            { 'retry-after': String(retryAfter) },
          );
        }
        const signed = signedReport(keys, request as RawRequest);
        const principal = signed ? undefined : await authenticate(deps, request);
        const values = Array.isArray(request.body) ? request.body.map((r) => r.token) : request.body.tokens;
        const agent = request.headers['user-agent'];
        const ctx = principal
          ? contextOf(request, principal)
          : {
              system: 'leak-report' as const,
              ip: request.ip,
              userAgent: typeof agent === 'string' ? agent.slice(0, 500) : null,
              requestId: request.id,
            };
        const allowed: string[] = [];
        const refused = new Set<number>();
        for (const [index, value] of values.entries()) {
          if (principal === undefined || (await mayRevoke(deps, principal, value))) allowed.push(value);
          else refused.add(index);
        }
        const revoked = await revokeLeaked(deps, ctx, allowed);
        const results: Array<{ token_hint: string; label: 'true_positive' | 'false_positive' }> = [];
        let next = 0;
        for (const [index, value] of values.entries()) {
          if (refused.has(index)) {
            results.push({ token_hint: tokenHint(value), label: 'false_positive' });
            await deps.verifier.recordFailure(request.ip, now);
            continue;
          }
          const result = revoked[next++];
          if (result === undefined) continue;
          if (result.label === 'false_positive' && !signed)
            await deps.verifier.recordFailure(request.ip, now);
          results.push({ token_hint: result.hint, label: result.label });
        }
        return results;
      },
    );
  });
}
