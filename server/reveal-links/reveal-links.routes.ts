import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { orgRequest } from '../http/request-context.ts';
import { errorResponses } from '../http/schemas.ts';
import { TokenParams } from '../tokens/tokens.schema.ts';
import { linkForHeldValue, listRevealLinks, openRevealLink } from './reveal-links.service.ts';

const Iso = Type.String({ format: 'date-time' });
const Ttl = Type.Union([Type.Integer({ minimum: 60, maximum: 7 * 86_400 }), Type.String({ maxLength: 20 })], {
  description: 'how long the link works: seconds or a number with s, m, h or d (default 15m, at most 7d)',
});

export const IssuedLinkSchema = Type.Object(
  {
    id: Type.String(),
    url: Type.String({ description: 'the one-time link; its fragment holds the only copy of the key' }),
    expiresAt: Iso,
  },
  { $id: 'IssuedLink' },
);

const RevealLinkSchema = Type.Object({
  id: Type.String(),
  tokenId: Type.String(),
  createdBy: Type.String(),
  createdAt: Iso,
  expiresAt: Iso,
  status: Type.Union([Type.Literal('pending'), Type.Literal('opened'), Type.Literal('expired')]),
  openedAt: Type.Union([Iso, Type.Null()]),
  openedIp: Type.Union([Type.String(), Type.Null()]),
});

/** One-time reveal links (docs/api.md "One-time links"). */
export function revealLinksRoutes(app: App, deps: Deps): void {
  const tags = ['tokens'];
  app.addSchema(IssuedLinkSchema);

  app.post(
    '/v1/reveal',
    {
      config: { rateLimit: { max: deps.config.loginAttemptsPerMinute, timeWindow: 60_000 } },
      schema: {
        tags,
        operationId: 'openRevealLink',
        security: [],
        summary:
          'Open a one-time link with the key from its fragment: the value once, then "opened" or "expired"',
        body: Type.Object(
          {
            key: Type.String({ minLength: 1, maxLength: 100, description: 'the text after "#" in the link' }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Union([
            Type.Object({
              status: Type.Literal('revealed'),
              token: Type.String(),
              clientId: Type.String(),
              tokenName: Type.String(),
              orgName: Type.String(),
              expiresAt: Type.Union([Iso, Type.Null()]),
            }),
            Type.Object({ status: Type.Literal('opened'), openedAt: Iso }),
            Type.Object({ status: Type.Literal('expired'), expiredAt: Iso }),
          ]),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const agent = request.headers['user-agent'];
      const answer = await openRevealLink(
        deps,
        {
          system: 'reveal-link',
          ip: request.ip,
          userAgent: typeof agent === 'string' ? agent.slice(0, 500) : null,
          requestId: request.id,
        },
        request.body.key,
      );
      return reply.header('cache-control', 'no-store').send(answer);
    },
  );

  app.get(
    '/v1/orgs/:org/tokens/:tok/links',
    {
      schema: {
        tags,
        operationId: 'listRevealLinks',
        summary: "A token's one-time links, newest first: whether and when each was opened",
        params: TokenParams,
        response: { 200: Type.Object({ items: Type.Array(RevealLinkSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return listRevealLinks(deps, access, request.params.tok);
    },
  );

  app.post(
    '/v1/orgs/:org/tokens/:tok/links',
    {
      schema: {
        tags,
        operationId: 'createRevealLink',
        summary: 'A one-time link for a value the caller holds (it must be a working value of this token)',
        params: TokenParams,
        body: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 1000 }), ttl: Type.Optional(Ttl) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref('IssuedLink'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      const link = await linkForHeldValue(
        deps,
        ctx,
        access,
        request.params.tok,
        request.body.token,
        request.body.ttl,
      );
      return reply.code(201).header('cache-control', 'no-store').send(link);
    },
  );
}
