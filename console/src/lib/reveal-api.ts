import type { RevealLink } from '../../../packages/sdk/src/types.ts';
import { request } from './api';

export type { RevealLink };

/** A one-time link as its creator gets it: the fragment holds the only copy of the key. */
export interface IssuedLink {
  id: string;
  url: string;
  expiresAt: string;
}

export type OpenedLink =
  | {
      status: 'revealed';
      token: string;
      clientId: string;
      tokenName: string;
      orgName: string;
      expiresAt: string | null;
    }
  | { status: 'opened'; openedAt: string }
  | { status: 'expired'; expiredAt: string };

const tokenPath = (orgId: string, tokenId: string) =>
  `/v1/orgs/${encodeURIComponent(orgId)}/tokens/${encodeURIComponent(tokenId)}`;

/** One-time reveal links (docs/api.md "One-time links"). Values and keys go in bodies, never in URLs. */
export const revealApi = {
  /** A link for a value the caller holds (the reveal dialog). */
  create: (orgId: string, tokenId: string, token: string, ttl: string) =>
    request<IssuedLink>('POST', `${tokenPath(orgId, tokenId)}/links`, { token, ttl }),
  list: (orgId: string, tokenId: string) =>
    request<{ items: RevealLink[] }>('GET', `${tokenPath(orgId, tokenId)}/links`),
  open: (key: string) => request<OpenedLink>('POST', '/v1/reveal', { key }),
};

/** The link lifetimes the dialog offers. */
export const LINK_TTLS = [
  { value: '15m', label: '15 minutes' },
  { value: '1h', label: '1 hour' },
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
] as const;
