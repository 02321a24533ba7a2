// The driver's Ready loop (one Ready written at a time; inputs arriving meanwhile go straight
// into the RawNode, and their entries ride in the next Ready, which is what makes group commit):
//
//   tick / message / propose ──► RawNode ──hasReady──► ready()
//     1. send rd.messages                     (the leader's appends may precede its own write)
//     2. apply the committed entries already durable here
//     3. store.persist(one batch, sync: rd.mustSync)  — a failure stops the node for good; the
//        batch also carries the application's staged checkpoint and the conf state after the
//        same entries, and a commit index covering everything applied
//     4. advancePersisted(rd); start installing rd.snapshot; send rd.messagesAfterPersist
//        (votes, append acks: they promise durable state); apply the rest of rd.committedEntries
//
// A snapshot install runs beside the loop (node-apply.ts): the node goes on writing Readys,
// voting and acknowledging appends while the relay fetches the snapshot's files, and the entries
// committed meanwhile are applied after it. Only another snapshot, and a log compaction, wait
// for it.
//
// Between two Readys (while one is written), nothing waits for the disk: messages that promise
// nothing durable (heartbeats and answers, appends, a new commit index) leave at once, and
// committed entries durable here are applied at once (betweenReadys). When no Ready is left, a
// batch carries what the applies staged.
import type { Logger } from 'pino';
import type { RawNode } from './core/raw-node.js';
import type { FetchRange, Ready } from './core/ready.js';
import type { Entry, Message } from './core/types.js';
import type { Applier } from './node-apply.js';
import { BatchWriter, NO_READY, type ReadyPart } from './node-batch.js';
import type { CompactionQueue } from './node-compaction.js';
import { LeadershipLostError, PersistFailedError } from './node-errors.js';
import { DEFAULT_CHECKPOINT_AFTER_MS, type RaftNodeOptions } from './node-options.js';
import type { PeerBook } from './node-peers.js';
import { bytesKey, type PendingProposals, type PendingReads } from './node-pending.js';

export interface ReadyLoopDeps {
  readonly raw: RawNode;
  readonly opts: Pick<RaftNodeOptions, 'store' | 'transport' | 'commitPath' | 'checkpoint' | 'checkpointAfterMs' | 'clock'>;
  readonly peers: PeerBook;
  readonly applier: Applier;
  readonly proposals: PendingProposals;
  readonly reads: PendingReads;
  readonly compactions: CompactionQueue;
  readonly log: Logger;
  /** The node is running (not stopping, stopped or failed). */
  readonly running: () => boolean;
  /** The node stopped on a fatal error (a function, so checks after an await are not narrowed). */
  readonly failed: () => boolean;
  /** A Ready carries a new soft or hard state (leader, role, term). */
  readonly noteState: (rd: Ready) => void;
  /** Loads a range the core found missing from the store's cache, in the background. */
  readonly fetch: (range: FetchRange) => void;
  /** Crash semantics: the node stops at once. */
  readonly fail: (err: unknown) => void;
}

export class ReadyLoop {
  private loop: Promise<void> | null = null;
  private betweenScheduled = false;
  /** The Ready being handled has committed entries not applied yet (before its write, those
   *  already durable; after it, the rest): none after them may be applied between Readys. */
  private readyEntriesWaiting = false;
  /** The highest commit index reported to opts.commitPath. */
  private seenCommit = 0;
  private readonly batches: BatchWriter;
  /** Cancels the timer that asks for a checkpoint of what was applied without one (null: none). */
  private cancelCheckpointTimer: (() => void) | null = null;
  /** That timer fired: the loop asks the application for a checkpoint between two Readys. */
  private checkpointAsked = false;

  constructor(private readonly d: ReadyLoopDeps) {
    this.batches = new BatchWriter(d.opts.store, d.applier, d.opts.checkpoint);
  }

  /** The loop under way, or null when it is idle. */
  get current(): Promise<void> | null {
    return this.loop;
  }

  /** Reports a commit index the core learned to opts.commitPath (once per index). */
  noteCommit(): void {
    const commit = this.d.raw.commitIndex();
    if (commit <= this.seenCommit) return;
    this.seenCommit = commit;
    this.d.opts.commitPath?.committed(commit);
  }

  /** Makes sure a Ready loop runs (after an input reached the RawNode). */
  kick(): void {
    if (!this.d.running()) return;
    if (this.loop === null) {
      this.loop = this.runLoop().finally(() => {
        this.loop = null;
      });
      return;
    }
    // A Ready is being written: what may go now goes now (see betweenReadys).
    if (this.betweenScheduled) return;
    this.betweenScheduled = true;
    queueMicrotask(() => {
      this.betweenScheduled = false;
      this.betweenReadys();
    });
  }

  /** While a Ready is written: send what needs no write (heartbeats and their answers, appends,
   *  the new commit index) and apply committed entries already durable here. So a slow write
   *  starves neither the peers nor the replicas, and a commit reaches the followers and the
   *  application at once. */
  private betweenReadys(): void {
    if (!this.d.running()) return;
    const { raw, applier } = this.d;
    try {
      this.send(raw.takeMessages());
      // A pending compaction takes the applied index once the checkpoint owed is written: an
      // apply now would move it past what that batch carries.
      if (applier.busy || this.readyEntriesWaiting || this.d.compactions.pending) return;
      const entries = raw.takeStableCommitted();
      if (entries.length > 0) applier.apply(entries);
    } catch (err) {
      this.d.fail(err);
    }
  }

  /** Waits until no asynchronous apply is under way (a snapshot install may be); false if the
   *  node stopped meanwhile. */
  private async settleApplying(): Promise<boolean> {
    await this.d.applier.settled();
    return !this.d.failed();
  }

  /** Waits until the snapshot install under way ended; false if the node stopped meanwhile. */
  private async installed(): Promise<boolean> {
    await this.d.applier.idle();
    return !this.d.failed();
  }

  /** Entries applied with no checkpoint staged are checkpointed at most `checkpointAfterMs`
   *  later (RaftNodeOptions.checkpoint): a timer asks the loop, which asks the application
   *  between two Readys, when its state is exactly the applied index. */
  private scheduleCheckpoint(): void {
    const { checkpoint, clock } = this.d.opts;
    if (checkpoint === undefined || this.cancelCheckpointTimer !== null || this.checkpointAsked || !this.batches.appliedUnstaged) return;
    this.cancelCheckpointTimer = clock.after(this.d.opts.checkpointAfterMs ?? DEFAULT_CHECKPOINT_AFTER_MS, () => {
      this.cancelCheckpointTimer = null;
      this.checkpointAsked = true;
      this.kick();
    });
  }

  /** On a clean stop (the loop ended): what was applied without a checkpoint gets one, so the
   *  next start serves it at once instead of after the leader commits it again. */
  async stop(): Promise<void> {
    this.cancelCheckpointTimer?.();
    this.cancelCheckpointTimer = null;
    if (this.d.opts.checkpoint === undefined || this.d.applier.installingSnapshot || !this.batches.appliedUnstaged) return;
    this.d.opts.checkpoint();
    await this.write(NO_READY);
  }

  private async runLoop(): Promise<void> {
    // Yield once so that a synchronous burst of inputs (proposals, messages) joins one Ready.
    await Promise.resolve();
    while (this.d.running()) {
      if (!(await this.settleApplying())) return;
      if (this.checkpointAsked && !this.d.applier.installingSnapshot) {
        this.checkpointAsked = false;
        this.d.opts.checkpoint?.();
      }
      this.scheduleCheckpoint();
      // A compaction waits for a snapshot install (the applier kicks the loop when it ends).
      if (this.d.compactions.pending && !this.d.applier.installingSnapshot) {
        // The checkpoint first: a restart must not find the log compacted past it.
        this.d.opts.checkpoint?.();
        if (this.batches.owed && !(await this.write(NO_READY))) return;
        if (!(await this.compactNow())) return;
        continue;
      }
      if (this.d.raw.hasReady()) {
        if (!(await this.handleReady(this.d.raw.ready()))) return;
        continue;
      }
      if (!this.batches.owed) return;
      if (!(await this.write(NO_READY))) return;
    }
  }

  /** Between two Readys: the conf state is exactly the membership at the applied index. */
  private async compactNow(): Promise<boolean> {
    const { store } = this.d.opts;
    const err = await this.d.compactions.run(store, this.d.applier.appliedIndex, this.d.applier.confState);
    if (err !== null) {
      this.d.fail(err);
      return false;
    }
    this.d.log.info({ event: 'raft.log.compacted', index: store.snapshotMeta().index }, 'log compacted');
    return this.d.running();
  }

  /** Processes one Ready. Returns false if the node stopped on it. Committed entries already
   *  durable here are applied before the write (a commit-only Ready then costs one batch, written
   *  after the replicas were served); the others after it. */
  private async handleReady(rd: Ready): Promise<boolean> {
    const { raw, applier, reads } = this.d;
    if (rd.entriesToFetch !== undefined) for (const r of rd.entriesToFetch) this.d.fetch(r);
    if (rd.softState !== null || rd.hardState !== null) this.d.noteState(rd);
    if (rd.readStates.length > 0) {
      for (const rs of rd.readStates) reads.confirmed(bytesKey(rs.requestCtx), rs.index);
      reads.applied(applier.appliedIndex); // those already applied here resolve now
    }
    // A `snap` is inline metadata: no reportSnapshot needed (the core re-probes on a heartbeat answer).
    this.send(rd.messages);
    // A second snapshot replaces the state the first one is still installing: after it.
    if (rd.snapshot !== null && applier.installingSnapshot && !(await this.installed())) return false;
    const firstNew = rd.snapshot !== null ? 0 : rd.entries[0]?.index ?? Infinity;
    const split = rd.committedEntries.findIndex((e) => e.index >= firstNew);
    const durable = split < 0 ? rd.committedEntries : rd.committedEntries.slice(0, split);
    const fresh = split < 0 ? [] : rd.committedEntries.slice(split);
    // A Ready hands out at most so many committed entries: those after them (committed, maybe
    // durable) may be taken between Readys only once these are applied, and the ones that become
    // durable with this write only after it.
    this.readyEntriesWaiting = rd.committedEntries.length > 0;
    if (!(await this.applyNow(durable))) return false;
    this.readyEntriesWaiting = fresh.length > 0;
    if (!(await this.write({ entries: rd.entries, hardState: rd.hardState, snapshot: rd.snapshot, sync: rd.mustSync }))) return false;
    const lastWritten = rd.entries[rd.entries.length - 1];
    if (lastWritten !== undefined) this.d.opts.commitPath?.persisted(lastWritten.index);
    try {
      raw.advancePersisted(rd);
      this.noteCommit();
      this.send(raw.takeMessages()); // the leader's own copy counted: a commit goes out now
      // The snapshot is durable here, so its acknowledgement may go before its files are in. A
      // non-voter's waits for them (it counts for no quorum): a learner is promoted once it
      // holds them.
      if (rd.snapshot !== null) applier.install(rd.snapshot);
      if (applier.installingAsNonVoter && !(await this.installed())) return false;
      this.send(rd.messagesAfterPersist);
    } catch (err) {
      this.d.fail(err);
      return false;
    }
    const applied = await this.applyNow(fresh);
    this.readyEntriesWaiting = false;
    if (!applied) return false;
    this.dropStaleProposals();
    return true;
  }

  private async applyNow(entries: readonly Entry[]): Promise<boolean> {
    if (entries.length === 0) return true;
    if (!(await this.settleApplying())) return false;
    try {
      this.d.applier.apply(entries);
    } catch (err) {
      this.d.fail(err);
      return false;
    }
    return this.settleApplying();
  }

  /** Writes one batch (node-batch.ts) once no asynchronous apply is under way. Returns false if
   *  the node stopped on it. */
  private async write(part: ReadyPart): Promise<boolean> {
    if (!(await this.settleApplying())) return false;
    try {
      await this.batches.write(part);
    } catch (err) {
      this.d.fail(new PersistFailedError(err));
      return false;
    }
    return !this.d.failed();
  }

  /** Waiters whose entry can no longer be committed by us: we are not leader any more, or lead
   *  in a later term. Judged on the core's current state (a Ready's softState may be older
   *  than a proposal accepted while it was in flight). */
  private dropStaleProposals(): void {
    if (this.d.proposals.size === 0) return;
    const s = this.d.raw.status();
    const leading = s.softState.role === 'leader';
    this.d.proposals.rejectWhere((term) => !leading || term < s.hardState.term,
      (i, t) => new LeadershipLostError(i, t, 'leadership lost before commit'));
  }

  private send(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    for (const m of messages) this.d.peers.ensure(m.to);
    this.d.opts.transport.send(messages);
  }
}
