// Cross-origin requests from browsers, as the rules file's `cors` section allows them. Pure: the proxy
// asks, this module answers with headers. Off unless the rules file names origins (docs/gateway.md, "CORS").
//
// CORS decides which pages may read the answers, not who may call: the token does that. A page of an
// allowed origin still needs a token with the permission; a page of another origin gets the same
// answers to requests sent without CORS (a script tag, a form, curl), but its scripts cannot read them.
import type { CorsPolicy } from './rules/index.ts';

/** Request headers a page may send without a preflight's permission (CORS-safelisted, Fetch standard). */
const SAFELISTED_REQUEST_HEADERS = new Set(['accept', 'accept-language', 'content-language']);

/** Whether a request is a CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(
  method: string,
  origin: string | undefined,
  requestMethod: string | undefined,
): boolean {
  return method === 'OPTIONS' && origin !== undefined && requestMethod !== undefined;
}

export type PreflightAnswer =
  | { allowed: true; headers: Record<string, string> }
  | {
      allowed: false;
      reason: 'ORIGIN_NOT_ALLOWED' | 'METHOD_NOT_ALLOWED' | 'HEADER_NOT_ALLOWED';
      message: string;
      headers: Record<string, string>;
    };

/**
 * The answer to a preflight: the methods and headers the policy allows, for an origin it names; or why
 * not. Either way the answer varies with `Origin`, so caches keep one per origin.
 */
export function preflight(
  policy: CorsPolicy,
  origin: string,
  requestMethod: string,
  requestHeaders: string | undefined,
): PreflightAnswer {
  const vary = { vary: 'Origin' };
  if (!policy.origins.has(origin.toLowerCase())) {
    return {
      allowed: false,
      reason: 'ORIGIN_NOT_ALLOWED',
      message: `Pages of ${origin} may not call through this gateway`,
      headers: vary,
    };
  }
  const method = requestMethod.toUpperCase();
  if (!policy.methods.includes(method)) {
    return {
      allowed: false,
      reason: 'METHOD_NOT_ALLOWED',
      message: `Cross-origin ${method} requests are not allowed (allowed: ${policy.methods.join(', ')})`,
      headers: vary,
    };
  }
  for (const raw of (requestHeaders ?? '').split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === '' || SAFELISTED_REQUEST_HEADERS.has(name) || policy.allowHeaders.includes(name)) continue;
    return {
      allowed: false,
      reason: 'HEADER_NOT_ALLOWED',
      message: `Cross-origin requests may not send the header ${name} (allowed: ${policy.allowHeaders.join(', ')})`,
      headers: vary,
    };
  }
  return {
    allowed: true,
    headers: {
      ...vary,
      'access-control-allow-origin': origin,
      ...(policy.credentials ? { 'access-control-allow-credentials': 'true' } : {}),
      'access-control-allow-methods': policy.methods.join(', '),
      'access-control-allow-headers': policy.allowHeaders.join(', '),
      'access-control-max-age': String(policy.maxAgeSeconds),
    },
  };
}

/**
 * The CORS headers of any other answer (forwarded or the gateway's own refusal): `Vary: Origin`
 * always, and for an allowed origin the permission to read it. Precomputed per origin by the caller
 * if it likes; cheap either way.
 */
export function responseCorsHeaders(policy: CorsPolicy, origin: string | undefined): Record<string, string> {
  if (origin === undefined || !policy.origins.has(origin.toLowerCase())) return { vary: 'Origin' };
  return {
    vary: 'Origin',
    'access-control-allow-origin': origin,
    ...(policy.credentials ? { 'access-control-allow-credentials': 'true' } : {}),
    ...(policy.exposeHeaders.length > 0
      ? { 'access-control-expose-headers': policy.exposeHeaders.join(', ') }
      : {}),
  };
}
