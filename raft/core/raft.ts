// The raft state machine of one node: role, term, vote, log and (on the leader) followers'
// progress. Everything happens in response to tick() or step(message); output accumulates in
// `msgs` / `msgsAfterPersist` / `readStates` until RawNode hands it out in a Ready.
//
//            timeout            quorum of preVotes         quorum of votes
//  follower ────────► preCandidate ────────► candidate ────────────► leader
//     ▲   (preVote off: straight to candidate)   │                      │
//     └──────────── higher term / lost / append from a leader ──────────┘
import { assert } from './assert.js';
import type { RaftConfig } from './config.js';
import { validateConfig } from './config.js';
import { campaign, handleVoteRequest, type CampaignKind } from './election.js';
import { entriesBytes } from './entry-size.js';
import { LogTemporarilyUnavailableError, ProposalDroppedError } from './errors.js';
import type { LogStorage } from './log-storage.js';
import { isTransferContext, makeMessage, mustSendAfterPersist, type MessageFields } from './message.js';
import { applyMembershipChange, checkConfChangeProposal, restoreMembership } from './membership.js';
import { RaftLog } from './raft-log.js';
import { ReadOnly } from './read-only.js';
import type { FetchRange } from './ready.js';
import { bcastCommit, bcastHeartbeat, maybeCommit, maybeSendAppend, releasePendingReads, sendCommitsIfDurable } from './replication.js';
import type { Rng } from './rng.js';
import { stepCandidate } from './step-candidate.js';
import { stepFollower } from './step-follower.js';
import { stepLeader } from './step-leader.js';
import { ProgressTracker } from './tracker.js';
import {
  NONE, type ConfChange, type ConfState, type Entry, type EntryType, type HardState, type Message,
  type NodeId, type ReadState, type Role, type SoftState,
} from './types.js';

/** One node's raft state. Internal to raft/core (drivers use RawNode); fields are public for the
 *  per-role step functions. Invariants: vote is NONE or a node this node voted for in `term`;
 *  lead === id iff state === 'leader'; term never decreases; on the leader, trk.progress holds
 *  every member and its own match is its last durable index. */
export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  state: Role = 'follower';
  isLearner = false;
  readonly raftLog: RaftLog;
  readonly trk: ProgressTracker;
  readonly readOnly = new ReadOnly();

  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly heartbeatTimeout: number;
  readonly electionTimeout: number;
  /** Drawn from [electionTimeout, 2 * electionTimeout) at every reset. */
  randomizedElectionTimeout = 0;
  /** Ticks since the last reset (leader: since the last check-quorum round). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** Leader: heartbeat rounds sent by ticks (paces snapshot resends). */
  heartbeatRounds = 0;
  readonly maxMsgSize: number;
  readonly maxUncommittedSize: number;
  private readonly rng: Rng;

  /** Leader: a transfer to this voter is under way; proposals are dropped meanwhile. */
  leadTransferee: NodeId = NONE;
  /** Leader: index of the last conf change it may have in its log; no new change until applied
   *  reaches it. */
  pendingConfIndex = 0;
  /** Leader removed or demoted by a change it applied when its commit index was this: it keeps
   *  leading (refusing proposals) until a quorum of the new voters reported a commit index at
   *  least this high, so they know the new membership without its vote; then it hands over.
   *  0 = not stepping down. */
  stepDownIndex = 0;
  /** Leader: payload bytes of uncommitted entries (reset on election). */
  uncommittedSize = 0;
  /** Follower: the highest index its leader said is committed once this log holds it durably
   *  (commitIfDurable); used as the log's durable part reaches it. 0 = none (reset each term). */
  durableCommit = 0;
  /** Leader: reads received before it committed an entry of its term. */
  pendingReadIndexMessages: Message[] = [];

  msgs: Message[] = [];
  msgsAfterPersist: Message[] = [];
  readStates: ReadState[] = [];
  fetchRanges: FetchRange[] = [];
  /** Committed entries could not be read from storage; wait for onEntriesFetched(). */
  committedFetchBlocked = false;
  /** Leader: proposals were appended since the last flush; their appends go out together at the
   *  next Ready (one message per follower per Ready instead of one per proposal). */
  appendsPending = false;

  constructor(config: RaftConfig, storage: LogStorage) {
    validateConfig(config);
    this.id = config.id;
    this.checkQuorum = config.checkQuorum;
    this.preVote = config.preVote;
    this.heartbeatTimeout = config.heartbeatTick;
    this.electionTimeout = config.electionTick;
    this.maxMsgSize = config.maxSizePerMsg;
    this.maxUncommittedSize = config.maxUncommittedEntriesSize === 0 ? Infinity : config.maxUncommittedEntriesSize;
    this.rng = config.rng;
    this.raftLog = new RaftLog(storage, config.applied);
    this.trk = new ProgressTracker({ maxInflightMsgs: config.maxInflightMsgs, maxInflightBytes: config.maxInflightBytes });
    const { hardState, confState } = storage.initialState();
    this.restoreConfState(confState);
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.becomeFollower(this.term, NONE);
  }

  /** Cheap cross-checks of the class invariants (RawNode runs them on every Ready). */
  checkInvariants(): void {
    assert((this.lead === this.id) === (this.state === 'leader'), () => `lead ${this.lead} as ${this.state}`);
    const log = this.raftLog;
    assert(log.applied <= log.committed && log.committed <= log.lastIndex(),
      () => `applied ${log.applied} <= commit ${log.committed} <= last ${log.lastIndex()} violated`);
    assert(this.vote === NONE || this.term > 0, () => `vote ${this.vote} in term 0`);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  softState(): SoftState {
    return { leader: this.lead, role: this.state };
  }

  /** Queues a message from this node. The term is ours unless set (votes carry their own);
   *  readIndex forwards carry term 0, like a local message. */
  send(fields: MessageFields): void {
    const m = makeMessage({ term: fields.type === 'readIndex' ? 0 : this.term, ...fields, from: this.id });
    this.enqueue(m);
  }

  /** Queues a message that keeps its `from` (a transferLeader request names the transferee). */
  forward(m: Message, to: NodeId): void {
    this.enqueue({ ...m, to, term: m.type === 'readIndex' ? 0 : this.term });
  }

  private enqueue(m: Message): void {
    assert(m.to !== this.id, () => `message ${m.type} to self`);
    if (mustSendAfterPersist(m.type)) this.msgsAfterPersist.push(m);
    else this.msgs.push(m);
  }

  noteFetch(err: LogTemporarilyUnavailableError): void {
    if (!this.fetchRanges.some((r) => r.lo === err.lo && r.hi === err.hi)) {
      this.fetchRanges.push({ lo: err.lo, hi: err.hi });
    }
  }

  // ---- roles ----------------------------------------------------------------------------------

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTimeout + this.rng.intBelow(this.electionTimeout);
    this.leadTransferee = NONE;
    this.trk.resetVotes();
    const next = this.raftLog.lastIndex() + 1;
    for (const id of this.trk.memberIds()) {
      const old = this.trk.progress.get(id)!;
      const match = id === this.id ? this.raftLog.lastStableIndex() : 0;
      this.trk.progress.set(id, this.trk.newProgress(match, next, old.isLearner));
    }
    this.pendingConfIndex = 0;
    this.stepDownIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly.reset();
    this.pendingReadIndexMessages = [];
    this.durableCommit = 0;
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'follower';
  }

  becomePreCandidate(): void {
    assert(this.state !== 'leader', 'leader cannot become pre-candidate');
    // The term and vote stay: a pre-election changes nothing durable.
    this.state = 'preCandidate';
    this.trk.resetVotes();
    this.lead = NONE;
  }

  becomeCandidate(): void {
    assert(this.state !== 'leader', 'leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = 'candidate';
  }

  becomeLeader(): void {
    assert(this.state !== 'follower', 'follower cannot become leader without an election');
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'leader';
    const self = this.trk.progress.get(this.id)!;
    self.becomeReplicate();
    self.recentActive = true;
    // Any conf change in our log may be unapplied: hold new ones until we applied it all.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // An entry of our own term lets us commit the entries of earlier terms (§5.4.2). It is not
    // counted against the uncommitted limit.
    this.raftLog.append([{ index: this.raftLog.lastIndex() + 1, term: this.term, type: 'normal', data: new Uint8Array(0) }]);
  }

  /** Can campaign: a voter in its own config, not waiting on a snapshot write. */
  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && this.raftLog.unstable.snapshot === null;
  }

  // ---- ticks ----------------------------------------------------------------------------------

  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup('normal');
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      // Check-quorum over the current configuration. A leader handing over after its removal
      // runs it too, whatever the setting: it keeps going while a quorum of the new voters
      // answers (they are learning that the change is committed) and steps down when none does,
      // rather than lead forever (etcd's StepDownOnRemoval).
      if (this.checkQuorum || this.stepDownIndex !== 0) this.checkQuorumActive();
      if (this.state === 'leader' && this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    if (this.state !== 'leader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.heartbeatRounds++;
      bcastHeartbeat(this);
    }
  }

  /** Leader: step down unless a quorum answered since the last round, then start a new round. */
  private checkQuorumActive(): void {
    if (!this.trk.quorumActive(this.id)) {
      this.becomeFollower(this.term, NONE);
      return;
    }
    for (const [id, pr] of this.trk.progress) {
      if (id !== this.id) pr.recentActive = false;
    }
  }

  /** Starts an election if this node may: not leader, promotable, no unapplied conf change. */
  hup(kind: 'normal' | 'transfer'): void {
    if (this.state === 'leader' || !this.promotable() || this.hasUnappliedConfChanges()) return;
    const k: CampaignKind = kind === 'transfer' ? 'transfer' : this.preVote ? 'preElection' : 'election';
    campaign(this, k);
  }

  private hasUnappliedConfChanges(): boolean {
    let lo = this.raftLog.applied + 1;
    const hi = this.raftLog.committed + 1;
    try {
      while (lo < hi) {
        const page = this.raftLog.slice(lo, hi, this.maxMsgSize);
        if (page.some((e) => e.type === 'confChange')) return true;
        lo += page.length;
      }
    } catch (err) {
      if (!(err instanceof LogTemporarilyUnavailableError)) throw err;
      this.noteFetch(err);
      return true; // unknown: do not campaign until the entries are readable
    }
    return false;
  }

  // ---- step -----------------------------------------------------------------------------------

  step(m: Message): void {
    if (m.term > this.term) {
      if (!this.stepHigherTerm(m)) return;
    } else if (m.term !== 0 && m.term < this.term) {
      this.stepLowerTerm(m);
      return;
    }
    switch (m.type) {
      case 'hup':
        this.hup('normal');
        return;
      case 'vote':
      case 'preVote':
        handleVoteRequest(this, m);
        return;
      default:
        this.stepRole(m);
    }
  }

  private stepRole(m: Message): void {
    switch (this.state) {
      case 'leader':
        stepLeader(this, m);
        return;
      case 'candidate':
      case 'preCandidate':
        stepCandidate(this, m);
        return;
      case 'follower':
        stepFollower(this, m);
        return;
    }
  }

  /** Returns false when the message must be ignored. */
  private stepHigherTerm(m: Message): boolean {
    if (m.type === 'vote' || m.type === 'preVote') {
      const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
      // We heard from a live leader within the election timeout: a disruptive candidate must not
      // depose it (thesis §9.6), unless the leader itself asked for the election.
      if (inLease && !isTransferContext(m.context)) return false;
    }
    if (m.type === 'preVote') return true; // a pre-vote never changes our term
    if (m.type === 'preVoteResp' && !m.reject) return true; // we bump the term when we win
    const fromLeader = m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap' || m.type === 'commitIfDurable';
    this.becomeFollower(m.term, fromLeader ? m.from : NONE);
    return true;
  }

  private stepLowerTerm(m: Message): void {
    if ((this.checkQuorum || this.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
      // A stale leader (e.g. healed from a partition while we moved on) learns our term and
      // steps down. Without this, with pre-vote or check-quorum, it could keep a node whose term
      // it never learns from ever winning an election.
      this.send({ type: 'appResp', to: m.from });
    } else if (m.type === 'preVote') {
      this.send({ type: 'preVoteResp', to: m.from, term: this.term, reject: true });
    }
  }

  // ---- proposals and membership ---------------------------------------------------------------

  /** Leader: appends one entry and replicates it. Throws ProposalDroppedError otherwise. */
  propose(type: EntryType, data: Uint8Array, cc?: ConfChange): { index: number; term: number } {
    if (this.state !== 'leader') throw new ProposalDroppedError('notLeader', this.lead);
    if (this.stepDownIndex !== 0) throw new ProposalDroppedError('removed', NONE);
    if (this.leadTransferee !== NONE) {
      throw new ProposalDroppedError('leaderTransferring', this.id, `to ${this.leadTransferee}`);
    }
    if (cc !== undefined) checkConfChangeProposal(this, cc);
    const entry: Entry = { index: this.raftLog.lastIndex() + 1, term: this.term, type, data };
    if (!this.increaseUncommittedSize([entry])) {
      throw new ProposalDroppedError('uncommittedLimit', this.id, `${this.uncommittedSize} bytes uncommitted`);
    }
    this.raftLog.append([entry]);
    if (type === 'confChange') this.pendingConfIndex = entry.index;
    this.appendsPending = true;
    return { index: entry.index, term: entry.term };
  }

  private increaseUncommittedSize(entries: readonly Entry[]): boolean {
    const bytes = entriesBytes(entries);
    if (this.uncommittedSize > 0 && bytes > 0 && this.uncommittedSize + bytes > this.maxUncommittedSize) return false;
    this.uncommittedSize += bytes;
    return true;
  }

  /** Applies a committed conf change entry's change (the driver calls this in log order). An
   *  invalid change is a no-op on every node alike. Returns the resulting membership. */
  applyConfChange(cc: ConfChange): ConfState {
    return applyMembershipChange(this, cc);
  }

  /** Replaces config and progress by `cs` (at start-up and when installing a snapshot). */
  restoreConfState(cs: ConfState): void {
    restoreMembership(this, cs);
  }

  /** Sends the appends of proposals made since the last flush (called when a Ready is taken). */
  flushAppends(): void {
    if (!this.appendsPending) return;
    this.appendsPending = false;
    if (this.state !== 'leader') return;
    for (const id of this.trk.memberIds()) {
      if (id === this.id) continue;
      while (maybeSendAppend(this, id, false)) {
        // stream as far as maxSizePerMsg and the inflight limits allow
      }
    }
  }

  // ---- persistence feedback -------------------------------------------------------------------

  /** The driver made entries up to (index, term) durable. The leader counts its own copy only
   *  now, so an entry commits on a quorum of durable copies. */
  onPersisted(index: number, term: number): void {
    this.raftLog.stableTo(index, term);
    if (this.state !== 'leader') {
      this.commitDurable();
      return;
    }
    const self = this.trk.progress.get(this.id);
    if (self === undefined) return;
    if (!self.maybeUpdate(this.raftLog.lastStableIndex())) return;
    if (maybeCommit(this)) {
      releasePendingReads(this);
      bcastCommit(this);
    }
    sendCommitsIfDurable(this);
  }

  /** Follower: commits what its leader's commitIfDurable promised, as far as this log is durable.
   *  Safe below the promised index too: the leader's quorum, counting us at the index it sent,
   *  still holds any lower index we hold durably, and an entry of the leader's term on a quorum
   *  is committed (§5.4.2). */
  commitDurable(): void {
    const log = this.raftLog;
    const index = Math.min(this.durableCommit, log.lastStableIndex());
    if (index > log.committed && log.termOrZero(index) === this.term) log.commitTo(index);
  }

  /** The driver applied entries up to `index` (`entries` are the applied ones). */
  onApplied(index: number, entries: readonly Entry[]): void {
    this.raftLog.appliedTo(index);
    this.uncommittedSize = Math.max(0, this.uncommittedSize - entriesBytes(entries));
  }

  onSnapshotPersisted(index: number): void {
    this.raftLog.stableSnapTo(index);
    this.raftLog.appliedSnapshotTo(index);
  }

  onEntriesFetched(): void {
    this.committedFetchBlocked = false;
    if (this.state !== 'leader') return;
    for (const id of this.trk.memberIds()) if (id !== this.id) maybeSendAppend(this, id, false);
  }
}
