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

/** Answers without a body, and answers whose shape the route's summary describes. */
export const noContent = { 204: Type.Null({ description: 'done; no body' }) };
export const created = { 201: Type.Unknown({ description: 'created' }) };

/** The error answers every route may give, for the OpenAPI document. */
export const errorResponses = {
  400: Type.Ref('ErrorEnvelope'),
  401: Type.Ref('ErrorEnvelope'),
  403: Type.Ref('ErrorEnvelope'),
  404: Type.Ref('ErrorEnvelope'),
  409: Type.Ref('ErrorEnvelope'),
  429: Type.Ref('ErrorEnvelope'),
};

export const Id = (prefix: string) =>
  Type.String({
    pattern: `^${prefix}_[0-9A-Za-z]{1,40}$`,
    maxLength: 50,
    description: `an id starting with ${prefix}_`,
  });

export const OrgParams = Type.Object({ org: Id('org') });

export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 100 })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
};

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
export const Email = Type.String({ format: 'email', maxLength: 254 });
export const Password = Type.String({ minLength: 10, maxLength: 200, description: 'at least 10 characters' });
export const NullableIso = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
