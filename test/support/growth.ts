/**
 * CPU time (user and system, in milliseconds) this process spends in `work`. Unlike wall-clock time,
 * other processes competing for the cores on a busy machine barely change it.
 */
export async function cpuTime(work: () => unknown): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/**
 * How much more CPU time `work` takes on an input `factor` times larger: the least of `rounds` runs
 * at each size, after one warm-up run at each (a collection or a cold cache only ever adds). A ratio
 * near `factor` means linear, near 1 bounded, near `factor`² quadratic. Tests assert the ratio
 * instead of a time, which no machine's load can break.
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
    for (let i = 0; i < rounds; i++) min = Math.min(min, await cpuTime(() => work(size)));
    return min;
  };
  const small = await best(n);
  const large = await best(n * factor);
  // A run too short to be measured counts as a microsecond.
  return large / Math.max(small, 1e-3);
}
