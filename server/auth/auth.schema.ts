import { type Static, Type } from 'typebox';
import type { OrgSchema } from '../orgs/orgs.routes.ts';
import type { TokenInfoSchema } from '../tokens/tokens.schema.ts';

/** The signed-in person, as the session answer shows them. */
export const SessionUserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    emailVerified: Type.Optional(
      Type.Boolean({ description: 'whether a link that reached the address was opened' }),
    ),
    twoFactorEnabled: Type.Optional(Type.Boolean()),
  },
  { title: 'SessionUser' },
);

/**
 * `GET /v1/auth/session`, and the answer of every sign-in (setup, login, accept-invite): the user, their
 * orgs and the CSRF token for unsafe methods. A token caller gets its owner (null for an application
 * token), no CSRF token, and the token itself.
 */
export const SessionSchema = Type.Object(
  {
    user: Type.Union([SessionUserSchema, Type.Null()]),
    orgs: Type.Array(Type.Ref('Org')),
    csrfToken: Type.Union([Type.String(), Type.Null()]),
    token: Type.Optional(Type.Ref('TokenInfo')),
  },
  { title: 'Session' },
);

export type SessionView = Static<
  typeof SessionSchema,
  { Org: typeof OrgSchema; TokenInfo: typeof TokenInfoSchema }
>;
