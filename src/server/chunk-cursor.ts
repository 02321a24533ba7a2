// Reads events out of a relay span: a run of byte views (one per relay record) holding whole
// events, where an event may straddle views (large transactions are cut into several records).
// Nothing is copied unless asked: `peek` returns a view when the bytes lie in one view, and
// `take` hands out views for zero-copy writes of large events.
import type { EventView } from './event-policy.js';

export class ChunkCursor {
  readonly #chunks: readonly Uint8Array[];
  #index = 0;
  #offset = 0;
  #remaining: number;

  constructor(chunks: readonly Uint8Array[]) {
    this.#chunks = chunks;
    let total = 0;
    for (const c of chunks) total += c.length;
    this.#remaining = total;
    this.#normalize();
  }

  /** Bytes not yet consumed. */
  get remaining(): number {
    return this.#remaining;
  }

  #normalize(): void {
    while (this.#index < this.#chunks.length && this.#offset >= this.#chunks[this.#index]!.length) {
      this.#index++;
      this.#offset = 0;
    }
  }

  /** The next `n` bytes, not consumed: a view when contiguous, else a copy. */
  peek(n: number): Uint8Array {
    if (n > this.#remaining) throw new RangeError(`peek of ${n} bytes with ${this.#remaining} left`);
    const head = this.#chunks[this.#index];
    if (head && head.length - this.#offset >= n) return head.subarray(this.#offset, this.#offset + n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let i = this.#index;
    let off = this.#offset;
    while (filled < n) {
      const c = this.#chunks[i]!;
      const count = Math.min(n - filled, c.length - off);
      out.set(c.subarray(off, off + count), filled);
      filled += count;
      i++;
      off = 0;
    }
    return out;
  }

  /** Little-endian u32 at `at` bytes ahead, not consumed. */
  peekU32(at: number): number {
    const b = this.peek(at + 4);
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
  }

  /** Copies the next `n` bytes into `target` at `targetOffset`, consuming them. */
  copyTo(target: Uint8Array, targetOffset: number, n: number): void {
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[this.#index]!;
      const count = Math.min(n - filled, c.length - this.#offset);
      target.set(c.subarray(this.#offset, this.#offset + count), targetOffset + filled);
      filled += count;
      this.#offset += count;
      this.#normalize();
    }
    this.#remaining -= n;
  }

  /** The next `n` bytes as views, consumed (no copy). */
  take(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let left = n;
    while (left > 0) {
      const c = this.#chunks[this.#index]!;
      const count = Math.min(left, c.length - this.#offset);
      out.push(c.subarray(this.#offset, this.#offset + count));
      left -= count;
      this.#offset += count;
      this.#normalize();
    }
    this.#remaining -= n;
    return out;
  }

  skip(n: number): void {
    let left = n;
    while (left > 0) {
      const c = this.#chunks[this.#index]!;
      const count = Math.min(left, c.length - this.#offset);
      left -= count;
      this.#offset += count;
      this.#normalize();
    }
    this.#remaining -= n;
  }
}

/** Reused for every event of a span: no allocation per event. */
export class CursorEventView implements EventView {
  type = 0;
  start = 0;
  end = 0;
  checksum = false;
  cursor: ChunkCursor | null = null;
  #bytes: Uint8Array | null = null;

  reset(cursor: ChunkCursor, type: number, start: number, end: number, checksum: boolean): void {
    this.cursor = cursor;
    this.type = type;
    this.start = start;
    this.end = end;
    this.checksum = checksum;
    this.#bytes = null;
  }

  bytes(): Uint8Array {
    this.#bytes ??= this.cursor!.peek(this.end - this.start);
    return this.#bytes;
  }
}
