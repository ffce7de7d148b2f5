import { latchkey } from './api';

export type { InsightFinding, InsightSettings, InsightsReport, TokenUse } from '@latchkey/sdk/browser';

/** Least privilege from observed use (docs/api.md "Insights"). */
export const insightsApi = {
  tokenUse: (orgId: string, tokenId: string) => latchkey.tokens.use(orgId, tokenId),
  report: (orgId: string) => latchkey.insights.get(orgId),
  settings: latchkey.insights.settings,
  updateSettings: latchkey.insights.updateSettings,
};

export const FINDING_LABELS: Record<string, string> = {
  exceeds_use: 'Holds more than it used',
  never_used: 'Never used',
  no_expiry: 'Never expires',
  past_age: 'Older than the configured age',
};
