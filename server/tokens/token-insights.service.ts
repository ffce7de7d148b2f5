// What the console's token page shows beyond the record: verifications per day, and "which token is this
// value?" for a value found in a log. Who may see a token is decided by getToken (the token policy).

import { isWellFormedToken } from '@latchkey/sdk/rules';
import type { Deps, RequestContext } from '../context.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import type { OrgAccess } from '../orgs/access.ts';
import { utcDay } from '../verify/usage.ts';
import { dailyUsageOf, findTokenByValueHash } from './token-insights.repository.ts';
import { hashSecret } from './token-value.ts';
import { getToken, type TokenInfo } from './tokens.service.ts';

const DAY_MS = 86_400_000;

export interface TokenUsageDay {
  /** The UTC day, YYYY-MM-DD. */
  date: string;
  valid: number;
  refused: number;
}

export interface TokenUsageAnswer {
  tokenId: string;
  days: TokenUsageDay[];
  totals: { valid: number; refused: number };
}

/** Verifications of a token per UTC day over the last `days` days (today included), every day listed. */
export async function tokenUsage(
  deps: Deps,
  access: OrgAccess,
  tokenId: string,
  days: number,
): Promise<TokenUsageAnswer> {
  const token = await getToken(deps, access, tokenId);
  // Counts wait in memory for the next batched write; write them now so the chart includes this minute.
  await deps.usage.flush();
  const today = utcDay(Date.now());
  const from = today - days + 1;
  const rows = new Map((await dailyUsageOf(deps.db, token.id, from)).map((r) => [r.day, r]));
  const out: TokenUsageDay[] = [];
  const totals = { valid: 0, refused: 0 };
  for (let day = from; day <= today; day++) {
    const row = rows.get(day);
    const valid = Number(row?.valid ?? 0);
    const refused = Number(row?.refused ?? 0);
    totals.valid += valid;
    totals.refused += refused;
    out.push({ date: new Date(day * DAY_MS).toISOString().slice(0, 10), valid, refused });
  }
  return { tokenId: token.id, days: out, totals };
}

export interface TokenLookupAnswer {
  token: TokenInfo;
  /** `current`: the token's value now; `previous`: an old value still working in a rotation's grace. */
  match: 'current' | 'previous';
  /** When this value stops working by itself: the grace end, or the token's expiry; null if never. */
  valueExpiresAt: string | null;
}

/**
 * Which token a value belongs to, when the caller may see that token. The value is hashed as verify does
 * and never logged or stored. An unknown value, or one of a token the caller may not see, is one and the
 * same 404 and counts against the caller's address like a failed verification, so the lookup is no faster
 * a guessing oracle than /v1/verify.
 */
export async function lookupTokenByValue(
  deps: Deps,
  ctx: RequestContext,
  access: OrgAccess,
  value: string,
): Promise<TokenLookupAnswer> {
  const now = Date.now();
  const wait = deps.verifier.throttledFor(ctx.ip, now);
  if (wait > 0) {
    throw new AppError(
      'RATE_LIMITED',
      'Too many values not found from this address; retry later.',
      undefined,
      {
        'retry-after': String(wait),
      },
    );
  }
  const trimmed = value.trim();
  if (!isWellFormedToken(trimmed, deps.config.tokenPrefix)) {
    deps.verifier.recordFailure(ctx.ip, now);
    throw invalid(`This is not a Latchkey token value: they start with ${deps.config.tokenPrefix}_.`, {
      field: 'value',
    });
  }
  const found = await findTokenByValueHash(deps.db, access.orgId, hashSecret(deps.secret, trimmed));
  const unknown = () => {
    deps.verifier.recordFailure(ctx.ip, now);
    return notFound('a token of this organization with this value that you may see');
  };
  if (found === undefined || (found.notAfter !== null && Number(found.notAfter) <= now)) throw unknown();
  let token: TokenInfo;
  try {
    token = await getToken(deps, access, found.tokenId);
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND') throw unknown();
    throw error;
  }
  const previous = found.notAfter !== null;
  return {
    token,
    match: previous ? 'previous' : 'current',
    valueExpiresAt: previous ? new Date(Number(found.notAfter)).toISOString() : token.expiresAt,
  };
}
