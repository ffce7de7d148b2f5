import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { orgRequest } from '../http/request-context.ts';
import { Id, OrgParams, Page, PageQuery, readErrors } from '../http/schemas.ts';
import { listAudit } from './audit.service.ts';

const AuditEventSchema = Type.Object(
  {
    id: Type.String(),
    orgId: Type.String(),
    action: Type.String(),
    actor: Type.Object({ type: Type.String(), id: Type.String() }),
    target: Type.Object({ type: Type.String(), id: Type.String() }),
    at: Type.String(),
    ip: Type.Union([Type.String(), Type.Null()]),
    userAgent: Type.Union([Type.String(), Type.Null()]),
    requestId: Type.Union([Type.String(), Type.Null()]),
    details: Type.Unknown(),
  },
  { $id: 'AuditEvent' },
);

export function auditRoutes(app: App, deps: Deps): void {
  app.addSchema(AuditEventSchema);
  app.get(
    '/v1/orgs/:org/audit',
    {
      schema: {
        tags: ['audit'],
        operationId: 'listAuditEvents',
        summary: 'Audit events, newest first',
        params: OrgParams,
        querystring: Type.Object(
          {
            ...PageQuery,
            tokenId: Type.Optional(Id('tok')),
            action: Type.Optional(Type.String({ maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(Type.Ref('AuditEvent')), ...readErrors },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return listAudit(deps, access, request.query);
    },
  );
}
