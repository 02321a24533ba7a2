// Injected randomness. The core draws only from an Rng handed in by the driver, so a seed
// replays a run exactly (the simulator gives each node its own stream).

/** A source of uniformly distributed 32-bit integers. */
export interface Rng {
  /** An integer in [0, 2^32). */
  nextU32(): number;
  /** An integer in [0, n), for 1 <= n <= 2^32. */
  intBelow(n: number): number;
}

/** splitmix32: spreads a small seed over the generator state. */
function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), seeded by splitmix32.
 *  Period at least 2^32; fine for tests and election jitter, not for cryptography. */
export class Sfc32 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const s = { x: seed | 0 };
    this.a = splitmix32(s);
    this.b = splitmix32(s);
    this.c = splitmix32(s);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Rejection sampling keeps the result unbiased for any n. */
  intBelow(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x1_0000_0000) {
      throw new RangeError(`intBelow: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }
}

/** A seeded generator; equal seeds give equal sequences. */
export function seededRng(seed: number): Rng {
  return new Sfc32(seed);
}
