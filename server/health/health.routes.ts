import { sql } from 'kysely';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';

export function healthRoutes(app: App, deps: Deps): void {
  const quiet = { schema: { tags: ['operations'] } };
  app.get('/healthz', quiet, async () => ({ status: 'ok' }));

  app.get('/readyz', quiet, async (_request, reply) => {
    try {
      await sql`select 1`.execute(deps.db);
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ error: { code: 'UNAVAILABLE', message: 'the database is unreachable' } });
    }
  });

  app.get('/metrics', quiet, async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
