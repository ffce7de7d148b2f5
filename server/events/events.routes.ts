import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { authenticate } from '../http/request-context.ts';
import { listOrgs } from '../orgs/orgs.service.ts';
import type { TokenEvent } from './token-events.ts';

const PING_MS = 15_000;

export function eventsRoutes(app: App, deps: Deps): void {
  app.get(
    '/v1/events',
    {
      schema: {
        tags: ['events'],
        summary:
          "Server-Sent Events of token changes in the caller's orgs: token.revoked, token.rotated, token.changed, org.changed",
      },
    },
    async (request, reply) => {
      const principal = await authenticate(deps, request);
      const orgIds = new Set((await listOrgs(deps, principal)).map((o) => o.id));
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (type: string, data: unknown) =>
        out.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      const unsubscribe = deps.events.subscribe((event: TokenEvent) => {
        if (!orgIds.has(event.orgId)) return;
        if (event.type === 'org.changed' || event.type === 'resources.changed') {
          send('org.changed', { orgId: event.orgId });
        } else send(event.type, { tokenId: event.tokenId, orgId: event.orgId });
      });
      const ping = setInterval(() => out.write(': ping\n\n'), PING_MS);
      const end = () => out.end();
      const close = () => {
        clearInterval(ping);
        unsubscribe();
        deps.closing.delete(end);
      };
      request.raw.on('close', close);
      // Open streams would hold a shutdown forever; the server ends them when it stops.
      deps.closing.add(end);
      send('ready', {});
    },
  );
}
