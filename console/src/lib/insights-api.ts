import type { InsightsReport, TokenUse } from '../../../packages/sdk/src/types.ts';
import { request } from './api';

export type { InsightFinding, InsightsReport, TokenUse } from '../../../packages/sdk/src/types.ts';

const orgPathOf = (orgId: string) => `/v1/orgs/${encodeURIComponent(orgId)}`;

export interface InsightSettings {
  weeklyDigest: boolean;
  maxAgeDays: number;
}

/** Least privilege from observed use (docs/api.md "Insights"). */
export const insightsApi = {
  tokenUse: (orgId: string, tokenId: string) =>
    request<TokenUse>('GET', `${orgPathOf(orgId)}/tokens/${encodeURIComponent(tokenId)}/use`),
  report: (orgId: string) => request<InsightsReport>('GET', `${orgPathOf(orgId)}/insights`),
  settings: (orgId: string) => request<InsightSettings>('GET', `${orgPathOf(orgId)}/insights/settings`),
  updateSettings: (orgId: string, body: Partial<InsightSettings>) =>
    request<InsightSettings>('PATCH', `${orgPathOf(orgId)}/insights/settings`, body),
};

export const FINDING_LABELS: Record<string, string> = {
  exceeds_use: 'Holds more than it used',
  never_used: 'Never used',
  no_expiry: 'Never expires',
  past_age: 'Older than the configured age',
};
