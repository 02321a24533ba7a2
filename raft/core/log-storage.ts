// The core's view of stable storage. Reads are synchronous: the LevelDB implementation keeps an
// in-memory term index and a bounded tail cache; a miss throws LogTemporarilyUnavailableError and
// the driver fetches the range asynchronously, then calls RawNode.onEntriesFetched().
import { encodeConfChange } from './confchange.js';
import { limitBytes } from './entry-size.js';
import { CompactedError, LogTemporarilyUnavailableError, RaftUsageError, UnavailableError } from './errors.js';
import type { ConfState, Entry, HardState, NodeId, SnapshotMeta } from './types.js';

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

/** An in-memory LogStorage for tests and the simulator.
 *
 *  Layout: `snapshot` marks the compacted prefix; `ents[k]` holds index snapshot.index + 1 + k.
 *  So firstIndex = snapshot.index + 1, lastIndex = snapshot.index + ents.length, and
 *  term(snapshot.index) = snapshot.term.
 *
 *  `cacheFloor` simulates a bounded tail cache: entries() below it throws
 *  LogTemporarilyUnavailableError until loadIntoCache() lowers the floor. */
export class MemoryLogStorage implements LogStorage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private confState: ConfState;
  private snapshot: SnapshotMeta;
  private ents: Entry[] = [];
  private cacheFloor = 0;

  constructor(confState: ConfState = { voters: [], learners: [] }) {
    this.confState = confState;
    this.snapshot = { index: 0, term: 0, confState, data: new Uint8Array(0) };
  }

  /** A fresh cluster member: empty log, the given voters (and learners). */
  static bootstrap(voters: readonly NodeId[], learners: readonly NodeId[] = []): MemoryLogStorage {
    return new MemoryLogStorage({ voters: [...voters], learners: [...learners] });
  }

  /** A fresh cluster member bootstrapped as etcd does: one committed `addNode` entry per voter
   *  (term 1), so that a node joining later learns the initial membership from the log. The
   *  driver re-applies these entries (adding an existing voter is a no-op). */
  static bootstrapWithLog(voters: readonly NodeId[]): MemoryLogStorage {
    const sorted = [...voters].sort((a, b) => a - b);
    const s = new MemoryLogStorage({ voters: sorted, learners: [] });
    s.append(sorted.map((nodeId, k) => ({
      index: k + 1, term: 1, type: 'confChange' as const,
      data: encodeConfChange({ type: 'addNode', nodeId, context: new Uint8Array(0) }),
    })));
    s.setHardState({ term: 1, vote: 0, commit: sorted.length });
    return s;
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.confState };
  }

  firstIndex(): number {
    return this.snapshot.index + 1;
  }

  lastIndex(): number {
    return this.snapshot.index + this.ents.length;
  }

  term(i: number): number {
    if (i < this.snapshot.index) throw new CompactedError(i, this.firstIndex());
    if (i > this.lastIndex()) throw new UnavailableError(i, this.lastIndex());
    return i === this.snapshot.index ? this.snapshot.term : this.ents[i - this.snapshot.index - 1]!.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.firstIndex()) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    if (lo < this.cacheFloor) throw new LogTemporarilyUnavailableError(lo, Math.min(hi, this.cacheFloor));
    const base = this.snapshot.index + 1;
    return limitBytes(this.ents.slice(lo - base, hi - base), maxBytes);
  }

  snapshotMeta(): SnapshotMeta {
    return this.snapshot;
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  setConfState(cs: ConfState): void {
    this.confState = cs;
  }

  /** Appends entries, replacing any conflicting suffix from entries[0].index on. Entries at or
   *  below the snapshot index are ignored (already compacted). */
  append(entries: readonly Entry[]): void {
    const fresh = entries.filter((e) => e.index > this.snapshot.index);
    if (fresh.length === 0) return;
    const first = fresh[0]!.index;
    if (first > this.lastIndex() + 1) {
      throw new RaftUsageError(`append at ${first} leaves a gap after last index ${this.lastIndex()}`);
    }
    this.ents.length = first - this.snapshot.index - 1;
    for (const e of fresh) this.ents.push(e);
  }

  /** Drops the prefix up to snapshot.index, keeping the entries after it. `snapshot.term` must be
   *  the term of that entry. */
  compact(snapshot: SnapshotMeta): void {
    if (snapshot.index <= this.snapshot.index) return;
    if (snapshot.index > this.lastIndex()) {
      throw new RaftUsageError(`compact(${snapshot.index}) is beyond last index ${this.lastIndex()}`);
    }
    if (this.term(snapshot.index) !== snapshot.term) {
      throw new RaftUsageError(`compact(${snapshot.index}): term ${snapshot.term} does not match the log`);
    }
    this.ents = this.ents.slice(snapshot.index - this.snapshot.index);
    this.snapshot = snapshot;
  }

  /** Replaces the whole log by a snapshot (a follower installing the leader's metadata). */
  applySnapshot(snapshot: SnapshotMeta): void {
    if (snapshot.index < this.snapshot.index) {
      throw new RaftUsageError(`snapshot ${snapshot.index} is older than ${this.snapshot.index}`);
    }
    this.snapshot = snapshot;
    this.ents = [];
    this.confState = snapshot.confState;
  }

  /** Test hook: entries below `index` are "on disk only" until loadIntoCache(). */
  evictBelow(index: number): void {
    this.cacheFloor = index;
  }

  loadIntoCache(lo: number): void {
    this.cacheFloor = Math.min(this.cacheFloor, lo);
  }
}
