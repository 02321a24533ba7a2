// The node's log as the algorithm sees it: stable storage followed by the unstable part, plus
// the commit and apply cursors.
//
//   firstIndex-1 (snapshot)      applied <= applying <= committed <= lastIndex
//   [ compacted ... ][ storage .............. ][ unstable ......... ]
import { assert } from './assert.js';
import { entriesBytes, limitBytes } from './entry-size.js';
import { CompactedError, UnavailableError } from './errors.js';
import type { LogStorage } from './log-storage.js';
import { Unstable } from './unstable.js';
import type { Entry, SnapshotMeta } from './types.js';

/** Invariants: firstIndex-1 <= applied <= applying <= committed <= lastIndex (applied may trail
 *  a pending snapshot until it is written); committed never decreases. */
export class RaftLog {
  readonly storage: LogStorage;
  readonly unstable: Unstable;
  /** Highest index known to be stored on a quorum. */
  committed: number;
  /** Highest index the application has applied (acknowledged through advance() or appliedTo()). */
  applied: number;
  /** Highest index handed out for applying: entries in (applied, applying] are being applied. */
  applying: number;

  constructor(storage: LogStorage, applied?: number) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    const commit = storage.initialState().hardState.commit;
    this.committed = Math.max(commit, first - 1);
    assert(this.committed <= last, () => `hard state commit ${commit} is beyond last index ${last}`);
    this.applied = applied ?? first - 1;
    assert(this.applied >= first - 1 && this.applied <= this.committed,
      () => `applied ${this.applied} is out of [${first - 1}, ${this.committed}]`);
    this.applying = this.applied;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** Term of entry i for i in [firstIndex-1, lastIndex]; CompactedError below, UnavailableError
   *  above. */
  term(i: number): number {
    const t = this.unstable.maybeTerm(i);
    if (t !== null) return t;
    const first = this.firstIndex();
    if (i < first - 1) throw new CompactedError(i, first);
    if (i > this.lastIndex()) throw new UnavailableError(i, this.lastIndex());
    return this.storage.term(i);
  }

  /** Term of entry i, or 0 when it is compacted or does not exist. */
  termOrZero(i: number): number {
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return 0;
    return this.term(i);
  }

  matchTerm(i: number, t: number): boolean {
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return false;
    return this.term(i) === t;
  }

  /** §5.4.1: a candidate's log (lastIndex, lastTerm) is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** The index of the first entry that is new or conflicts with ours (same index, other term),
   *  or 0 when every entry is already present. Entries must be contiguous. */
  findConflict(entries: readonly Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /** The largest index <= `index` whose term is <= `term`, with its term; stops with term 0 at
   *  the first index whose term is unknown (compacted or beyond the end). The follower's reject
   *  hint and the leader's probe both use it to skip a whole term per round trip. */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i > 0; i--) {
      if (i < this.firstIndex() - 1 || i > this.lastIndex()) {
        return { index: i, term: 0 }; // unknown term: assume it may match
      }
      const t = this.term(i);
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  /** Follower side of AppendEntries: if our entry at `index` has term `logTerm`, append the
   *  entries (truncating at the first conflict), advance commit to min(commit, last new index)
   *  and return the last new index; otherwise return null. */
  maybeAppend(index: number, logTerm: number, commit: number, entries: readonly Entry[]): number | null {
    if (!this.matchTerm(index, logTerm)) return null;
    const lastNew = index + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(conflict > this.committed, () => `conflicting entry ${conflict} is committed (${this.committed})`);
      this.append(entries.slice(conflict - index - 1));
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /** Appends entries (overwriting a conflicting uncommitted suffix); returns the last index. */
  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0]!.index - 1;
    assert(after >= this.committed, () => `append after ${after} would overwrite committed ${this.committed}`);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), () => `commit ${index} is beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** The leader's commit rule (§5.4.2, Figure 8): advance to `index` only if that entry is of
   *  the leader's current `term`. Returns whether commit moved. */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.termOrZero(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    assert(index <= this.applying && index >= this.applied,
      () => `applied ${index} is out of [${this.applied}, ${this.applying}]`);
    this.applied = index;
  }

  /** Entries up to `index` were handed out for applying. */
  applyingTo(index: number): void {
    assert(index <= this.committed && index >= this.applying,
      () => `applying ${index} is out of [${this.applying}, ${this.committed}]`);
    this.applying = index;
  }

  /** A snapshot at `index` was written: everything up to it counts as applied. */
  appliedSnapshotTo(index: number): void {
    if (index > this.applied) this.applied = index;
    if (index > this.applying) this.applying = index;
  }

  /** Entries in [lo, hi) with at most maxBytes of payload (at least one entry). Reads storage
   *  first, then the unstable part; storage may throw LogTemporarilyUnavailableError. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    this.checkBounds(lo, hi);
    if (lo === hi) return [];
    const split = this.unstable.offset;
    let out: Entry[] = [];
    if (lo < split) {
      out = this.storage.entries(lo, Math.min(hi, split), maxBytes);
      if (out.length < Math.min(hi, split) - lo) return out;
    }
    if (hi > split) {
      const tail = this.unstable.slice(Math.max(lo, split), hi);
      if (out.length === 0) return limitBytes(tail, maxBytes);
      let used = entriesBytes(out);
      for (const e of tail) {
        used += e.data.length;
        if (used > maxBytes) break;
        out.push(e);
      }
    }
    return out;
  }

  /** Entries from lo to the end, at most maxBytes. */
  entriesFrom(lo: number, maxBytes: number): Entry[] {
    if (lo > this.lastIndex()) return [];
    return this.slice(lo, this.lastIndex() + 1, maxBytes);
  }

  private checkBounds(lo: number, hi: number): void {
    assert(lo <= hi, () => `invalid slice [${lo}, ${hi})`);
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first);
    assert(hi <= this.lastIndex() + 1, () => `slice [${lo}, ${hi}) is beyond last index ${this.lastIndex()}`);
  }

  /** True when committed entries wait to be handed out for applying (none while a snapshot is
   *  pending: it must be written and applied first). With `stableOnly`, only entries durable
   *  here count. */
  hasNextCommittedEntries(stableOnly = false): boolean {
    return this.unstable.snapshot === null && this.applyLimit(stableOnly) > this.applying;
  }

  /** Committed entries after `applying`, at most maxBytes (at least one); with `stableOnly`,
   *  only those durable here (they may be applied while later entries are being written). */
  nextCommittedEntries(maxBytes: number, stableOnly = false): Entry[] {
    if (!this.hasNextCommittedEntries(stableOnly)) return [];
    return this.slice(this.applying + 1, this.applyLimit(stableOnly) + 1, maxBytes);
  }

  private applyLimit(stableOnly: boolean): number {
    return stableOnly ? Math.min(this.committed, this.lastStableIndex()) : this.committed;
  }

  /** Installs a snapshot: the log becomes empty at snapshot.index, which counts as committed. */
  restore(snapshot: SnapshotMeta): void {
    this.committed = snapshot.index;
    this.unstable.restore(snapshot);
  }

  /** Everything at or below this index is durable in storage. */
  lastStableIndex(): number {
    if (this.unstable.snapshot !== null) return this.storage.lastIndex();
    return this.unstable.offset - 1;
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }
}
