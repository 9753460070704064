import { performance } from "node:perf_hooks";

/**
 * How much longer `work` takes on an input `factor` times larger: the best of `rounds` runs at each
 * size, after one warm-up run at each. Shared, busy machines slow runs down but never speed them
 * up, so the best runs compare the work itself; a ratio near `factor` means linear, near 1 means
 * bounded, near `factor`² quadratic. Tests assert the ratio instead of a time, which no machine's
 * load can break.
 */
export async function growthRatio(
  work: (n: number) => unknown,
  n: number,
  opts: { factor?: number; rounds?: number } = {},
): Promise<number> {
  const factor = opts.factor ?? 4;
  const rounds = opts.rounds ?? 5;
  const best = async (size: number): Promise<number> => {
    await work(size);
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      await work(size);
      min = Math.min(min, performance.now() - started);
    }
    return min;
  };
  const small = await best(n);
  const large = await best(n * factor);
  // A run too short for the timer to see counts as a tenth of a microsecond.
  return large / Math.max(small, 1e-4);
}
