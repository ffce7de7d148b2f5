import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  verifyResult(result: string): void;
}

/** One registry per app, so several apps in one process (tests) do not collide. */
export function createMetrics(
  verifier: { readonly size: number; readonly databaseReads: number },
  usage: { readonly writeSeconds: number; readonly tokensWritten: number },
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'latchkey_' });
  const verifications = new Counter({
    name: 'latchkey_verifications_total',
    help: 'Verifications answered, by result (valid or the failure code)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'latchkey_verify_cache_entries',
    help: 'Tokens held in the verify cache',
    registers: [registry],
    collect() {
      this.set(verifier.size);
    },
  });
  new Gauge({
    name: 'latchkey_verify_database_reads',
    help: 'Database reads made by verifications since start (cache misses)',
    registers: [registry],
    collect() {
      this.set(verifier.databaseReads);
    },
  });
  new Gauge({
    name: 'latchkey_usage_write_seconds',
    help: 'Seconds spent in the batched writes of usage (last used, counts, exercise) since start',
    registers: [registry],
    collect() {
      this.set(usage.writeSeconds);
    },
  });
  new Gauge({
    name: 'latchkey_usage_tokens_written',
    help: "Tokens whose usage was written since start (one per token per flush; a benchmark's cost per token)",
    registers: [registry],
    collect() {
      this.set(usage.tokensWritten);
    },
  });
  // Children are looked up once per label value, not on every verification.
  const children = new Map<string, { inc(): void }>();
  return {
    registry,
    verifyResult(result) {
      let child = children.get(result);
      if (child === undefined) {
        child = verifications.labels(result);
        children.set(result, child);
      }
      child.inc();
    },
  };
}
