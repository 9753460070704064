import { readFileSync } from "node:fs";

/** The benchmark's arithmetic: quantiles, and paired rounds against a baseline. */

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Medians over alternating rounds of a measurement and its baseline, and the rounds themselves. */
export interface Paired {
  value: number;
  baseline: number;
  /** The median of the rounds' ratios. */
  ratio: number;
  rounds: Array<{ value: number; baseline: number }>;
}

/**
 * Runs the baseline, then the measurement (told the round's index), `rounds` times; each round's
 * ratio compares two rates taken seconds apart, so a burst of load from elsewhere on a shared
 * machine moves one round rather than the figure.
 */
export async function paired(
  measure: (round: number) => Promise<number>,
  base: () => Promise<number>,
  rounds = 3,
): Promise<Paired> {
  const measured: Paired["rounds"] = [];
  for (let r = 0; r < rounds; r++) {
    const baseline = await base();
    measured.push({ value: await measure(r), baseline });
  }
  return {
    value: quantile(
      measured.map((m) => m.value),
      0.5,
    ),
    baseline: quantile(
      measured.map((m) => m.baseline),
      0.5,
    ),
    ratio: quantile(
      measured.map((m) => m.value / m.baseline),
      0.5,
    ),
    rounds: measured,
  };
}

/**
 * The CPU time a process has used so far (user and system, all its threads), in ms, from
 * /proc/<pid>/stat (in clock ticks, 100 per second on Linux); null where there is no /proc.
 */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; the fields after it are space-separated.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}
