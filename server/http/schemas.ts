import { type TSchema, Type } from 'typebox';

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
      requestId: Type.Optional(Type.String()),
    }),
  },
  { $id: 'ErrorEnvelope' },
);

/** Answers without a body. */
export const noContent = { 204: Type.Null({ description: 'Done; no body' }) };

const refusal = (description: string) => Type.Ref('ErrorEnvelope', { description });

/** Each refusal the API gives, with the codes behind it (docs/api.md); routes list those they can give. */
export const refusals = {
  400: refusal('VALIDATION_FAILED: the request is not valid; details.fields names each refused field'),
  401: refusal('UNAUTHENTICATED: no valid session or token (WWW-Authenticate: Bearer)'),
  403: refusal('FORBIDDEN or SESSION_REQUIRED: the caller may not do this'),
  404: refusal('NOT_FOUND: no such object in this organization (or not yours to see)'),
  409: refusal('CONFLICT: the change clashes with the current state (a duplicate name, an object in use)'),
  429: refusal('RATE_LIMITED: too many attempts; Retry-After says when to come back'),
};

/**
 * What an operation with no refusal of its own can still be answered: a malformed URL is a 400 before any
 * route runs, and another method on its path a 405 (server/http/manners.ts).
 */
export const urlRefusals = {
  '4XX': refusal('VALIDATION_FAILED for a malformed URL, METHOD_NOT_ALLOWED for another method'),
};

/** The refusals of an operation that changes something for a signed-in caller or a token. */
export const errorResponses = {
  400: refusals[400],
  401: refusals[401],
  403: refusals[403],
  404: refusals[404],
  409: refusals[409],
  429: refusals[429],
};

/** The refusals of an operation that only reads (nothing to clash with). */
export const readErrors = {
  400: refusals[400],
  401: refusals[401],
  403: refusals[403],
  404: refusals[404],
  429: refusals[429],
};

export const Id = (prefix: string) =>
  Type.String({
    pattern: `^${prefix}_[0-9A-Za-z]{1,40}$`,
    maxLength: 50,
    description: `an id starting with ${prefix}_`,
  });

export const OrgParams = Type.Object({ org: Id('org') });

export const PageQuery = {
  cursor: Type.Optional(
    Type.String({
      maxLength: 100,
      pattern: '^[0-9A-Za-z_.:-]+$',
      description: 'the nextCursor of the previous page',
    }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
};

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
export const Email = Type.String({ format: 'email', maxLength: 254 });
export const Password = Type.String({ minLength: 10, maxLength: 200, description: 'at least 10 characters' });
export const NullableIso = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
