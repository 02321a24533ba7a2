// Seeded randomness for the simulator. Every concern (network, disk, workload, faults, each
// node's election jitter) draws from its own sub-stream, derived from (seed, label) alone, so
// turning one knob never reshuffles the draws of the others and a seed replays exactly.
import { Sfc32, type Rng } from '../../raft/core/rng.js';

/** FNV-1a over the label's UTF-16 code units, folded with the seed: a stable 32-bit stream id. */
function streamSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  h = Math.imul(h, 0x01000193);
  h ^= Math.floor(seed / 0x1_0000_0000) >>> 0;
  h = Math.imul(h, 0x01000193);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A deterministic random source with the distributions the simulator needs. Implements the
 *  core's Rng, so a stream can be handed to a RawNode as its election jitter source. */
export class SimRandom implements Rng {
  private readonly gen: Sfc32;

  /** The stream named `label` of `seed`. Equal (seed, label) pairs give equal sequences. */
  constructor(readonly seed: number, readonly label: string) {
    this.gen = new Sfc32(streamSeed(seed, label));
  }

  /** A sibling stream of the same seed. */
  stream(label: string): SimRandom {
    return new SimRandom(this.seed, label);
  }

  nextU32(): number {
    return this.gen.nextU32();
  }

  intBelow(n: number): number {
    return this.gen.intBelow(n);
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.gen.nextU32() / 0x1_0000_0000;
  }

  /** True with probability p (p <= 0 never draws true, p >= 1 always). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.float() < p;
  }

  /** An integer in [lo, hi], both inclusive. */
  intBetween(lo: number, hi: number): number {
    return lo + this.gen.intBelow(hi - lo + 1);
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + this.float() * (hi - lo);
  }

  /** Exponentially distributed with the given mean (>= 0). */
  exponential(mean: number): number {
    if (mean <= 0) return 0;
    return -Math.log(1 - this.float()) * mean;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.gen.intBelow(items.length)]!;
  }

  /** A new array with the items in random order (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.gen.intBelow(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
