// mulberry32: a tiny seeded generator for property-style tests and fault schedules, so a failing
// case names its seed and replays exactly. One implementation for every test.

/** Successive 32-bit words from `seed`. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

/** Integers in [0, n). */
export function seededBelow(seed: number): (n: number) => number {
  const next = mulberry32(seed);
  return (n) => next() % n;
}
