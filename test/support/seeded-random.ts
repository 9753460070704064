/** mulberry32: a small deterministic generator, so tests and benches see the same data on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 256 random bits as 64 lowercase hex digits (a PDQ hash's shape). */
export function randomHex(rnd: () => number): string {
  let hex = "";
  for (let i = 0; i < 8; i++)
    hex += Math.floor(rnd() * 4294967296)
      .toString(16)
      .padStart(8, "0");
  return hex;
}
