import { Type } from 'typebox';
import { Id, Name, NullableIso, PageQuery } from '../http/schemas.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const PermissionKey = Type.String({ minLength: 1, maxLength: 100 });

export const RateLimit = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    windowSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
  },
  { additionalProperties: false, title: 'RateLimit' },
);

export const TokenInfoSchema = Type.Object(
  {
    id: Type.String(),
    orgId: Type.String(),
    kind: Type.Union([Type.Literal('personal'), Type.Literal('application')]),
    ownerId: Nullable(Type.String()),
    name: Type.String(),
    description: Type.String(),
    access: Type.Union([Type.Literal('full'), Type.Literal('granular')]),
    permissions: Nullable(Type.Array(Type.String())),
    roleId: Nullable(Type.String()),
    resourceIds: Nullable(Type.Array(Type.String())),
    allowedIps: Nullable(Type.Array(Type.String())),
    rateLimit: Nullable(Type.Object({ limit: Type.Integer(), windowSeconds: Type.Integer() })),
    expiresAt: NullableIso,
    createdAt: Type.String({ format: 'date-time' }),
    createdBy: Type.String(),
    lastUsedAt: NullableIso,
    lastUsedIp: Nullable(Type.String()),
    useCount: Type.Integer(),
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
    revokedAt: NullableIso,
    revokedBy: Nullable(Type.String()),
    revokedReason: Nullable(Type.String()),
    hint: Type.String(),
    previousValueExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description:
        'when the old value stops working after a rotation with a grace period; null when none does',
    }),
  },
  { $id: 'TokenInfo' },
);

export const IssuedTokenSchema = Type.Object(
  {
    token: Type.String({ description: 'the value: shown in this answer only' }),
    clientId: Type.String(),
    tokenInfo: Type.Ref('TokenInfo'),
    delivery: Type.Optional(
      Type.Object({
        email: Type.Union([Type.Literal('smtp'), Type.Literal('outbox'), Type.Literal('failed')]),
        error: Type.Optional(Type.String()),
      }),
    ),
    link: Type.Optional(
      Type.Object(
        {
          id: Type.String(),
          url: Type.String({ description: 'the one-time link; its fragment holds the only copy of the key' }),
          expiresAt: Type.String({ format: 'date-time' }),
        },
        { description: 'asked for with deliver.link: opens once, until expiresAt' },
      ),
    ),
  },
  { title: 'IssuedToken' },
);

/** A one-time reveal link for the new value (server/reveal-links): its lifetime, 15m unless given. */
const LinkRequest = Type.Object(
  {
    ttl: Type.Optional(
      Type.Union([Type.Integer({ minimum: 60, maximum: 7 * 86_400 }), Type.String({ maxLength: 20 })], {
        description: 'seconds or a number with s, m, h or d; default 15m, from 1 minute to 7 days',
      }),
    ),
  },
  { additionalProperties: false },
);

const Deliver = Type.Object(
  { email: Type.Optional(Type.Boolean()), link: Type.Optional(LinkRequest) },
  { additionalProperties: false },
);

export const CreateTokenBody = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    kind: Type.Optional(Type.Union([Type.Literal('personal'), Type.Literal('application')])),
    access: Type.Union([Type.Literal('full'), Type.Literal('granular')]),
    permissions: Type.Optional(Type.Array(PermissionKey, { maxItems: 500 })),
    roleId: Type.Optional(Id('rol')),
    resourceIds: Type.Optional(Nullable(Type.Array(Id('res'), { maxItems: 1000 }))),
    allowedIps: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 }))),
    rateLimit: Type.Optional(Nullable(RateLimit)),
    expiresAt: Type.Optional(Nullable(Type.String({ maxLength: 40 }))),
    expiresIn: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 100 * 365 * 86_400 }), Type.String({ maxLength: 20 })]),
    ),
    deliver: Type.Optional(Deliver),
  },
  { additionalProperties: false, title: 'CreateTokenRequest' },
);

export const ListTokensQuery = Type.Object(
  {
    ...PageQuery,
    owner: Type.Optional(Type.String({ maxLength: 50, description: '"me" or a user id' })),
    status: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
    ),
    kind: Type.Optional(Type.Union([Type.Literal('personal'), Type.Literal('application')])),
    resource: Type.Optional(Id('res')),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'part of the name or hint, or the token id' }),
    ),
  },
  { additionalProperties: false },
);

export const TokenParams = Type.Object({ org: Id('org'), tok: Id('tok') });

export const PatchTokenBody = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    access: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('granular')])),
    permissions: Type.Optional(Type.Array(PermissionKey, { maxItems: 500 })),
    roleId: Type.Optional(Id('rol')),
    resourceIds: Type.Optional(Nullable(Type.Array(Id('res'), { maxItems: 1000 }))),
    allowedIps: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 }))),
    rateLimit: Type.Optional(Nullable(RateLimit)),
    expiresAt: Type.Optional(
      Type.String({ maxLength: 40, description: 'RFC 3339; only an earlier expiry than the current one' }),
    ),
  },
  { additionalProperties: false, minProperties: 1, title: 'UpdateTokenRequest' },
);

const Reason = Type.String({ minLength: 1, maxLength: 200 });

export const RevokeQuery = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });

export const RevokeBody = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });

export const RotateBody = Type.Object(
  {
    gracePeriod: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 7 * 86_400 }), Type.String({ maxLength: 20 })], {
        description:
          'how long the old value keeps working, or "until-used": until the new value is first verified (at most maxGrace)',
      }),
    ),
    maxGrace: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 7 * 86_400 }), Type.String({ maxLength: 20 })], {
        description:
          'with gracePeriod "until-used": the longest the old value works (default and at most 7d)',
      }),
    ),
    deliver: Type.Optional(
      Type.Object({ link: Type.Optional(LinkRequest) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false, title: 'RotateTokenRequest' },
);
