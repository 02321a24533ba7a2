// Byte ranges of one binlog file whose events were read and CRC-checked since the node started:
// sorted, disjoint [start, end) pairs whose ends are event boundaries. Readers that follow each
// other (16 replicas copying the same file) check each byte once. Range ends are event starts,
// so a dump starting at one needs no walk; other positions walk from the nearest one before.

export class VerifiedRanges {
  /** Flattened [start0, end0, start1, end1, …], sorted. */
  #bounds: number[] = [];

  covers(start: number, end: number): boolean {
    const i = this.#rangeAt(start);
    return i >= 0 && this.#bounds[2 * i + 1]! >= end;
  }

  /** `pos` is a start or an end of a checked range (so an event start). */
  isBoundary(pos: number): boolean {
    const i = this.#rangeAt(pos);
    if (i < 0) return this.#bounds.some((b) => b === pos);
    return this.#bounds[2 * i] === pos || this.#bounds[2 * i + 1] === pos;
  }

  /** The greatest range start or end at or below `pos`, if any. */
  boundaryBefore(pos: number): number | null {
    let best: number | null = null;
    for (const b of this.#bounds) {
      if (b > pos) break;
      best = b;
    }
    return best;
  }

  add(start: number, end: number): void {
    const b = this.#bounds;
    const merged: number[] = [];
    let s = start;
    let e = end;
    let placed = false;
    for (let k = 0; k < b.length; k += 2) {
      const rs = b[k]!;
      const re = b[k + 1]!;
      if (re < s) merged.push(rs, re);
      else if (rs > e) {
        if (!placed) merged.push(s, e);
        placed = true;
        merged.push(rs, re);
      } else {
        s = Math.min(s, rs);
        e = Math.max(e, re);
      }
    }
    if (!placed) merged.push(s, e);
    this.#bounds = merged;
  }

  /** Index of the range holding `pos` (start <= pos <= end), or -1. */
  #rangeAt(pos: number): number {
    const b = this.#bounds;
    let lo = 0;
    let hi = b.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (b[2 * mid + 1]! < pos) lo = mid + 1;
      else if (b[2 * mid]! > pos) hi = mid - 1;
      else return mid;
    }
    return -1;
  }
}
