// The application side of the driver's Ready loop: committed entries and installed snapshots go
// to the application, conf changes into the RawNode and the peer book, and the waiters
// (proposals, reads) whose entries got applied are settled.
//
// Invariants: appliedIndex only grows; confState is the membership after every conf change up
// to appliedIndex (between two Readys); a conf state not yet written is handed to the next
// batch, where the application also stages the applied index covering it.
//
// A snapshot install (the relay fetching binlog files: seconds to minutes) runs beside the Ready
// loop, so that the node goes on voting and acknowledging appends meanwhile: entries committed
// during it wait here, in order, and are applied once it ends.
import type { Logger } from 'pino';
import { decodeConfChange } from './core/confchange.js';
import type { RawNode } from './core/raw-node.js';
import type { ConfState, Entry, NodeId, SnapshotMeta } from './core/types.js';
import { ApplyFailedError, ConfChangeRejectedError } from './node-errors.js';
import type { ApplyRefusals, RaftNodeOptions } from './node-options.js';
import type { PeerBook } from './node-peers.js';
import type { PendingProposals, PendingReads } from './node-pending.js';

const textDecoder = new TextDecoder();

export interface ApplierDeps {
  readonly self: NodeId;
  readonly raw: RawNode;
  readonly peers: PeerBook;
  readonly proposals: PendingProposals;
  readonly reads: PendingReads;
  readonly log: Logger;
  readonly app: Pick<RaftNodeOptions, 'apply' | 'applySnapshot'>;
  readonly onApplied: (index: number) => void;
  readonly onRemoved: () => void;
  /** An asynchronous apply or snapshot install failed (the node stops). */
  readonly onFailed: (err: unknown) => void;
  /** A snapshot install failed (it is durable: the next start installs it again). */
  readonly onInstallFailed: (err: unknown) => void;
  /** A snapshot install and the applies it held back are done: the Ready loop may go on. */
  readonly onIdle: () => void;
}

export class Applier {
  /** Applied by the application (its callback settled). */
  appliedIndex: number;
  confState: ConfState;
  /** Entries at or below this index were applied before the restart: not re-delivered. */
  private readonly appliedBeforeStart: number;
  private confDirty = false;
  /** Counts conf state changes, so that a batch written while another change was applied (an
   *  apply between Readys) leaves that change owed to the next batch. */
  private confGeneration = 0;
  /** An asynchronous apply under way, until it settles. */
  private pending: Promise<void> | null = null;
  /** A snapshot install under way (its index), until it and the applies held back behind it
   *  are done. */
  private installing: { readonly index: number; readonly done: Promise<void> } | null = null;
  /** Committed entries that came while a snapshot was installed, to apply after it, in order. */
  private readonly deferred: (readonly Entry[])[] = [];

  constructor(private readonly d: ApplierDeps, applied: number, confState: ConfState) {
    this.appliedIndex = applied;
    this.appliedBeforeStart = applied;
    this.confState = confState;
  }

  /** An asynchronous apply or a snapshot install is under way: no other apply may start now
   *  (order). */
  get busy(): boolean {
    return this.pending !== null || this.installing !== null;
  }

  /** A snapshot install (or the applies it held back) is under way: entries handed to apply()
   *  wait for it. Batches may still be written (the install stages its checkpoint at once, at
   *  its end), but no other snapshot may be. */
  get installingSnapshot(): boolean {
    return this.installing !== null;
  }

  /** The index of the snapshot being installed (0: none). */
  get installingIndex(): number {
    return this.installing?.index ?? 0;
  }

  /** Installing a snapshot whose membership has no vote for this node (a learner, or a member
   *  added after it): it counts for no quorum. */
  get installingAsNonVoter(): boolean {
    return this.installing !== null && !this.confState.voters.includes(this.d.self);
  }

  /** Applies `entries` now (synchronously if the application does; an asynchronous apply is
   *  held until it settles), or after the snapshot install under way. Call only when no
   *  asynchronous apply is under way (settled()). */
  apply(entries: readonly Entry[]): void {
    if (this.installing !== null) this.deferred.push(entries);
    else this.holdWhile(this.entries(entries));
  }

  /** Keeps the applier busy until `result` settles, if it is a promise. */
  private holdWhile(result: Promise<void> | void): void {
    if (!(result instanceof Promise)) return;
    const done = result.then(() => undefined, (err: unknown) => this.d.onFailed(err));
    this.pending = done;
    void done.finally(() => {
      if (this.pending === done) this.pending = null;
    });
  }

  /** Resolves once no asynchronous apply is under way (a snapshot install may be). */
  async settled(): Promise<void> {
    while (this.pending !== null) await this.pending;
  }

  /** Resolves once nothing is under way: no apply, no snapshot install. */
  async idle(): Promise<void> {
    while (this.pending !== null || this.installing !== null) await (this.installing?.done ?? this.pending);
  }

  /** Starts installing a snapshot the store just persisted, beside the Ready loop. Call only
   *  when idle(). */
  install(snap: SnapshotMeta): void {
    const done = this.snapshot(snap).then(() => this.applyDeferred()).catch((err: unknown) => {
      this.installing = null;
      this.d.onInstallFailed(err);
    });
    this.installing = { index: snap.index, done };
  }

  /** Applies, in order, the entries committed while the snapshot was installed; ends the
   *  install in the same step that finds the queue empty, so that nothing is queued after. */
  private async applyDeferred(): Promise<void> {
    for (;;) {
      const batch = this.deferred.shift();
      if (batch === undefined) {
        this.installing = null;
        this.d.onIdle();
        return;
      }
      const result = this.entries(batch);
      if (!(result instanceof Promise)) continue; // a synchronous application: the whole queue at once
      // An asynchronous one holds batches back while each apply runs, as the Ready loop's do.
      const done = result.then(() => undefined, () => undefined);
      this.pending = done;
      try {
        await result;
      } finally {
        if (this.pending === done) this.pending = null;
      }
    }
  }

  /** The conf state the next batch must carry, or null (unchanged, or superseded by the
   *  batch's snapshot, which carries its own), and the generation to hand to batchWritten. */
  confForBatch(hasSnapshot: boolean): { confState: ConfState | null; generation: number } {
    return { confState: !hasSnapshot && this.confDirty ? this.confState : null, generation: this.confGeneration };
  }

  get hasUnwrittenConf(): boolean {
    return this.confDirty;
  }

  /** The conf state must be written again (it differs from the store's record). */
  confChanged(): void {
    this.confDirty = true;
    this.confGeneration++;
  }

  /** A batch taken at `generation` is written: its conf state is on disk unless a change was
   *  applied since. */
  batchWritten(hadConf: boolean, hadSnapshot: boolean, generation: number): void {
    if ((hadConf || hadSnapshot) && generation === this.confGeneration) this.confDirty = false;
  }

  /** A snapshot from the leader was persisted: the application restarts from its data. */
  private async snapshot(snap: SnapshotMeta): Promise<void> {
    this.confState = snap.confState;
    this.d.peers.reachMembers(this.confState);
    this.d.log.info({ event: 'raft.snapshot.installing', index: snap.index, term: snap.term }, 'installing a snapshot');
    try {
      if (this.d.app.applySnapshot !== undefined) await this.d.app.applySnapshot(snap);
    } catch (err) {
      throw new ApplyFailedError(snap.index, err);
    }
    this.appliedIndex = Math.max(this.appliedIndex, snap.index);
    this.d.proposals.applied([], this.appliedIndex, () => new ConfChangeRejectedError('replaced by a snapshot'));
    this.d.reads.applied(this.appliedIndex);
    this.d.onApplied(this.appliedIndex);
  }

  /** Applies committed entries in order and reports them to the RawNode. Synchronous when the
   *  application is (the driver relies on that to apply between two Readys); otherwise returns
   *  the promise of it. Throws (or rejects with) ApplyFailedError if the application fails. */
  entries(entries: readonly Entry[]): Promise<void> | void {
    for (const e of entries) if (e.type === 'confChange') this.confChange(e);
    const floor = this.appliedBeforeStart;
    const fresh = entries[0]!.index > floor ? entries : entries.filter((e) => e.index > floor);
    const last = entries[entries.length - 1]!.index;
    let result: ReturnType<RaftNodeOptions['apply']> | undefined;
    try {
      if (fresh.length > 0) result = this.d.app.apply(fresh);
    } catch (err) {
      throw new ApplyFailedError(last, err);
    }
    if (result instanceof Promise) {
      return result.then((refused) => this.applied(entries, last, refused), (err: unknown) => {
        throw new ApplyFailedError(last, err);
      });
    }
    this.applied(entries, last, result);
  }

  private applied(entries: readonly Entry[], last: number, refused: ApplyRefusals | void | undefined): void {
    this.appliedIndex = last;
    this.d.raw.appliedTo(last, entries);
    this.d.proposals.applied(entries, last, () => new ConfChangeRejectedError('the committed entry is not a conf change'), refused ?? undefined);
    this.d.reads.applied(last);
    this.d.onApplied(last);
  }

  private confChange(e: Entry): void {
    const cc = decodeConfChange(e.data);
    // A snapshot restored since this entry was handed out carries its change: applied again, an
    // addLearner after the promotion that followed it would demote a voter.
    if (e.index <= this.d.raw.compactedIndex()) {
      this.d.log.info({ event: 'raft.conf.superseded', index: e.index, change: cc.type, nodeId: cc.nodeId }, 'membership change already in a snapshot');
      return;
    }
    this.confState = this.d.raw.applyConfChange(cc);
    this.confChanged();
    if (cc.type === 'removeNode') this.d.peers.remove(cc.nodeId);
    else this.d.peers.add(cc.nodeId, textDecoder.decode(cc.context));
    this.d.peers.reachMembers(this.confState);
    this.d.log.info({ event: 'raft.conf.applied', index: e.index, change: cc.type, nodeId: cc.nodeId,
      voters: this.confState.voters, learners: this.confState.learners }, 'membership changed');
    if (cc.type === 'removeNode' && cc.nodeId === this.d.self) this.d.onRemoved();
  }
}
