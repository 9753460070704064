/** The benchmark's results table. */

/**
 * One line of the results. Throughputs carry their baseline and ratio, with a target the ratio
 * must reach; latencies (ms) and counts carry neither, and a latency's target is an upper bound.
 */
export interface Row {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  target: number | null;
  /** "ratio": ratio ≥ target; "max": value ≤ target. */
  targetKind?: "ratio" | "max";
}

/** Whether a row reaches its target. */
export function meets(r: Row): boolean {
  if (r.target === null) return true;
  if (r.targetKind === "max") return r.value <= r.target;
  return r.ratio !== null && r.ratio >= r.target;
}
