import { Type } from 'typebox';
import { requestInfo } from '../auth/auth.routes.ts';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { setSessionCookie } from '../http/request-context.ts';
import { urlRefusals } from '../http/schemas.ts';
import { FLOW_COOKIE, FLOW_TTL_MS, finishSso, SsoError, startSso } from './sso.service.ts';

const ProviderParams = Type.Object({ provider: Type.String({ pattern: '^[a-z0-9-]{1,40}$' }) });

/** Single sign-on with OpenID Connect (docs/api.md "Single sign-on"): browser redirects, not JSON calls. */
export function ssoRoutes(app: App, deps: Deps): void {
  const tags = ['sso'];
  const secure = deps.config.publicUrl.startsWith('https://');
  const limited = { rateLimit: { max: deps.config.loginAttemptsPerMinute, timeWindow: 60_000 } };
  const refused = (error: unknown) => {
    if (error instanceof SsoError) return `/login?sso_error=${error.refusal}`;
    throw error;
  };

  app.get(
    '/v1/auth/sso/providers',
    {
      schema: {
        tags,
        operationId: 'listSsoProviders',
        security: [],
        summary: 'The single sign-on providers the sign-in page offers ("Continue with …")',
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })) }),
          ...urlRefusals,
        },
      },
    },
    async () => ({ items: deps.config.ssoProviders.map((p) => ({ id: p.id, name: p.name })) }),
  );

  app.get(
    '/v1/auth/sso/:provider/start',
    {
      config: limited,
      schema: {
        tags,
        operationId: 'startSso',
        security: [],
        summary: "Redirects to the provider's sign-in (code flow with PKCE, state and nonce)",
        params: ProviderParams,
        // Browser navigation, not an API call (it answers only redirects: to the provider, to the console,
        // or to /login?sso_error=CODE), so it stays out of the OpenAPI contract; docs/api.md describes it.
        hide: true,
      },
    },
    async (request, reply) => {
      try {
        const { url, flowCookie } = await startSso(deps, request.params.provider);
        reply.setCookie(FLOW_COOKIE, flowCookie, {
          path: '/v1/auth/sso',
          httpOnly: true,
          sameSite: 'lax',
          secure,
          maxAge: FLOW_TTL_MS / 1000,
        });
        return reply.header('cache-control', 'no-store').redirect(url, 302);
      } catch (error) {
        return reply.redirect(refused(error), 302);
      }
    },
  );

  app.get(
    '/v1/auth/sso/:provider/callback',
    {
      config: limited,
      schema: {
        tags,
        operationId: 'finishSso',
        security: [],
        summary: 'Where the provider sends the browser back; signs in and redirects to the console',
        params: ProviderParams,
        // Browser navigation, not an API call (it answers only redirects: to the provider, to the console,
        // or to /login?sso_error=CODE), so it stays out of the OpenAPI contract; docs/api.md describes it.
        hide: true,
      },
    },
    async (request, reply) => {
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
      reply.clearCookie(FLOW_COOKIE, { path: '/v1/auth/sso' });
      reply.header('cache-control', 'no-store');
      try {
        const session = await finishSso(
          deps,
          request.params.provider,
          { query, flowCookie: request.cookies[FLOW_COOKIE] },
          requestInfo(request),
        );
        setSessionCookie(deps, reply, session.sessionId);
        return reply.redirect('/', 302);
      } catch (error) {
        return reply.redirect(refused(error), 302);
      }
    },
  );
}
