import { sql } from 'kysely';
import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { urlRefusals } from '../http/schemas.ts';

const Status = (value: string) =>
  Type.Object({ status: Type.Literal(value) }, { additionalProperties: false });

export function healthRoutes(app: App, deps: Deps): void {
  const tags = ['operations'];
  app.get(
    '/healthz',
    {
      schema: {
        tags,
        operationId: 'getHealth',
        summary: 'Liveness: the process answers',
        security: [],
        response: { 200: Status('ok'), ...urlRefusals },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags,
        operationId: 'getReadiness',
        summary: 'Readiness: the database answers',
        security: [],
        response: {
          200: Status('ready'),
          ...urlRefusals,
          503: Type.Ref('ErrorEnvelope', { description: 'UNAVAILABLE: the database is unreachable' }),
        },
      },
    },
    async (_request, reply) => {
      try {
        await sql`select 1`.execute(deps.db);
        return { status: 'ready' as const };
      } catch {
        return reply
          .code(503)
          .send({ error: { code: 'UNAVAILABLE', message: 'the database is unreachable' } });
      }
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags,
        operationId: 'getMetrics',
        summary: 'Prometheus metrics, in the text exposition format',
        security: [],
        response: {
          200: {
            description: 'The metrics',
            content: { 'text/plain; version=0.0.4': { schema: Type.String() } },
          },
          ...urlRefusals,
        },
      },
    },
    async (_request, reply) => {
      reply.header('content-type', deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );
}
