import { recordAudit } from '../audit/audit.service.ts';
import type { Deps, RequestContext } from '../context.ts';
import type { TokenRow } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import { type OrgAccess, requireOrgSettingsAccess } from '../orgs/access.ts';
import { resourceIdsOfOrg } from '../resources/resources.repository.ts';
import { actorOf, enforce, grantsOfRow, holdingOf } from '../tokens/token-holding.ts';
import { canSeeToken, tokenListScope } from '../tokens/token-policy.ts';
import { findToken } from '../tokens/tokens.repository.ts';
import { UNSPECIFIED, utcDay } from '../verify/usage.ts';
import {
  activeTokensOf,
  exercisedSince,
  insightSettingsOf,
  saveInsightSettings,
  usersByIds,
} from './insights.repository.ts';

const DAY_MS = 86_400_000;
/** The window of "observed use": the daily rows are kept 100 days (server/verify/usage.ts). */
export const INSIGHT_DAYS = 90;

/** What a token holds against what its successful verifications exercised in the window. */
export interface TokenUse {
  tokenId: string;
  days: number;
  permissions: { granted: string[]; used: string[]; unknown: boolean };
  resources: { all: boolean; granted: string[]; used: string[]; unknown: boolean };
  /** The PATCH body that narrows the token to what it used; null when there is nothing to narrow. */
  narrow: { permissions?: string[]; resourceIds?: string[] } | null;
  /** "used 2 of 8 permissions and 1 of 3 resources in the last 90 days". */
  summary: string;
}

type Exercise = { permissions: Set<string>; resources: Set<string>; valid: number } | undefined;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

async function useOf(
  deps: Deps,
  row: TokenRow,
  exercise: Exercise,
  orgResources: readonly string[],
  days: number,
): Promise<TokenUse> {
  const holding = await holdingOf(deps, row.orgId, grantsOfRow(row));
  const granted = [...holding.permissions].sort();
  const grantedResources = holding.resourceIds === null ? [...orgResources] : [...holding.resourceIds];
  grantedResources.sort();
  const permissionsUnknown = exercise?.permissions.has(UNSPECIFIED) ?? false;
  const resourcesUnknown = exercise?.resources.has(UNSPECIFIED) ?? false;
  const used = granted.filter((p) => exercise?.permissions.has(p));
  const usedResources = grantedResources.filter((r) => exercise?.resources.has(r));
  const narrow: { permissions?: string[]; resourceIds?: string[] } = {};
  if (!permissionsUnknown && used.length > 0 && used.length < granted.length) narrow.permissions = used;
  if (!resourcesUnknown && usedResources.length > 0 && usedResources.length < grantedResources.length) {
    narrow.resourceIds = usedResources;
  }
  const window = `in the last ${days} days`;
  let summary: string;
  if (exercise === undefined || exercise.valid === 0) summary = `not used ${window}`;
  else {
    const p = permissionsUnknown
      ? `some verifications named no permission (${used.length} of ${plural(granted.length, 'permission')} named)`
      : `used ${used.length} of ${plural(granted.length, 'permission')}`;
    const r = resourcesUnknown
      ? `some named no resource (${usedResources.length} of ${plural(grantedResources.length, 'resource')} named)`
      : `${usedResources.length} of ${plural(grantedResources.length, 'resource')}`;
    // An org without resources: no resource part.
    summary = grantedResources.length === 0 ? `${p} ${window}` : `${p} and ${r} ${window}`;
  }
  return {
    tokenId: row.id,
    days,
    permissions: { granted, used, unknown: permissionsUnknown },
    resources: {
      all: holding.resourceIds === null,
      granted: grantedResources,
      used: usedResources,
      unknown: resourcesUnknown,
    },
    narrow: Object.keys(narrow).length === 0 ? null : narrow,
    summary,
  };
}

/** One token's observed use, for whoever may see the token (`tokens show`, the token page). */
export async function tokenUse(deps: Deps, access: OrgAccess, tokenId: string, days = INSIGHT_DAYS) {
  const row = await findToken(deps.db, access.orgId, tokenId);
  if (row === undefined) throw notFound('token');
  enforce(canSeeToken(actorOf(access), row));
  const fromDay = utcDay(Date.now()) - days + 1;
  const [exercised, orgResources] = await Promise.all([
    exercisedSince(deps.db, [row.id], fromDay),
    resourceIdsOfOrg(deps.db, row.orgId),
  ]);
  return useOf(deps, row, exercised.get(row.id), orgResources, days);
}

export type Finding = 'exceeds_use' | 'never_used' | 'no_expiry' | 'past_age';

export interface InsightItem {
  token: {
    id: string;
    name: string;
    kind: 'personal' | 'application';
    hint: string;
    createdAt: string;
    expiresAt: string | null;
    lastUsedAt: string | null;
  };
  owner: { id: string; name: string; email: string } | null;
  findings: Finding[];
  use: TokenUse;
}

export interface InsightsReport {
  generatedAt: string;
  days: number;
  maxAgeDays: number;
  counts: Record<Finding, number>;
  items: InsightItem[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** The report over the tokens a caller may list: every token of the org, or their own. */
export async function orgInsights(
  deps: Deps,
  access: OrgAccess,
  days = INSIGHT_DAYS,
): Promise<InsightsReport> {
  const scope = tokenListScope(actorOf(access));
  if (!('scope' in scope)) enforce(scope);
  const own = 'scope' in scope && scope.scope === 'own';
  return buildReport(deps, access.orgId, days, own ? (access.userId ?? '') : undefined);
}

/** The report of an org (all tokens, or one owner's), as the digest and the API answer it. */
export async function buildReport(
  deps: Deps,
  orgId: string,
  days: number,
  ownerId?: string,
): Promise<InsightsReport> {
  const now = Date.now();
  const settings = await insightSettingsOf(deps.db, orgId);
  const rows = await activeTokensOf(deps.db, orgId, now, ownerId);
  const [exercised, orgResources] = await Promise.all([
    exercisedSince(
      deps.db,
      rows.map((r) => r.id),
      utcDay(now) - days + 1,
    ),
    resourceIdsOfOrg(deps.db, orgId),
  ]);
  const people = await usersByIds(deps.db, [
    ...new Set(
      rows
        .map((r) => r.ownerId ?? (r.createdBy.startsWith('usr_') ? r.createdBy : null))
        .filter((id): id is string => id !== null),
    ),
  ]);
  const counts: Record<Finding, number> = { exceeds_use: 0, never_used: 0, no_expiry: 0, past_age: 0 };
  const items: InsightItem[] = [];
  for (const row of rows) {
    const use = await useOf(deps, row, exercised.get(row.id), orgResources, days);
    const findings: Finding[] = [];
    if (use.narrow !== null) findings.push('exceeds_use');
    if (row.lastUsedAt === null) findings.push('never_used');
    if (row.expiresAt === null) findings.push('no_expiry');
    if (now - Number(row.createdAt) > settings.maxAgeDays * DAY_MS) findings.push('past_age');
    if (findings.length === 0) continue;
    for (const f of findings) counts[f]++;
    const ownerId = row.ownerId ?? (row.createdBy.startsWith('usr_') ? row.createdBy : null);
    items.push({
      token: {
        id: row.id,
        name: row.name,
        kind: row.kind,
        hint: row.hint,
        createdAt: iso(row.createdAt) as string,
        expiresAt: iso(row.expiresAt),
        lastUsedAt: iso(row.lastUsedAt),
      },
      owner: ownerId === null ? null : (people.get(ownerId) ?? null),
      findings,
      use,
    });
  }
  return { generatedAt: new Date(now).toISOString(), days, maxAgeDays: settings.maxAgeDays, counts, items };
}

export interface InsightSettings {
  weeklyDigest: boolean;
  maxAgeDays: number;
}

export async function getInsightSettings(deps: Deps, access: OrgAccess): Promise<InsightSettings> {
  const row = await insightSettingsOf(deps.db, access.orgId);
  return { weeklyDigest: row.weeklyDigest === 1, maxAgeDays: row.maxAgeDays };
}

/** Org settings: the same standing as changing the org's token policy (a signed-in person managing members and roles). */
export async function patchInsightSettings(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  input: Partial<InsightSettings>,
): Promise<InsightSettings> {
  requireOrgSettingsAccess(ctx.principal, access);
  const current = await getInsightSettings(deps, access);
  const next = { ...current, ...input };
  await deps.db.transaction().execute(async (trx) => {
    await saveInsightSettings(
      trx,
      access.orgId,
      { weeklyDigest: next.weeklyDigest ? 1 : 0, maxAgeDays: next.maxAgeDays },
      Date.now(),
    );
    await recordAudit(trx, ctx, {
      orgId: access.orgId,
      action: 'org.insight_settings_updated',
      target: { type: 'org', id: access.orgId },
      details: { before: current, after: next },
    });
  });
  return next;
}
