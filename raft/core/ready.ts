// A Ready is everything the driver must do after the core changed: persist, send, apply.
// The driver handles one Ready at a time, in this order (see raft/README.md):
//   1. send `messages` (safe before the write: e.g. the leader's appends to followers),
//   2. persist `entries`, `hardState` and `snapshot` in ONE atomic batch, synced when `mustSync`,
//   3. send `messagesAfterPersist` (votes, append responses: they promise durable state),
//   4. apply `committedEntries`,
//   5. call `advance(ready)`.
import type { Entry, HardState, Message, ReadState, SnapshotMeta, SoftState } from './types.js';

/** A log range the driver must load into the storage cache: [lo, hi). */
export interface FetchRange {
  readonly lo: number;
  readonly hi: number;
}

export interface Ready {
  /** Set when leader or role changed since the last Ready. Not persisted. */
  readonly softState: SoftState | null;
  /** Set when term, vote or commit changed. */
  readonly hardState: HardState | null;
  /** Entries to append to stable storage; may overwrite a conflicting suffix from entries[0].index. */
  readonly entries: readonly Entry[];
  /** A snapshot to install (metadata only) before `entries`. */
  readonly snapshot: SnapshotMeta | null;
  /** Committed entries not yet handed out for application, in log order. */
  readonly committedEntries: readonly Entry[];
  /** Messages that may be sent before the persist step. */
  readonly messages: readonly Message[];
  /** Messages that must wait until the persist step is durable. */
  readonly messagesAfterPersist: readonly Message[];
  readonly readStates: readonly ReadState[];
  /** True when the batch must be fsync'd (new entries, a snapshot, term or vote changed). */
  readonly mustSync: boolean;
  /** Log ranges the core could not read (LogTemporarilyUnavailableError): load them into the
   *  storage cache, then call RawNode.onEntriesFetched(). Absent when there is nothing to fetch. */
  readonly entriesToFetch?: readonly FetchRange[];
}
