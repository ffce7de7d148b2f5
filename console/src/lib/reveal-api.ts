import { latchkey } from './api';

export type { IssuedLink, OpenedLink, RevealLink } from '@latchkey/sdk/browser';

/** One-time reveal links (docs/api.md "One-time links"). Values and keys go in bodies, never in URLs. */
export const revealApi = {
  /** A link for a value the caller holds (the reveal dialog). */
  create: (orgId: string, tokenId: string, token: string, ttl: string) =>
    latchkey.tokens.createLink(orgId, tokenId, { token, ttl }),
  list: latchkey.tokens.links,
  open: (key: string) => latchkey.revealLink(key),
};

/** The link lifetimes the dialog offers. */
export const LINK_TTLS = [
  { value: '15m', label: '15 minutes' },
  { value: '1h', label: '1 hour' },
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
] as const;
