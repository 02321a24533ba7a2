// What the driver writes to its store, one batch at a time: a Ready's entries, hard state and
// snapshot, plus the application's staged checkpoint with the conf state after the same entries
// (the store takes what is staged at the call; a new conf state first asks the application to
// stage its applied index, so they go together), and a commit index covering the applied index
// staged (a restart needs applied <= commit). A batch is also owed with no Ready at all, when an
// apply staged a checkpoint or changed the conf state.
//
// A Ready's hard state that only moves the commit index is not written: a restart learns the
// commit index from the leader, so it is written only when an applied index needs it. Then a
// Ready of new entries costs the segment append alone, with no LevelDB write behind it on the
// commit path (leader and followers alike).
import type { Applier } from './node-apply.js';
import type { HardState } from './core/types.js';
import type { PersistBatch, RaftStore } from './ports.js';

export type ReadyPart = Omit<PersistBatch, 'confState'>;

export const NO_READY: ReadyPart = { entries: [], hardState: null, snapshot: null, sync: false };

export class BatchWriter {
  /** The hard state last written (a restart starts from it). */
  private written: HardState;

  /** `checkpoint`: the application stages its applied index now (RaftNodeOptions.checkpoint). */
  constructor(private readonly store: RaftStore, private readonly applier: Applier, private readonly checkpoint?: () => void) {
    this.written = store.initialState().hardState;
  }

  get owed(): boolean {
    return this.applier.hasUnwrittenConf || this.store.hasStaged?.() === true || this.stagedApplied() > this.written.commit;
  }

  /** Entries were applied past the applied index staged (a restart would apply them again). */
  get appliedUnstaged(): boolean {
    return this.applier.appliedIndex > this.stagedApplied();
  }

  /** The applied index a restart would start from once this batch is written. */
  private stagedApplied(): number {
    return this.store.appliedIndex?.() ?? this.applier.appliedIndex;
  }

  /** Writes `part` with what is owed; resolves at once when there is nothing to write. Call
   *  only when no asynchronous apply is under way (a snapshot install may be: it stages its
   *  checkpoint in one step, at its end). Rejects with the store's error. */
  async write(part: ReadyPart): Promise<void> {
    // Not while a snapshot installs: the application stages its state when the install ends.
    if (this.applier.hasUnwrittenConf && !this.applier.installingSnapshot) this.checkpoint?.();
    const hardState = this.hardStateToWrite(part.hardState);
    if (part.entries.length === 0 && hardState === null && part.snapshot === null && !this.owed) return;
    const { confState, generation } = this.applier.confForBatch(part.snapshot !== null);
    await this.store.persist({ ...part, hardState, confState });
    if (hardState !== null) this.written = hardState;
    this.applier.batchWritten(confState !== null, part.snapshot !== null, generation);
  }

  private hardStateToWrite(fromReady: HardState | null): HardState | null {
    const termOrVote = fromReady !== null && (fromReady.term !== this.written.term || fromReady.vote !== this.written.vote);
    const base = termOrVote ? fromReady : this.written;
    const commit = Math.max(base.commit, this.stagedApplied());
    if (!termOrVote && commit === base.commit) return null;
    return commit === base.commit ? base : { ...base, commit };
  }
}
