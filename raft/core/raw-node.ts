// RawNode: the driver's handle on one raft node. It is synchronous and does no I/O: the driver
// feeds ticks and messages in, and takes Readys out (persist, send, apply), one at a time:
//
//   while (node.hasReady()) {
//     const rd = node.ready();
//     send(rd.messages); persist(rd.snapshot, rd.entries, rd.hardState, {sync: rd.mustSync});
//     send(rd.messagesAfterPersist); apply(rd.committedEntries); node.advance(rd);
//   }
//
// A pipelined driver does more between two Readys (etcd's asynchronous storage writes and
// application, in the Ready form): while a Ready's write is under way it sends takeMessages()
// (heartbeats, appends, commit updates: nothing that promises durable state) and applies
// takeStableCommitted() (committed entries already durable here). It then closes a Ready with
// advancePersisted(rd) and reports each applied batch with appliedTo().
import type { RaftConfig } from './config.js';
import { encodeConfChange } from './confchange.js';
import { entriesBytes } from './entry-size.js';
import { LogTemporarilyUnavailableError, NotLeaderError, RaftUsageError } from './errors.js';
import type { LogStorage } from './log-storage.js';
import { isLocalMessageType, isResponseType, makeMessage } from './message.js';
import { Raft } from './raft.js';
import type { Ready } from './ready.js';
import { getStatus, type Status } from './status.js';
import { NONE, type ConfChange, type ConfState, type Entry, type HardState, type Message, type NodeId, type SoftState } from './types.js';

export type { RaftConfig } from './config.js';
export type { Status, PeerProgress } from './status.js';
export type { FetchRange } from './ready.js';
/** Kept for drivers written against the first draft: Ready itself now has entriesToFetch. */
export type ReadyWithFetch = Ready;

export class RawNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private outstanding: Ready | null = null;
  private readonly maxCommittedSizePerReady: number;
  /** Payload bytes handed out for applying and not yet reported applied. */
  private applyingBytes = 0;

  /** Restores term, vote, commit and membership from storage.initialState(); the log from
   *  storage; `config.applied` says how far the application got. Starts as a follower. */
  constructor(config: RaftConfig, storage: LogStorage) {
    this.raft = new Raft(config, storage);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
    this.maxCommittedSizePerReady = config.maxCommittedSizePerReady ?? config.maxSizePerMsg;
  }

  /** Advances logical time by one tick: election timeouts, heartbeats, check-quorum. */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (with a pre-vote round if configured). No-op for leaders, learners
   *  and removed nodes. */
  campaign(): void {
    this.raft.step(makeMessage({ type: 'hup', from: this.raft.id, to: this.raft.id }));
  }

  /** Appends a normal entry (leader only). Throws ProposalDroppedError otherwise. */
  propose(data: Uint8Array): { index: number; term: number } {
    return this.raft.propose('normal', data);
  }

  /** Appends a conf change entry (leader only). Throws ProposalDroppedError when not leader,
   *  transferring, while a previous conf change is not applied yet, or when the change would
   *  leave no voter. */
  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    return this.raft.propose('confChange', encodeConfChange(cc), cc);
  }

  /** The driver applies a committed confChange entry (decode it with decodeConfChange from
   *  confchange.ts). Returns the membership after the change. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** The index the log starts after (a snapshot's, or a compaction's): a committed entry at or
   *  below it, handed out before a snapshot overtook it, is in the snapshot's membership already,
   *  so its conf change must not be applied again. */
  compactedIndex(): number {
    return this.raft.raftLog.firstIndex() - 1;
  }

  /** Steps a message from a peer. Local message types are rejected; answers from non-members
   *  are ignored. */
  step(m: Message): void {
    if (isLocalMessageType(m.type)) throw new RaftUsageError(`cannot step local message type ${m.type}`);
    if (m.to !== this.raft.id) throw new RaftUsageError(`message for ${m.to} stepped into node ${this.raft.id}`);
    if (isResponseType(m.type) && !this.raft.trk.progress.has(m.from)) return;
    this.raft.step(m);
  }

  /** Messages that may leave now, without a Ready: everything queued except what must wait for
   *  a write (votes, append answers). Leader appends of new proposals are built here too. */
  takeMessages(): Message[] {
    const r = this.raft;
    r.flushAppends();
    const out = r.msgs;
    r.msgs = [];
    return out;
  }

  /** Committed entries that are durable here and not yet handed out: they may be applied at
   *  once, also while a Ready is outstanding. Report them with appliedTo(). */
  takeStableCommitted(): Entry[] {
    return this.takeCommitted(true);
  }

  hasReady(): boolean {
    const r = this.raft;
    const log = r.raftLog;
    if (!softStateEqual(r.softState(), this.prevSoftState)) return true;
    if (!hardStateEqual(r.hardState(), this.prevHardState)) return true;
    if (log.unstable.nextSnapshot() !== null) return true;
    if (log.unstable.offsetInProgress < log.unstable.offset + log.unstable.entries.length) return true;
    if (r.msgs.length > 0 || r.msgsAfterPersist.length > 0 || r.readStates.length > 0) return true;
    if (r.fetchRanges.length > 0) return true;
    return log.hasNextCommittedEntries() && !r.committedFetchBlocked && !this.applyingFull();
  }

  /** Applying may lag by a few Readys' worth of entries, no more (memory stays bounded). */
  private applyingFull(): boolean {
    return this.applyingBytes > 0 && this.applyingBytes >= 4 * this.maxCommittedSizePerReady;
  }

  /** Everything to persist, send and apply since the last Ready. One Ready at a time: call
   *  advance(rd) before the next ready(). */
  ready(): Ready {
    if (this.outstanding !== null) throw new RaftUsageError('ready() called before advance() of the previous Ready');
    const r = this.raft;
    r.checkInvariants();
    r.flushAppends();
    const log = r.raftLog;
    const committedEntries = this.takeCommitted(false);
    const soft = r.softState();
    const hard = r.hardState();
    const hardChanged = !hardStateEqual(hard, this.prevHardState);
    const entries = log.unstable.nextEntries();
    const snapshot = log.unstable.nextSnapshot();
    const rd: Ready = {
      softState: softStateEqual(soft, this.prevSoftState) ? null : soft,
      hardState: hardChanged ? hard : null,
      entries,
      snapshot,
      committedEntries,
      messages: r.msgs,
      messagesAfterPersist: r.msgsAfterPersist,
      readStates: r.readStates,
      mustSync: entries.length > 0 || snapshot !== null ||
        hard.term !== this.prevHardState.term || hard.vote !== this.prevHardState.vote,
      ...(r.fetchRanges.length > 0 ? { entriesToFetch: r.fetchRanges } : {}),
    };
    this.prevSoftState = soft;
    this.prevHardState = hard;
    log.unstable.acceptInProgress();
    r.msgs = [];
    r.msgsAfterPersist = [];
    r.readStates = [];
    r.fetchRanges = [];
    this.outstanding = rd;
    return rd;
  }

  private takeCommitted(stableOnly: boolean): Entry[] {
    const r = this.raft;
    if (r.committedFetchBlocked || this.applyingFull()) return [];
    try {
      const entries = r.raftLog.nextCommittedEntries(this.maxCommittedSizePerReady, stableOnly);
      const last = entries[entries.length - 1];
      if (last !== undefined) {
        r.raftLog.applyingTo(last.index);
        this.applyingBytes += entriesBytes(entries);
      }
      return entries;
    } catch (err) {
      if (!(err instanceof LogTemporarilyUnavailableError)) throw err;
      r.noteFetch(err);
      r.committedFetchBlocked = true;
      return [];
    }
  }

  /** The driver persisted, sent and applied `rd`. */
  advance(rd: Ready): void {
    this.advancePersisted(rd);
    const applied = rd.committedEntries[rd.committedEntries.length - 1];
    if (applied !== undefined) this.appliedTo(applied.index, rd.committedEntries);
  }

  /** The driver persisted `rd` and sent its messages; its committed entries are reported
   *  applied separately, with appliedTo(). The next ready() may follow at once. */
  advancePersisted(rd: Ready): void {
    if (rd !== this.outstanding) throw new RaftUsageError('advance() with a Ready that is not the outstanding one');
    this.outstanding = null;
    const r = this.raft;
    if (rd.snapshot !== null) r.onSnapshotPersisted(rd.snapshot.index);
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) r.onPersisted(last.index, last.term);
  }

  /** The application applied `entries` (handed out by a Ready or takeStableCommitted(), in
   *  order), the last of them being `index`. */
  appliedTo(index: number, entries: readonly Entry[]): void {
    this.raft.onApplied(index, entries);
    this.applyingBytes = Math.max(0, this.applyingBytes - entriesBytes(entries));
  }

  /** Asks the leader (directly, or forwarded through a follower) to hand leadership to `to`:
   *  it catches `to` up, then sends it timeoutNow. Aborted after an election timeout. */
  transferLeader(to: NodeId): void {
    if (this.raft.lead === NONE) throw new NotLeaderError(NONE, 'transferLeader');
    // As in etcd, the request names the transferee in `from`.
    this.raft.step(makeMessage({ type: 'transferLeader', from: to, to: this.raft.id }));
  }

  /** Requests a linearizable read; the answer is a ReadState with the same context in a later
   *  Ready (serve it once applied >= its index). Contexts must be unique among pending reads. */
  readIndex(ctx: Uint8Array): void {
    if (this.raft.lead === NONE) throw new NotLeaderError(NONE, 'readIndex');
    this.raft.step(makeMessage({ type: 'readIndex', from: this.raft.id, to: this.raft.id, context: ctx }));
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step(makeMessage({ type: 'unreachable', from: id, to: this.raft.id }));
  }

  /** The transport failed (ok = false) or managed (ok = true) to deliver a snapshot to `id`. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(makeMessage({ type: 'snapStatus', from: id, to: this.raft.id, reject: !ok }));
  }

  /** The driver loaded the entries of a LogTemporarilyUnavailableError: resend pending appends
   *  and retry the committed entries. */
  onEntriesFetched(): void {
    this.raft.onEntriesFetched();
  }

  /** A follower drops its leader (e.g. it learnt the leader is gone), so that with
   *  check-quorum it grants votes at once instead of after an election timeout. */
  forgetLeader(): void {
    if (this.raft.state === 'follower') this.raft.lead = NONE;
  }

  /** The commit index known here (cheap, unlike status()). */
  commitIndex(): number {
    return this.raft.raftLog.committed;
  }

  status(): Status {
    return getStatus(this.raft);
  }
}

function softStateEqual(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
