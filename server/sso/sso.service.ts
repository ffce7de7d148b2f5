import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { orgIdsOfUser, setEmailVerified } from '../accounts/accounts.repository.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { actingAs, type NewSession, type RequestInfo, startSession } from '../auth/auth.service.ts';
import { hashPassword } from '../auth/passwords.ts';
import { findUserByEmail, findUserById, insertUser } from '../auth/users.repository.ts';
import type { SsoProviderConfig } from '../config.ts';
import type { Deps } from '../context.ts';
import type { UserRow } from '../db/schema.ts';
import { newId } from '../ids.ts';
import { sealer } from '../jobs/seal.ts';
import { findMembership, insertMember } from '../members/members.repository.ts';
import { findOrg } from '../orgs/orgs.repository.ts';
import { findIdentity, insertIdentity } from './sso.repository.ts';

/** Why a sign-in did not happen: the console's sign-in page explains each (`/login?sso_error=…`). */
export type SsoRefusal =
  | 'UNKNOWN_PROVIDER'
  | 'STATE_MISMATCH'
  | 'PROVIDER_ERROR'
  | 'EMAIL_UNVERIFIED'
  | 'ADDRESS_UNCONFIRMED'
  | 'NO_ACCOUNT';

export class SsoError extends Error {
  constructor(
    readonly refusal: SsoRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** What the browser carries between the redirect to the provider and the callback, sealed, for 10 minutes. */
interface Flow {
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  expiresAt: number;
}

export const FLOW_COOKIE = 'lk_sso';
export const FLOW_TTL_MS = 10 * 60_000;

const flowSealer = (deps: Deps) => sealer(deps.secret, 'sso flow');
export const callbackUrl = (deps: Deps, provider: string) =>
  `${deps.publicUrl()}/v1/auth/sso/${provider}/callback`;

export function providerOf(deps: Deps, id: string): SsoProviderConfig {
  const provider = deps.config.ssoProviders.find((p) => p.id === id);
  if (provider === undefined) throw new SsoError('UNKNOWN_PROVIDER', `no single sign-on provider "${id}"`);
  return provider;
}

const discovered = new Map<string, Promise<oidc.Configuration>>();

/** The provider's metadata and keys, discovered once per process (retried after a failure). */
function configurationOf(provider: SsoProviderConfig): Promise<oidc.Configuration> {
  const key = `${provider.issuer}|${provider.clientId}`;
  let config = discovered.get(key);
  if (config === undefined) {
    const issuer = new URL(provider.issuer);
    // Plain http only for a provider on this machine (development, tests); anything else must be https.
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
    config = oidc.discovery(issuer, provider.clientId, provider.clientSecret, undefined, {
      ...(issuer.protocol === 'http:' && loopback && { execute: [oidc.allowInsecureRequests] }),
    });
    config.catch(() => discovered.delete(key));
    discovered.set(key, config);
  }
  return config;
}

/** The authorization request: code flow with PKCE (S256), state and nonce; the flow rides in a sealed cookie. */
export async function startSso(deps: Deps, id: string): Promise<{ url: string; flowCookie: string }> {
  const provider = providerOf(deps, id);
  const config = await configurationOf(provider).catch((error) => {
    throw new SsoError('PROVIDER_ERROR', `the provider could not be reached: ${(error as Error).message}`);
  });
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const flow: Flow = {
    provider: id,
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    codeVerifier,
    expiresAt: Date.now() + FLOW_TTL_MS,
  };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: callbackUrl(deps, id),
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state: flow.state,
    nonce: flow.nonce,
  });
  return { url: url.href, flowCookie: flowSealer(deps).seal(JSON.stringify(flow)) };
}

/**
 * The provider sent the browser back: the code is exchanged (PKCE), the state and the ID token's nonce,
 * signature, issuer, audience and lifetime are checked by openid-client, and the identity becomes a session.
 */
export async function finishSso(
  deps: Deps,
  id: string,
  input: { query: string; flowCookie: string | undefined },
  request: RequestInfo,
): Promise<NewSession> {
  const provider = providerOf(deps, id);
  let flow: Flow;
  try {
    flow = JSON.parse(flowSealer(deps).open(input.flowCookie ?? '')) as Flow;
  } catch {
    throw new SsoError(
      'STATE_MISMATCH',
      'this sign-in was not started here, or it took too long: start again',
    );
  }
  const state = new URLSearchParams(input.query).get('state');
  if (flow.provider !== id || Date.now() > flow.expiresAt || state !== flow.state) {
    throw new SsoError(
      'STATE_MISMATCH',
      'this sign-in was not started here, or it took too long: start again',
    );
  }
  const config = await configurationOf(provider);
  let claims: oidc.IDToken | undefined;
  try {
    const tokens = await oidc.authorizationCodeGrant(
      config,
      new URL(`${callbackUrl(deps, id)}?${input.query}`),
      {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      },
    );
    claims = tokens.claims();
  } catch (error) {
    deps.log.warn({ provider: id, err: { message: (error as Error).message } }, 'single sign-on refused');
    throw new SsoError('PROVIDER_ERROR', `the provider's answer was refused: ${(error as Error).message}`);
  }
  if (claims === undefined) throw new SsoError('PROVIDER_ERROR', 'the provider sent no ID token');
  const user = await accountFor(deps, provider, claims, request);
  return startSession(deps, user, request, `sso:${id}`);
}

/** The account an identity signs in to: linked before, linked now by a verified address, or created. */
async function accountFor(
  deps: Deps,
  provider: SsoProviderConfig,
  claims: oidc.IDToken,
  request: RequestInfo,
): Promise<UserRow> {
  const linked = await findIdentity(deps.db, provider.id, claims.sub);
  if (linked !== undefined) {
    const user = await findUserById(deps.db, linked.userId);
    if (user !== undefined) return user;
  }
  const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined;
  if (email === undefined || claims.email_verified !== true) {
    throw new SsoError(
      'EMAIL_UNVERIFIED',
      `${provider.name} has not verified this account's e-mail address, so it cannot be matched to an account`,
    );
  }
  const now = Date.now();
  const existing = await findUserByEmail(deps.db, email);
  if (existing !== undefined) {
    // A Latchkey account under an address nobody proved here may be someone else's claim (rule 5): the
    // owner confirms it first (a password reset does), then links.
    if (existing.emailVerifiedAt === null) {
      throw new SsoError(
        'ADDRESS_UNCONFIRMED',
        `an account for ${email} exists but its address was never confirmed here: reset its password from that mailbox first`,
      );
    }
    await deps.db.transaction().execute(async (trx) => {
      await insertIdentity(trx, {
        provider: provider.id,
        subject: claims.sub,
        userId: existing.id,
        email,
        createdAt: now,
      });
      for (const orgId of await orgIdsOfUser(trx, existing.id)) {
        await recordAudit(trx, actingAs(existing, request), {
          orgId,
          action: 'user.sso_linked',
          target: { type: 'user', id: existing.id },
          details: { provider: provider.id, email },
        });
      }
    });
    return existing;
  }
  const org = provider.jitOrgId === undefined ? undefined : await findOrg(deps.db, provider.jitOrgId);
  if (org === undefined) {
    throw new SsoError(
      'NO_ACCOUNT',
      `no account has the address ${email}: ask an administrator for an invitation`,
    );
  }
  const user: UserRow = {
    id: newId('usr'),
    email,
    name: typeof claims.name === 'string' && claims.name.trim() !== '' ? claims.name.slice(0, 100) : email,
    // Nobody knows this password: the account signs in by SSO, or sets one through a reset.
    passwordHash: await hashPassword(randomBytes(32).toString('base64url')),
    createdAt: now,
    emailVerifiedAt: now,
    totpSecretSealed: null,
    totpEnabledAt: null,
    totpLastStep: null,
  };
  await deps.db.transaction().execute(async (trx) => {
    await insertUser(trx, user);
    await setEmailVerified(trx, user.id, email, now);
    await insertIdentity(trx, {
      provider: provider.id,
      subject: claims.sub,
      userId: user.id,
      email,
      createdAt: now,
    });
    if (!(await findMembership(trx, org.id, user.id))) {
      await insertMember(trx, { orgId: org.id, userId: user.id, roleId: provider.jitRoleId, createdAt: now });
    }
    const ctx = actingAs(user, request);
    await recordAudit(trx, ctx, {
      orgId: org.id,
      action: 'user.sso_linked',
      target: { type: 'user', id: user.id },
      details: { provider: provider.id, email, created: true },
    });
    await recordAudit(trx, ctx, {
      orgId: org.id,
      action: 'member.added',
      target: { type: 'user', id: user.id },
      details: { roleId: provider.jitRoleId, via: 'sso', provider: provider.id },
    });
  });
  deps.events.orgChanged(org.id);
  return user;
}
