// The appends in flight to one follower in replicate state, bounded by count and by bytes.
//
//   ring: [ .. start .. start+count-1 .. ]   (indexes into `buffer`, modulo its length)
//   each slot holds the last log index of one append and that append's payload bytes;
//   indexes increase from the oldest (start) to the newest.
import { assert } from './assert.js';

/** Invariants: 0 <= count <= maxCount; bytes == the sum of the slots' bytes; slot indexes are
 *  strictly increasing from oldest to newest. */
export class Inflights {
  private readonly maxCount: number;
  /** 0 means no byte limit. */
  private readonly maxBytes: number;
  private indexes: number[] = [];
  private sizes: number[] = [];
  private start = 0;
  private n = 0;
  private total = 0;

  constructor(maxCount: number, maxBytes: number) {
    assert(maxCount > 0, () => `maxInflightMsgs must be > 0, got ${maxCount}`);
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
  }

  get count(): number {
    return this.n;
  }

  get bytes(): number {
    return this.total;
  }

  /** Full when the count limit is reached or the byte limit is reached or exceeded. */
  full(): boolean {
    return this.n === this.maxCount || (this.maxBytes !== 0 && this.total >= this.maxBytes);
  }

  /** Records an append whose last entry is `index`. */
  add(index: number, bytes: number): void {
    assert(!this.full(), 'inflights: add while full');
    if (this.n > 0) {
      const newest = this.indexes[(this.start + this.n - 1) % this.indexes.length]!;
      assert(index > newest, () => `inflights: index ${index} not after ${newest}`);
    }
    if (this.n === this.indexes.length) this.grow();
    const slot = (this.start + this.n) % this.indexes.length;
    this.indexes[slot] = index;
    this.sizes[slot] = bytes;
    this.n++;
    this.total += bytes;
  }

  /** Frees every append whose last index is <= `index` (the follower acknowledged them). */
  freeLE(index: number): void {
    while (this.n > 0 && this.indexes[this.start]! <= index) {
      this.total -= this.sizes[this.start]!;
      this.start = (this.start + 1) % this.indexes.length;
      this.n--;
    }
    if (this.n === 0) this.start = 0;
  }

  reset(): void {
    this.start = 0;
    this.n = 0;
    this.total = 0;
  }

  /** Doubles the ring (up to maxCount), unrolling it so `start` becomes 0. */
  private grow(): void {
    const size = Math.min(this.maxCount, Math.max(4, this.indexes.length * 2));
    const indexes: number[] = new Array<number>(size);
    const sizes: number[] = new Array<number>(size);
    for (let k = 0; k < this.n; k++) {
      const from = (this.start + k) % this.indexes.length;
      indexes[k] = this.indexes[from]!;
      sizes[k] = this.sizes[from]!;
    }
    this.indexes = indexes;
    this.sizes = sizes;
    this.start = 0;
  }
}
