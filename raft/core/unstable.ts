// Log state not yet handed to stable storage: an optional incoming snapshot followed by entries.
//
//   storage: [ firstIndex .. offset-1 ]   unstable: [ offset .. offset+entries.length-1 ]
//                                                     ^ offset        ^ offsetInProgress
//   entries[i] has log index offset + i. Entries in [offset, offsetInProgress) were handed out in
//   a Ready and are being written; entries from offsetInProgress on are not handed out yet.
import { assert } from './assert.js';
import type { Entry, SnapshotMeta } from './types.js';

/** Invariants: offset <= offsetInProgress <= offset + entries.length; when `snapshot` is set,
 *  offset == snapshot.index + 1; entries are contiguous by index. */
export class Unstable {
  snapshot: SnapshotMeta | null = null;
  /** True when `snapshot` was handed out in a Ready and is being written. */
  snapshotInProgress = false;
  entries: Entry[] = [];
  offset: number;
  offsetInProgress: number;

  /** `offset` is the index the next entry will get: storage.lastIndex() + 1. */
  constructor(offset: number) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** The first index when a snapshot is pending; otherwise null (ask storage). */
  maybeFirstIndex(): number | null {
    return this.snapshot === null ? null : this.snapshot.index + 1;
  }

  /** The last index of the unstable part, or null when it is empty. */
  maybeLastIndex(): number | null {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot === null ? null : this.snapshot.index;
  }

  /** The term of entry i if the unstable part knows it; otherwise null (ask storage). */
  maybeTerm(i: number): number | null {
    if (i < this.offset) {
      return this.snapshot !== null && this.snapshot.index === i ? this.snapshot.term : null;
    }
    const last = this.maybeLastIndex();
    if (last === null || i > last) return null;
    return this.entries[i - this.offset]!.term;
  }

  /** Entries not yet handed out for writing. */
  nextEntries(): Entry[] {
    return this.entries.slice(this.offsetInProgress - this.offset);
  }

  /** The snapshot if not yet handed out for writing. */
  nextSnapshot(): SnapshotMeta | null {
    return this.snapshot !== null && !this.snapshotInProgress ? this.snapshot : null;
  }

  /** Marks everything currently unstable as handed out (called when a Ready is taken). */
  acceptInProgress(): void {
    this.offsetInProgress = this.offset + this.entries.length;
    if (this.snapshot !== null) this.snapshotInProgress = true;
  }

  /** Entries up to (i, t) are durable: drop them. Ignored when entry i was since replaced by one
   *  of another term (a conflicting append arrived while the write was in flight). */
  stableTo(i: number, t: number): void {
    if (i < this.offset) return;
    const term = this.maybeTerm(i);
    if (term === null || term !== t) return;
    const n = i + 1 - this.offset;
    this.entries = this.entries.slice(n);
    this.offset = i + 1;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset);
  }

  /** The snapshot at index i is durable. */
  stableSnapTo(i: number): void {
    if (this.snapshot !== null && this.snapshot.index === i) {
      this.snapshot = null;
      this.snapshotInProgress = false;
    }
  }

  /** Replaces everything by a snapshot: the log becomes empty at snapshot.index. */
  restore(snapshot: SnapshotMeta): void {
    this.offset = snapshot.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = snapshot;
    this.snapshotInProgress = false;
  }

  /** Appends entries, replacing any existing suffix from entries[0].index on. */
  truncateAndAppend(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const from = entries[0]!.index;
    const end = this.offset + this.entries.length;
    if (from === end) {
      this.entries.push(...entries);
    } else if (from <= this.offset) {
      // Replaces all unstable entries (and a suffix of storage, which the write will overwrite).
      assert(this.snapshot === null || from > this.snapshot.index, () => `append at ${from} below the pending snapshot`);
      this.entries = [...entries];
      this.offset = from;
      this.offsetInProgress = from;
    } else {
      assert(from < end, () => `append at ${from} leaves a gap after ${end - 1}`);
      this.entries = this.entries.slice(0, from - this.offset).concat(entries);
      this.offsetInProgress = Math.min(this.offsetInProgress, from);
    }
  }

  /** Entries in [lo, hi), which must lie within the unstable part. */
  slice(lo: number, hi: number): Entry[] {
    assert(lo >= this.offset && hi <= this.offset + this.entries.length && lo <= hi,
      () => `unstable.slice[${lo}, ${hi}) out of [${this.offset}, ${this.offset + this.entries.length})`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
