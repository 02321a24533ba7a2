// The core's view of stable storage. Reads are synchronous: the LevelDB implementation keeps an
// in-memory term index and a bounded tail cache; a miss throws LogTemporarilyUnavailableError and
// the driver fetches the range asynchronously, then calls RawNode.onEntriesFetched().
import type { ConfState, Entry, HardState, SnapshotMeta } from './types.js';

export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

export interface LogStorage {
  initialState(): InitialState;
  /** Index of the first entry still stored (snapshot.index + 1). */
  firstIndex(): number;
  /** Index of the last stored entry (snapshot.index when the log is empty). */
  lastIndex(): number;
  /** Term of entry i, valid for i in [firstIndex - 1, lastIndex]; throws CompactedError below. */
  term(i: number): number;
  /** Entries in [lo, hi), at most maxBytes of data but always at least one entry. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  snapshotMeta(): SnapshotMeta;
}
