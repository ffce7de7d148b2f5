/** A row of the benchmark table: a figure, its unit, a ratio to a reference of the same run, a target. */
export interface BenchRow {
  case: string;
  db: string;
  value: number | null;
  unit: string;
  p99Ms?: number | null;
  /** Server CPU time per request (µs), and the ratio of the reference's CPU per request to this row's. */
  cpuUs?: number | null;
  cpuRatio?: number | null;
  /** The ratio against this row's reference, and what the reference is. */
  ratio?: number | null;
  ratioOf?: string;
  target?: string;
  /** true met, false missed, null not judged. */
  met?: boolean | null;
  note?: string;
}
