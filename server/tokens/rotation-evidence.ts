import { recordAudit } from '../audit/audit.service.ts';
import type { Deps } from '../context.ts';
import type { VerifiedToken } from '../verify/verifier.ts';
import { claimFirstUse, retireOlderValues } from './rotation-evidence.repository.ts';

/** One audit event per token and address a minute: a copy of an old value retried in a loop is one signal. */
const REUSE_QUIET_MS = 60_000;

/**
 * Rotation that ends on evidence (issue 17): the verifier calls these hooks. The first successful
 * verification of a value from a rotation "until used" stops the older values at once, on every process
 * (the change goes through the token events and the PostgreSQL relay); presenting a stopped value later is
 * audited as `token.old_value_reused` with the address, which also sends the webhook event.
 */
export class RotationEvidence {
  private readonly recentReuse = new Map<string, number>();

  constructor(private readonly deps: Deps) {}

  /** The new value was verified: if this is its first use anywhere, the older values stop now. */
  async firstUse(token: VerifiedToken, hash: string, ip: string): Promise<void> {
    const now = Date.now();
    const retired = await this.deps.db.transaction().execute(async (trx) => {
      if (!(await claimFirstUse(trx, hash))) return null;
      const stopped = await retireOlderValues(trx, token.id, hash, now);
      await recordAudit(
        trx,
        { system: 'verify', ip },
        {
          orgId: token.orgId,
          action: 'token.rotation_completed',
          target: { type: 'token', id: token.id },
          details: { reason: 'new_value_used', stoppedValues: stopped },
        },
      );
      return stopped;
    });
    // Also when another process claimed it first: this process's cached entry is stale either way.
    this.deps.events.tokenChanged(token.orgId, token.id);
    if (retired !== null) this.deps.log.info({ tokenId: token.id }, 'rotation completed by the new value');
  }

  /** A value stopped by its successor's first use was presented: audited (and sent as a webhook event). */
  oldValueReused(token: VerifiedToken, ip: string): void {
    const now = Date.now();
    const key = `${token.id}\n${ip}`;
    const last = this.recentReuse.get(key);
    if (last !== undefined && now - last < REUSE_QUIET_MS) return;
    if (this.recentReuse.size > 10_000) this.recentReuse.clear();
    this.recentReuse.set(key, now);
    recordAudit(
      this.deps.db,
      { system: 'verify', ip },
      {
        orgId: token.orgId,
        action: 'token.old_value_reused',
        target: { type: 'token', id: token.id },
        details: { ip },
      },
    ).catch((error: unknown) =>
      this.deps.log.error({ err: error, tokenId: token.id }, 'could not audit a reuse'),
    );
  }
}
