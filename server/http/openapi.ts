import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';

/**
 * The OpenAPI document at /v1/openapi.json is a contract clients generate code from (openapi-typescript,
 * openapi-fetch): named component schemas, an operationId on every operation, per-operation security, and
 * zero findings from `redocly lint` with its recommended rules (test/contract/openapi.test.ts).
 */

/** Feature tags, in the order a reader meets them. */
const TAGS = [
  { name: 'auth', description: 'First-run setup, console sign-in and invitations by link' },
  { name: 'accounts', description: 'Your own account: password, e-mail address, sessions, invitations' },
  { name: 'catalog', description: 'The permission catalog and the built-in roles' },
  { name: 'orgs', description: 'Organizations and their token policy' },
  { name: 'members', description: 'Members of an organization, their roles, and pending invitations' },
  { name: 'roles', description: 'Built-in and custom roles' },
  { name: 'resources', description: 'Things a token can be limited to (a shard, a database)' },
  { name: 'tokens', description: 'Access tokens: create, list, edit, rotate, revoke' },
  { name: 'audit', description: 'Who did what to which token, when, from where' },
  { name: 'verify', description: 'Is a token valid, and may it do this?' },
  { name: 'leaks', description: 'Reports of leaked token values (secret scanning)' },
  { name: 'webhooks', description: 'Signed HTTP notifications of audit events' },
  { name: 'mail', description: 'The outbox, where mail goes without SMTP' },
  { name: 'events', description: 'Server-Sent Events of token changes' },
  { name: 'operations', description: 'Liveness, readiness and metrics probes' },
];

export function openapiOptions(publicUrl: () => string): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Latchkey API',
        version: '1',
        description: 'Access tokens: create, list, rotate, revoke and verify. See docs/api.md.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      tags: TAGS,
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'A Latchkey token: Authorization: Bearer lk_…',
          },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'lk_session',
            description:
              'The console session cookie (__Host-lk_session behind HTTPS); unsafe methods also need X-CSRF-Token',
          },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    // Shared schemas are named by their $id (TokenInfo, Member …), never def-0, def-1 …
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      return finishDocument(documentObject.openapiObject as OpenApiDocument, publicUrl());
    },
  };
}

type Json = Record<string, unknown>;
interface OpenApiDocument {
  servers?: { url: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
  [key: string]: unknown;
}
interface Operation {
  operationId?: string;
  requestBody?: unknown;
  responses: Record<string, Json>;
  [key: string]: unknown;
}

const errorRef = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
});

/** Answers every operation with a JSON body can give before its handler runs. */
const bodyRefusals = {
  '413': errorRef('PAYLOAD_TOO_LARGE: the body is over 256 KiB'),
  '415': errorRef('UNSUPPORTED_MEDIA_TYPE: the body is not application/json'),
};

function finishDocument(document: OpenApiDocument, publicUrl: string): OpenApiDocument {
  document.servers = [{ url: publicUrl, description: 'this server' }];
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations)) {
      // A parameter with a default (limit) may be left out.
      for (const parameter of (operation.parameters ?? []) as Json[]) {
        if (parameter.in === 'query' && (parameter.schema as Json | undefined)?.default !== undefined) {
          parameter.required = false;
        }
      }
      if (operation.requestBody !== undefined) {
        for (const [status, answer] of Object.entries(bodyRefusals)) operation.responses[status] ??= answer;
      }
      const createdAnswer = operation.responses['201'];
      if (createdAnswer !== undefined) {
        createdAnswer.headers = {
          Location: { description: 'where the created object can be read', schema: { type: 'string' } },
        };
      }
      for (const [status, answer] of Object.entries(operation.responses)) {
        // Fastify's placeholder says nothing; the schema's own description says what the answer is.
        if (answer.description === 'Default Response') answer.description = defaultDescription(status);
      }
    }
  }
  hoistTitledSchemas(document);
  return document;
}

function defaultDescription(status: string): string {
  const texts: Record<string, string> = {
    '200': 'OK',
    '201': 'Created',
    '202': 'Accepted; the work is queued',
    '204': 'Done; no body',
    '400': 'VALIDATION_FAILED: the request is not valid; details.fields names each refused field',
    '401': 'UNAUTHENTICATED: no valid session or token',
    '403': 'FORBIDDEN or SESSION_REQUIRED: the caller may not do this',
    '404': 'NOT_FOUND: no such object in this organization (or not yours to see)',
    '409': 'CONFLICT: the change clashes with the current state (a duplicate name, an object in use)',
    '429': 'RATE_LIMITED: too many attempts; Retry-After says when to come back',
    '503': 'UNAVAILABLE: the database is unreachable',
  };
  return texts[status] ?? 'See the error envelope';
}

/**
 * A schema with a `title` (TypeBox `{ title: 'IssuedToken' }`) becomes a named component and is referenced
 * from where it was written inline, so generated clients name it. One title, one shape: a title used for
 * two different shapes fails here (and the contract test), rather than one silently winning.
 */
function hoistTitledSchemas(document: OpenApiDocument): void {
  const schemas = document.components.schemas;
  const hoisted = new Map<string, string>();
  const visit = (value: unknown, top: boolean): unknown => {
    if (Array.isArray(value)) return value.map((item) => visit(item, false));
    if (value === null || typeof value !== 'object') return value;
    const object = value as Json;
    const copy: Json = {};
    for (const [key, child] of Object.entries(object)) {
      copy[key] = key === 'properties' || key === 'patternProperties' ? visitMap(child) : visit(child, false);
    }
    const title = copy.title;
    if (!top && typeof title === 'string' && /^[A-Z][A-Za-z0-9]*$/.test(title)) {
      const text = JSON.stringify(copy);
      const existing = hoisted.get(title);
      if (existing === undefined) {
        if (schemas[title] !== undefined && JSON.stringify(schemas[title]) !== text) {
          throw new Error(`OpenAPI: the title ${title} names a shared schema and another shape`);
        }
        schemas[title] = copy;
        hoisted.set(title, text);
      } else if (existing !== text) {
        throw new Error(`OpenAPI: the title ${title} is given to two different shapes`);
      }
      return { $ref: `#/components/schemas/${title}` };
    }
    return copy;
  };
  const visitMap = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value as Json).map(([key, child]) => [key, visit(child, false)]),
    );
  };
  for (const operations of Object.values(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      operations[method] = visit(operation, true) as Operation;
    }
  }
  for (const [name, schema] of Object.entries(schemas)) {
    if (hoisted.has(name)) continue;
    // Titles inside a shared schema become their own components too.
    schemas[name] = visit(schema, true) as Json;
  }
}
