// One consistent state of a simulated node's LevelDB: snapshot metadata, hard state, conf state,
// the application's applied index and the log after the snapshot. SimStore keeps two: what the
// process sees and what survives a crash.
//
// As in storage/raft-store.ts: the conf state record is the membership after the conf changes
// applied so far; it is written in the same batch as the applied index that covers them (the
// application stages that index), so a restart never sees one without the other. Installing a
// snapshot records snapshot.confState unless the batch carries its own.
//
// Layout: entries[k] holds index snapshot.index + 1 + k, so firstIndex = snapshot.index + 1 and
// lastIndex = snapshot.index + entries.length.
import type { ConfState, Entry, HardState, SnapshotMeta } from '../../raft/core/types.js';
import type { PersistBatch } from '../../raft/ports.js';

export class DiskImageError extends Error {
  readonly code = 'SIM_DISK_INVALID_WRITE';
}

export const EMPTY_SNAPSHOT: SnapshotMeta = {
  index: 0,
  term: 0,
  confState: { voters: [], learners: [] },
  data: new Uint8Array(0),
};

/** One atomic write: a Ready's batch (with the applied index staged by the application, if
 *  any), or a compaction (always synced). */
export type DiskRecord =
  | { readonly kind: 'batch'; readonly batch: PersistBatch; readonly appliedIndex: number | null }
  | { readonly kind: 'compact'; readonly snapshot: SnapshotMeta };

export class DiskImage {
  snapshot: SnapshotMeta = EMPTY_SNAPSHOT;
  hardState: HardState = { term: 0, vote: 0, commit: 0 };
  confState: ConfState = EMPTY_SNAPSHOT.confState;
  /** The application's applied index as staged by it (0: never staged). */
  appliedIndex = 0;
  entries: Entry[] = [];

  get firstIndex(): number {
    return this.snapshot.index + 1;
  }

  get lastIndex(): number {
    return this.snapshot.index + this.entries.length;
  }

  /** Term of entry i for i in [snapshot.index, lastIndex], else undefined. */
  termAt(i: number): number | undefined {
    if (i === this.snapshot.index) return this.snapshot.term;
    if (i < this.snapshot.index || i > this.lastIndex) return undefined;
    return this.entries[i - this.snapshot.index - 1]!.term;
  }

  entryAt(i: number): Entry | undefined {
    if (i <= this.snapshot.index || i > this.lastIndex) return undefined;
    return this.entries[i - this.snapshot.index - 1];
  }

  clone(): DiskImage {
    const c = new DiskImage();
    c.snapshot = this.snapshot;
    c.hardState = this.hardState;
    c.confState = this.confState;
    c.appliedIndex = this.appliedIndex;
    c.entries = this.entries.slice();
    return c;
  }

  /** Applies one record atomically; throws DiskImageError (leaving the image unchanged) if the
   *  record would leave a gap in the log or compact past its end. */
  apply(record: DiskRecord): void {
    if (record.kind === 'compact') {
      this.compact(record.snapshot);
      return;
    }
    const { batch } = record;
    const next = this.clone();
    if (batch.snapshot !== null) next.installSnapshot(batch.snapshot);
    if (batch.entries.length > 0) next.append(batch.entries);
    if (batch.hardState !== null) {
      if (batch.hardState.commit > next.lastIndex) {
        throw new DiskImageError(`commit ${batch.hardState.commit} is beyond the last index ${next.lastIndex}`);
      }
      next.hardState = batch.hardState;
    }
    const cs = batch.confState ?? (batch.snapshot !== null ? batch.snapshot.confState : null);
    if (cs !== null) next.confState = cs;
    if (record.appliedIndex !== null) next.appliedIndex = record.appliedIndex;
    this.snapshot = next.snapshot;
    this.hardState = next.hardState;
    this.confState = next.confState;
    this.appliedIndex = next.appliedIndex;
    this.entries = next.entries;
  }

  /** A snapshot from the leader replaces the whole log (as etcd's MemoryStorage.ApplySnapshot). */
  private installSnapshot(s: SnapshotMeta): void {
    if (s.index < this.snapshot.index) {
      throw new DiskImageError(`snapshot at ${s.index} is older than the stored one at ${this.snapshot.index}`);
    }
    this.snapshot = s;
    this.entries = [];
  }

  private append(entries: readonly Entry[]): void {
    for (let k = 1; k < entries.length; k++) {
      if (entries[k]!.index !== entries[k - 1]!.index + 1) {
        throw new DiskImageError(`batch entries are not contiguous at ${entries[k]!.index}`);
      }
    }
    const first = entries[0]!.index;
    if (first <= this.snapshot.index) throw new DiskImageError(`append at ${first} is inside the snapshot (${this.snapshot.index})`);
    if (first > this.lastIndex + 1) throw new DiskImageError(`append at ${first} leaves a gap after ${this.lastIndex}`);
    this.entries.length = first - this.snapshot.index - 1;
    for (const e of entries) this.entries.push(e);
  }

  private compact(s: SnapshotMeta): void {
    if (s.index <= this.snapshot.index) return;
    if (s.index > this.lastIndex) throw new DiskImageError(`compact(${s.index}) beyond last index ${this.lastIndex}`);
    if (this.termAt(s.index) !== s.term) throw new DiskImageError(`compact(${s.index}): term ${s.term} does not match`);
    this.entries = this.entries.slice(s.index - this.snapshot.index);
    this.snapshot = s;
  }
}
