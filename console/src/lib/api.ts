// The console's calls, made by the SDK's browser client (@latchkey/sdk/browser): the one place the wire
// calls and their types live. The browser sends the session cookie (`credentials: 'same-origin'`); the
// client keeps the session's CSRF token and sends it on unsafe calls. Every non-2xx answer is a
// LatchkeyError carrying the server's envelope {code, message, details} and the status.
import {
  isLatchkeyError,
  LatchkeyClient,
  type ListTokensParams,
  type Page,
  type PageParams,
} from '@latchkey/sdk/browser';
import type { Session } from './types';

export { LatchkeyError } from '@latchkey/sdk/browser';

export const latchkey = new LatchkeyClient({ baseUrl: window.location.origin, credentials: 'same-origin' });

/** Every item of a list, following the cursor (100 a page). */
async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The form's filters, without the empty ones (an empty field filters nothing). */
function filled<T extends object>(filters: T): { [K in keyof T]: Exclude<T[K], '' | null> } {
  return Object.fromEntries(
    Object.entries(filters).filter(([, value]) => value !== undefined && value !== null && value !== ''),
  ) as { [K in keyof T]: Exclude<T[K], '' | null> };
}

export interface TokenFilters extends Omit<ListTokensParams, 'cursor' | 'status' | 'kind'> {
  status?: string;
  kind?: string;
  cursor?: string | null;
}

const PAGE: PageParams = { limit: 100 };

/** The org-level calls the pages make; each is the SDK's, with the console's paging and empty filters. */
export const api = {
  setupNeeded: async () => (await latchkey.auth.setupStatus()).needed,
  setup: latchkey.auth.setup,
  /** The signed-in session, or null when signed out (the CSRF token is kept by the client). */
  session: async (): Promise<Session | null> => {
    try {
      // A console (cookie) session always names its user and carries a CSRF token.
      return (await latchkey.auth.session()) as Session;
    } catch (error) {
      if (isLatchkeyError(error) && error.status === 401) return null;
      throw error;
    }
  },
  logout: latchkey.auth.logout,
  acceptInvite: latchkey.auth.acceptInvite,

  catalog: () => latchkey.permissions(),

  createOrg: (body: { name: string }) => latchkey.orgs.create(body),
  org: latchkey.orgs.get,
  updateOrg: latchkey.orgs.update,

  tokens: (orgId: string, filters: TokenFilters) =>
    latchkey.tokens.list(orgId, filled(filters) as ListTokensParams),
  token: latchkey.tokens.get,
  createToken: latchkey.tokens.create,
  updateToken: latchkey.tokens.update,
  revokeToken: (orgId: string, tokenId: string, reason?: string) =>
    latchkey.tokens.revoke(orgId, tokenId, reason ? { reason } : {}),
  tokenUsage: (orgId: string, tokenId: string, days: number) =>
    latchkey.tokens.usage(orgId, tokenId, { days }),
  /** Which token a value belongs to; the value goes in the body, never in a URL. */
  lookupToken: latchkey.tokens.lookup,
  /** E-mails a value the caller holds (it must be this token's) to the caller's own address. */
  deliverToken: latchkey.tokens.deliver,
  rotateToken: (orgId: string, tokenId: string, gracePeriod?: string) =>
    latchkey.tokens.rotate(orgId, tokenId, gracePeriod ? { gracePeriod } : {}),

  invites: (orgId: string) => all(latchkey.invites.listAll(orgId, PAGE)),
  cancelInvite: latchkey.invites.cancel,
  members: (orgId: string) => all(latchkey.members.listAll(orgId, PAGE)),
  addMember: latchkey.members.add,
  updateMember: latchkey.members.update,
  removeMember: latchkey.members.remove,

  roles: (orgId: string) => all(latchkey.roles.listAll(orgId, PAGE)),
  createRole: latchkey.roles.create,
  updateRole: latchkey.roles.update,
  deleteRole: latchkey.roles.delete,

  resources: (orgId: string) => all(latchkey.resources.listAll(orgId, PAGE)),
  createResource: latchkey.resources.create,
  deleteResource: latchkey.resources.delete,

  webhooks: async (orgId: string) => (await latchkey.webhooks.list(orgId)).items,
  createWebhook: latchkey.webhooks.create,
  updateWebhook: latchkey.webhooks.update,
  deleteWebhook: latchkey.webhooks.delete,
  pingWebhook: latchkey.webhooks.ping,
  webhookDeliveries: (orgId: string, hookId: string, cursor?: string | null) =>
    latchkey.webhooks.deliveries(orgId, hookId, filled({ limit: 20, cursor })),

  outbox: (cursor?: string | null) => latchkey.outbox.list(filled({ limit: 50, cursor })),

  audit: (orgId: string, filters: { tokenId?: string; cursor?: string | null }) =>
    latchkey.audit.list(orgId, filled({ ...filters, limit: 50 })),
};

export type { Page };
