import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { requestContext } from '../http/request-context.ts';
import { PageQuery, readErrors } from '../http/schemas.ts';
import { requireSession } from '../orgs/access.ts';
import { orgsOfUser } from '../orgs/orgs.repository.ts';

const OutboxMailSchema = Type.Object(
  {
    id: Type.String(),
    to: Type.String(),
    subject: Type.String(),
    date: Type.Union([Type.String(), Type.Null()]),
    orgId: Type.Union([Type.String(), Type.Null()]),
    kind: Type.Union([Type.String(), Type.Null()]),
    text: Type.String(),
  },
  { $id: 'OutboxMail' },
);

const header = (value: unknown) => (typeof value === 'string' ? value : null);

/**
 * Without SMTP the outbox is the delivery, so people read it here. A signed-in user sees the mails addressed
 * to them, and an Organization Administrator also the mails about their orgs (invitations, notices) except
 * mails holding a token's value, which only their recipient sees. Newest first; the cursor is a mail's id.
 */
export function outboxRoutes(app: App, deps: Deps): void {
  app.addSchema(OutboxMailSchema);
  app.get(
    '/v1/outbox',
    {
      schema: {
        tags: ['mail'],
        operationId: 'listOutbox',
        summary: 'Mails in the outbox (without SMTP): your own, and those about orgs you administer',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: {
          200: Type.Object({
            items: Type.Array(Type.Ref('OutboxMail')),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
            transport: Type.String({ description: 'outbox, or smtp (then the list is empty)' }),
          }),
          ...readErrors,
        },
      },
    },
    async (request, reply) => {
      const ctx = await requestContext(deps, request);
      requireSession(ctx.principal);
      reply.header('cache-control', 'no-store');
      const user = ctx.principal.user;
      const administered = new Set(
        (await orgsOfUser(deps.db, user.id)).filter((o) => o.roleId === 'rol_admin').map((o) => o.id),
      );
      const dir = join(deps.config.dataDir, 'outbox');
      const files = (await readdir(dir).catch(() => [] as string[]))
        .filter((f) => f.endsWith('.eml'))
        .sort()
        .reverse();
      const { cursor, limit } = request.query;
      const items = [];
      let more = false;
      for (const file of files) {
        const id = file.slice(0, -4);
        if (cursor !== undefined && id >= cursor) continue;
        // Loaded on first use: mailparser builds its character-set and link tables when loaded, a cost
        // every start-up paid for a page only an operator without SMTP opens (issue 13).
        const { simpleParser } = await import('mailparser');
        const parsed = await simpleParser(await readFile(join(dir, file)));
        const to =
          parsed.to === undefined
            ? ''
            : [parsed.to]
                .flat()
                .map((a) => a.text)
                .join(', ');
        const orgId = header(parsed.headers.get('x-latchkey-org'));
        const kind = header(parsed.headers.get('x-latchkey-kind'));
        // Account mails (password reset, address verification) prove a mailbox: the console never shows them;
        // without SMTP the operator reads them from the outbox folder (docs/security.md, rule 5).
        if (kind?.startsWith('account.')) continue;
        const own = to.toLowerCase() === user.email.toLowerCase();
        const asAdmin = orgId !== null && administered.has(orgId) && kind !== 'token.value';
        if (!own && !asAdmin) continue;
        if (items.length === limit) {
          more = true;
          break;
        }
        items.push({
          id,
          to,
          subject: parsed.subject ?? '',
          date: parsed.date ? parsed.date.toISOString() : null,
          orgId,
          kind,
          // An invitation's mailbox proof is for the mailbox only, not for whoever reads the outbox.
          text: (parsed.text ?? '').replace(/&proof=[A-Za-z0-9_-]+/g, ''),
        });
      }
      const last = items[items.length - 1];
      return { items, nextCursor: more && last ? last.id : null, transport: deps.mailer.transport };
    },
  );
}
