import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { orgRequest } from '../http/request-context.ts';
import { errorResponses, noContent, OrgParams, PageQuery, readErrors } from '../http/schemas.ts';
import {
  createEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  patchEndpoint,
  pingEndpoint,
  removeEndpoint,
} from './webhooks.service.ts';

const HookId = Type.String({ pattern: '^whk_[0-9A-Za-z]{1,40}$', maxLength: 50 });
const HookParams = Type.Object({ org: OrgParams.properties.org, hook: HookId });
const Url = Type.String({ minLength: 8, maxLength: 2000 });
const Events = Type.Array(Type.String({ maxLength: 60 }), { minItems: 1, maxItems: 50 });
const Description = Type.String({ maxLength: 500 });

const EndpointSchema = Type.Object(
  {
    id: Type.String(),
    orgId: Type.String(),
    url: Type.String(),
    description: Type.String(),
    events: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    disabledReason: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    createdBy: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'WebhookEndpoint' },
);

const DeliverySchema = Type.Object(
  {
    id: Type.String(),
    event: Type.String(),
    status: Type.Union([
      Type.Literal('pending'),
      Type.Literal('sent'),
      Type.Literal('failed'),
      Type.Literal('cancelled'),
    ]),
    attempts: Type.Integer(),
    responseCode: Type.Union([Type.Integer(), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
    doneAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'WebhookDelivery' },
);

export function webhooksRoutes(app: App, deps: Deps): void {
  app.addSchema(EndpointSchema);
  app.addSchema(DeliverySchema);
  const tags = ['webhooks'];

  app.get(
    '/v1/orgs/:org/webhooks',
    {
      schema: {
        tags,
        operationId: 'listWebhooks',
        summary: 'Webhook endpoints of the org (audit:read)',
        params: OrgParams,
        response: {
          200: Type.Object({ items: Type.Array(Type.Ref('WebhookEndpoint')), nextCursor: Type.Null() }),
          ...readErrors,
        },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return listEndpoints(deps, access);
    },
  );

  app.post(
    '/v1/orgs/:org/webhooks',
    {
      schema: {
        tags,
        operationId: 'createWebhook',
        summary:
          'Add an endpoint; the answer holds its signing secret, shown this once (a signed-in administrator)',
        params: OrgParams,
        body: Type.Object(
          { url: Url, events: Events, description: Type.Optional(Description) },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Intersect([Type.Ref('WebhookEndpoint'), Type.Object({ secret: Type.String() })]),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      reply.header('cache-control', 'no-store');
      return reply.code(201).send(await createEndpoint(deps, ctx, access, request.body));
    },
  );

  app.get(
    '/v1/orgs/:org/webhooks/:hook',
    {
      schema: {
        tags,
        operationId: 'getWebhook',
        summary: 'One endpoint (audit:read)',
        params: HookParams,
        response: { 200: Type.Ref('WebhookEndpoint'), ...readErrors },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return getEndpoint(deps, access, request.params.hook);
    },
  );

  app.patch(
    '/v1/orgs/:org/webhooks/:hook',
    {
      schema: {
        tags,
        operationId: 'updateWebhook',
        summary:
          'Change the address, the events or the description; enable or disable (a signed-in administrator)',
        params: HookParams,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            events: Type.Optional(Events),
            description: Type.Optional(Description),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Ref('WebhookEndpoint'), ...errorResponses },
      },
    },
    async (request) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      return patchEndpoint(deps, ctx, access, request.params.hook, request.body);
    },
  );

  app.delete(
    '/v1/orgs/:org/webhooks/:hook',
    {
      schema: {
        tags,
        operationId: 'deleteWebhook',
        summary: 'Delete an endpoint; its pending deliveries are dropped (a signed-in administrator)',
        params: HookParams,
        response: { ...noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      await removeEndpoint(deps, ctx, access, request.params.hook);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/orgs/:org/webhooks/:hook/ping',
    {
      schema: {
        tags,
        operationId: 'pingWebhook',
        summary:
          'Queue a signed `ping` event to the endpoint; the answer is its delivery (a signed-in administrator)',
        params: HookParams,
        response: { 202: Type.Ref('WebhookDelivery'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ctx, access } = await orgRequest(deps, request, request.params.org);
      return reply.code(202).send(await pingEndpoint(deps, ctx, access, request.params.hook));
    },
  );

  app.get(
    '/v1/orgs/:org/webhooks/:hook/deliveries',
    {
      schema: {
        tags,
        operationId: 'listWebhookDeliveries',
        summary: 'The delivery log of an endpoint, newest first (audit:read)',
        params: HookParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: {
          200: Type.Object({
            items: Type.Array(Type.Ref('WebhookDelivery')),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...readErrors,
        },
      },
    },
    async (request) => {
      const { access } = await orgRequest(deps, request, request.params.org);
      return listDeliveries(deps, access, request.params.hook, request.query);
    },
  );
}
