import { readBearer } from '@latchkey/sdk/rules';
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { Type } from 'typebox';
import { resolveSession } from '../auth/auth.service.ts';
import type { Deps, Principal } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { authenticate, sessionCookieName } from '../http/request-context.ts';
import { refusals } from '../http/schemas.ts';
import { type OrgAccess, orgAccess } from '../orgs/access.ts';
import { listOrgs } from '../orgs/orgs.service.ts';
import { actorOf } from '../tokens/token-holding.ts';
import { canSeeToken, type TokenFacts } from '../tokens/token-policy.ts';
import { findToken } from '../tokens/tokens.repository.ts';
import type { TokenEvent } from './token-events.ts';

/** The longest a timer may wait in Node; a token expiring later is caught by the periodic check. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a stream's credential reaches now: its principal and its standing in each org it covers. */
interface Scope {
  principal: Principal;
  orgs: Map<string, OrgAccess>;
}

async function scopeOf(deps: Deps, principal: Principal): Promise<Scope> {
  const orgs = new Map<string, OrgAccess>();
  for (const org of await listOrgs(deps, principal))
    orgs.set(org.id, await orgAccess(deps, principal, org.id));
  return { principal, orgs };
}

/**
 * How to check the stream's credential again: the same bearer value or session cookie, judged as a new
 * request would be. Null when it no longer works.
 */
function rechecker(
  deps: Deps,
  request: FastifyRequest,
  principal: Principal,
): () => Promise<Principal | null> {
  if (principal.type === 'token') {
    const value = readBearer(request.headers.authorization) ?? '';
    return async () => {
      const token = await deps.verifier.usableToken(value, request.ip);
      return typeof token === 'string' ? null : { type: 'token', token };
    };
  }
  const sessionId = request.cookies[sessionCookieName(deps)] ?? '';
  return async () => {
    const session = await resolveSession(deps, sessionId);
    return session === null ? null : { type: 'user', user: session.user, sessionHash: session.sessionHash };
  };
}

/** When the credential stops working by itself (a token's expiry or the end of its value's grace). */
function endOf(principal: Principal): number | null {
  if (principal.type !== 'token') return null;
  const ends = [principal.token.expiresAt, principal.token.valueNotAfter].filter(
    (t): t is number => t !== null,
  );
  return ends.length === 0 ? null : Math.min(...ends);
}

const sameKeys = (a: Map<string, unknown>, b: Map<string, unknown>) =>
  a.size === b.size && [...a.keys()].every((key) => b.has(key));

export function eventsRoutes(app: App, deps: Deps): void {
  // A token's org, kind and owner never change: one read per token per process, shared by every stream.
  const facts = new LRUCache<string, TokenFacts | false>({ max: 50_000 });
  const factsOf = async (orgId: string, tokenId: string): Promise<TokenFacts | undefined> => {
    const key = `${orgId}/${tokenId}`;
    let known = facts.get(key);
    if (known === undefined) {
      const row = await findToken(deps.db, orgId, tokenId);
      known = row === undefined ? false : { kind: row.kind, ownerId: row.ownerId };
      facts.set(key, known);
    }
    return known === false ? undefined : known;
  };

  app.get(
    '/v1/events',
    {
      schema: {
        tags: ['events'],
        operationId: 'streamEvents',
        summary:
          "Server-Sent Events of token changes in the caller's orgs: token.revoked, token.rotated, token.changed, org.changed",
        description:
          'A token event names its token only to a subscriber who may see that token (the token policy); others ' +
          "get org.changed for the token's org instead. The stream ends when its credential stops working: a " +
          'token revoked, expired or whose owner left; a session signed out or removed from an org (docs/api.md).',
        response: {
          200: {
            description: 'An event stream: `event: <type>` and `data: <JSON>` per change',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          401: refusals[401],
          429: refusals[429],
        },
      },
    },
    async (request, reply) => {
      const principal = await authenticate(deps, request);
      const recheck = rechecker(deps, request, principal);
      let scope = await scopeOf(deps, principal);
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let ended = false;
      const send = (type: string, data: unknown) => {
        if (!ended) out.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      };

      /** Checks the credential and the orgs it reaches; ends the stream when either changed for the worse. */
      const refresh = async (): Promise<boolean> => {
        const current = await recheck();
        if (current === null) return false;
        const next = await scopeOf(deps, current);
        // Removed from an org (or added to one): the subscriber starts over with a new `ready`.
        if (!sameKeys(next.orgs, scope.orgs)) return false;
        scope = next;
        armExpiry();
        return true;
      };

      /** The event as this subscriber may receive it, or null. */
      const visible = async (event: TokenEvent): Promise<[string, unknown] | null> => {
        const access = scope.orgs.get(event.orgId);
        if (access === undefined) return null;
        if (event.type === 'org.changed' || event.type === 'resources.changed') {
          return ['org.changed', { orgId: event.orgId }];
        }
        const token = await factsOf(event.orgId, event.tokenId);
        if (token !== undefined && canSeeToken(actorOf(access), token).allowed) {
          return [event.type, { tokenId: event.tokenId, orgId: event.orgId }];
        }
        // A token this subscriber may not see: its cache still learns that something in the org changed.
        return ['org.changed', { orgId: event.orgId }];
      };

      /** Whether an event may have changed what the credential reaches: then it is checked first. */
      const touchesCredential = (event: TokenEvent): boolean =>
        scope.orgs.has(event.orgId) &&
        (event.type === 'org.changed' ||
          (scope.principal.type === 'token' &&
            'tokenId' in event &&
            event.tokenId === scope.principal.token.id));

      // One step at a time, in order: an event is judged with what the credential reached when it happened.
      let steps: Promise<void> = Promise.resolve();
      const enqueue = (step: () => Promise<void>) => {
        steps = steps
          .then(() => (ended ? undefined : step()))
          .catch((error: unknown) => {
            request.log.warn({ err: error }, 'event stream ended after a failed check');
            end();
          });
      };
      const check = () =>
        enqueue(async () => {
          if (!(await refresh())) end();
        });

      let expiry: NodeJS.Timeout | undefined;
      function armExpiry() {
        clearTimeout(expiry);
        // A check that was awaiting the database when the stream ended must not arm a timer again: it
        // would outlive the stream by up to MAX_TIMER_MS and keep the process from exiting.
        if (ended) return;
        const at = endOf(scope.principal);
        if (at !== null) expiry = setTimeout(check, Math.min(Math.max(at - Date.now() + 1, 0), MAX_TIMER_MS));
      }

      const unsubscribe = deps.events.subscribe((event: TokenEvent) => {
        if (!scope.orgs.has(event.orgId)) return;
        enqueue(async () => {
          if (touchesCredential(event) && !(await refresh())) {
            end();
            return;
          }
          const answer = await visible(event);
          if (answer !== null) send(...answer);
        });
      });
      // Checked periodically too: a session signs out or lapses without an event; pings keep proxies open.
      const periodic = setInterval(() => {
        if (!ended) out.write(': ping\n\n');
        check();
      }, deps.config.eventsRecheckIntervalMs);
      const close = () => {
        ended = true;
        clearInterval(periodic);
        clearTimeout(expiry);
        unsubscribe();
        deps.closing.delete(end);
      };
      function end() {
        if (ended) return;
        close();
        out.end();
      }
      request.raw.on('close', close);
      // Open streams would hold a shutdown forever; the server ends them when it stops.
      deps.closing.add(end);
      armExpiry();
      send('ready', {});
    },
  );
}
