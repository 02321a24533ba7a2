// RaftNode: the driver. It owns one RawNode (the pure core) and is the only place where raft
// meets time, peers and disk — all through the ports of raft/ports.ts, so the simulator runs
// this exact code against simulated ones.
//
// The loop (one Ready written at a time; inputs arriving meanwhile go straight into the
// RawNode, and their entries ride in the next Ready, which is what makes group commit):
//
//   tick / message / propose ──► RawNode ──hasReady──► ready()
//     1. send rd.messages                     (the leader's appends may precede its own write)
//     2. apply the committed entries already durable here
//     3. store.persist(one batch, sync: rd.mustSync)  — a failure stops the node for good; the
//        batch also carries the application's staged checkpoint and the conf state after the
//        same entries, and a commit index covering everything applied
//     4. advancePersisted(rd); send rd.messagesAfterPersist (votes, append acks: they promise
//        durable state); apply rd.snapshot, then the rest of rd.committedEntries
//
// Between two Readys (while one is written), nothing waits for the disk: messages that promise
// nothing durable (heartbeats and answers, appends, a new commit index) leave at once, and
// committed entries durable here are applied at once (betweenReadys). When no Ready is left, a
// batch carries what the applies staged.
//
// Determinism: nothing here reads a clock or arms a timer except through `clock`, and the only
// randomness is the injected rng; the simulator therefore replays a run exactly.
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import { isLocalMessageType } from './core/message.js';
import { RawNode } from './core/raw-node.js';
import type { FetchRange, Ready } from './core/ready.js';
import type { ConfChange, ConfState, Entry, Message, NodeId, Role, SnapshotMeta } from './core/types.js';
import { BatchWriter, NO_READY, type ReadyPart } from './node-batch.js';
import {
  LeadershipLostError, NodeStoppedError, NotLeaderError,
  PersistFailedError, ProposalRefusedError, ReadIndexTimeoutError, TransferFailedError,
} from './node-errors.js';
import { Applier } from './node-apply.js';
import { CompactionQueue, type CompactionData } from './node-compaction.js';
import {
  bootstrap, DEFAULT_RAFT_CONFIG, isEmptyStore, startingPoint, type PeerStatus, type RaftNodeEvents, type RaftNodeOptions,
  type RaftNodeStatus,
} from './node-options.js';
import { PendingProposals, PendingReads, bytesKey, readContext, waitForLeader } from './node-pending.js';
import { PeerBook } from './node-peers.js';

export * from './node-errors.js';
export * from './node-options.js';

const silent = pino({ level: 'silent' });
const textEncoder = new TextEncoder();

type NodeState = 'running' | 'stopping' | 'stopped' | 'failed';

export class RaftNode extends EventEmitter<RaftNodeEvents> {
  readonly id: NodeId;
  private readonly raw: RawNode;
  private readonly log: Logger;
  private readonly peers: PeerBook;
  private readonly proposals = new PendingProposals();
  private readonly reads = new PendingReads();
  private state: NodeState = 'running';
  private fatal: Error | null = null;
  private loop: Promise<void> | null = null;
  private cancelTick: () => void = () => undefined;
  private leader: NodeId = 0;
  private role: Role = 'follower';
  private term = 0;
  private readonly applier: Applier;
  private readSeq = 0;
  /** Drawn at each start, so read contexts never repeat across restarts. */
  private readonly bootNonce: number;
  private readonly compactions = new CompactionQueue();
  private transfer: { readonly to: NodeId; readonly done: Promise<void> } | null = null;
  private betweenScheduled = false;
  /** The Ready being written has committed entries to apply after its write. */
  private freshWaiting = false;
  /** The highest commit index reported to opts.commitPath. */
  private seenCommit = 0;
  private readonly batches: BatchWriter;

  private constructor(private readonly opts: RaftNodeOptions, raw: RawNode, applied: number, confState: ConfState) {
    super();
    this.id = opts.id;
    this.raw = raw;
    // The start time (a restart always comes later) with random low bits: distinct per boot.
    this.bootNonce = opts.clock.nowMs() + opts.rng.nextU32() / 2 ** 32;
    this.log = (opts.logger ?? silent).child({ raftId: opts.id });
    this.peers = new PeerBook(opts.id, opts.transport, opts.resolvePeer, (peer) =>
      this.log.warn({ event: 'raft.peer.address_unknown', peer }, 'member without a known address: unreachable'));
    this.applier = new Applier({
      self: opts.id, raw, peers: this.peers, proposals: this.proposals, reads: this.reads, log: this.log, app: opts,
      onApplied: (index) => {
        this.opts.commitPath?.applied(index);
        this.emit('applied', index);
      },
      onRemoved: () => this.emit('removed'),
      onFailed: (err) => this.fail(err),
    }, applied, confState);
    this.batches = new BatchWriter(opts.store, this.applier);
  }

  /** Opens the node on `store` (bootstrapping it first when empty and not joining), then starts
   *  ticking and listening. */
  static async start(opts: RaftNodeOptions): Promise<RaftNode> {
    const { store } = opts;
    if (!(opts.heartbeatIntervalMs > 0) || !(opts.electionTimeoutMs > opts.heartbeatIntervalMs)) {
      throw new RangeError('need 0 < heartbeatIntervalMs < electionTimeoutMs');
    }
    if (isEmptyStore(store) && opts.join !== true) {
      try {
        await bootstrap(store, opts.id, opts.peers);
      } catch (err) {
        throw err instanceof RangeError ? err : new PersistFailedError(err);
      }
    }
    const start = startingPoint(store, opts.appliedIndex);
    const raw = new RawNode({
      ...DEFAULT_RAFT_CONFIG,
      ...opts.raftConfig,
      id: opts.id,
      heartbeatTick: 1,
      electionTick: Math.max(2, Math.round(opts.electionTimeoutMs / opts.heartbeatIntervalMs)),
      applied: start.applied,
      rng: opts.rng,
    }, start.storage);
    const node = new RaftNode(opts, raw, start.applied, start.confState);
    if (start.fromSnapshot !== null) {
      // The application's durable state is older than the compacted prefix: it restarts from
      // the snapshot's state (the entries in between are never delivered), and the conf state
      // record, written for an older applied index, is replaced in the next batch.
      node.applier.confChanged();
      if (opts.applySnapshot !== undefined) await opts.applySnapshot(start.fromSnapshot);
    }
    node.open();
    return node;
  }

  private open(): void {
    const { transport, clock } = this.opts;
    for (const [id, addr] of [...this.opts.peers, ...(this.opts.knownPeers ?? [])]) this.peers.add(id, addr);
    this.peers.reachMembers(this.applier.confState);
    transport.onMessage((m) => this.onMessage(m));
    transport.onUnreachable((peer) => this.guard(() => this.raw.reportUnreachable(peer)));
    this.cancelTick = clock.every(this.opts.heartbeatIntervalMs, () => this.guard(() => this.raw.tick()));
    const hs = this.opts.store.initialState().hardState;
    this.term = hs.term;
    const { voters, learners } = this.applier.confState;
    this.log.info({ event: 'raft.started', term: hs.term, commit: hs.commit, applied: this.applier.appliedIndex,
      lastIndex: this.opts.store.lastIndex(), voters, learners }, 'raft node started');
    this.kick();
  }

  // ---- public API ----------------------------------------------------------------------------

  /** Appends `data` (leader only). Resolves with its index once it is committed and applied
   *  here. Rejects with NotLeaderError (nothing appended), ProposalRefusedError (nothing
   *  appended), LeadershipLostError (fate unknown) or NodeStoppedError. */
  propose(data: Uint8Array): Promise<number> {
    return this.proposeWith('propose', 'normal', () => this.raw.propose(data));
  }

  /** Adds `id` as a learner: it receives the log but does not vote. Resolves once applied here. */
  addLearner(id: NodeId, address: string): Promise<number> {
    return this.changeMembership({ type: 'addLearner', nodeId: id, context: textEncoder.encode(address) });
  }

  /** Makes `id` a voter (adds it, or promotes a learner). */
  addVoter(id: NodeId, address: string): Promise<number> {
    return this.changeMembership({ type: 'addNode', nodeId: id, context: textEncoder.encode(address) });
  }

  removeMember(id: NodeId): Promise<number> {
    return this.changeMembership({ type: 'removeNode', nodeId: id, context: new Uint8Array(0) });
  }

  /** Hands leadership to voter `to`; resolves when `to` leads, rejects after two election
   *  timeouts (or if someone else wins). */
  transferLeadership(to: NodeId): Promise<void> {
    if (this.state !== 'running') return Promise.reject(new NodeStoppedError(this.fatal ?? undefined));
    if (this.raw.status().softState.role !== 'leader') return Promise.reject(new NotLeaderError(this.leaderHint(), 'transferLeadership'));
    if (this.leader === to) return Promise.resolve();
    // One transfer at a time: the same request joins the pending one, another one is refused.
    if (this.transfer !== null) {
      return this.transfer.to === to ? this.transfer.done : Promise.reject(new TransferFailedError(to, `a transfer to ${this.transfer.to} is in progress`));
    }
    const done = waitForLeader(this, to, this.opts.clock, 2 * this.opts.electionTimeoutMs, () => this.fatal);
    const transfer = { to, done };
    this.transfer = transfer;
    const clear = (): void => {
      if (this.transfer === transfer) this.transfer = null;
    };
    done.then(clear, clear);
    this.guard(() => this.raw.transferLeader(to));
    return done;
  }

  /** Leader: hands leadership to the most up-to-date other voter (highest match: it needs the
   *  fewest entries before it can take over, and wins the election the transfer starts).
   *  Resolves at once when this node does not lead or has no other voter. */
  handOffLeadership(): Promise<void> {
    const st = this.status();
    if (st.role !== 'leader') return Promise.resolve();
    const heir = st.peers
      .filter((p) => p.id !== this.id && st.confState.voters.includes(p.id))
      .sort((a, b) => b.match - a.match || a.id - b.id)[0];
    return heir === undefined ? Promise.resolve() : this.transferLeadership(heir.id);
  }

  /** A linearizable read barrier (safe ReadIndex): resolves with an index such that every entry
   *  committed before the call is applied here. Rejects after an election timeout. */
  readIndex(): Promise<number> {
    if (this.state !== 'running') return Promise.reject(new NodeStoppedError(this.fatal ?? undefined));
    const ctx = readContext(this.id, this.bootNonce, ++this.readSeq);
    const key = bytesKey(ctx);
    const timeoutMs = this.opts.electionTimeoutMs;
    const cancel = this.opts.clock.after(timeoutMs, () => this.reads.reject(key, new ReadIndexTimeoutError(timeoutMs)));
    const p = this.reads.add(key, cancel);
    try {
      this.raw.readIndex(ctx);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'RAFT_NOT_LEADER') this.fail(err);
      this.reads.reject(key, this.state === 'running' ? new NotLeaderError(0, 'readIndex') : new NodeStoppedError(this.fatal ?? undefined));
      return p;
    }
    this.kick();
    return p;
  }

  /** Compacts the log up to the applied index (the relay purging old binlogs): the store keeps
   *  SnapshotMeta {index: applied, its term, the membership at that index, `data`: the
   *  application's state there, e.g. its GTID sets}. Followers that need compacted entries get
   *  this metadata instead. Runs between two Readys; resolves with the meta written. `data` may
   *  be a function, called there (at exactly the applied index) to produce it. */
  compact(data: CompactionData = new Uint8Array(0)): Promise<SnapshotMeta> {
    if (this.state !== 'running') return Promise.reject(new NodeStoppedError(this.fatal ?? undefined));
    const p = this.compactions.request(data);
    this.kick();
    return p;
  }

  status(): RaftNodeStatus {
    const s = this.raw.status();
    const peers: PeerStatus[] = s.progress.map((pr) => ({ id: pr.id, match: pr.match, next: pr.next, state: pr.state }));
    return {
      id: this.id, role: s.softState.role, term: s.hardState.term, vote: s.hardState.vote,
      leader: s.softState.leader, commitIndex: s.hardState.commit, appliedIndex: this.applier.appliedIndex,
      lastIndex: s.lastIndex, confState: this.applier.confState, peers,
    };
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** The node stopped on a fatal error (a method, so checks after an await are not narrowed). */
  private get failed(): boolean {
    return this.state === 'failed';
  }

  /** The fatal error that stopped the node, if any. */
  get failure(): Error | null {
    return this.fatal;
  }

  /** Stops ticking and listening, lets the Ready in flight finish (no new one starts), rejects
   *  every waiter with NodeStoppedError, then closes transport and store. After a fatal error
   *  (the node already stopped itself) it only closes the store. */
  async stop(): Promise<void> {
    if (this.state !== 'running') {
      await this.loop;
      if (this.state === 'failed') await this.opts.store.close().catch(() => undefined);
      return;
    }
    this.state = 'stopping';
    this.cancelTick();
    await this.loop;
    this.settleAll(new NodeStoppedError());
    await this.opts.transport.close();
    await this.opts.store.close();
    this.state = 'stopped';
    this.log.info({ event: 'raft.stopped' }, 'raft node stopped');
    this.emit('stopped', null);
  }

  // ---- inputs --------------------------------------------------------------------------------

  private onMessage(m: Message): void {
    if (this.state !== 'running') return;
    if (m.to !== this.id || isLocalMessageType(m.type)) {
      this.log.warn({ event: 'raft.message.dropped', type: m.type, from: m.from, to: m.to }, 'message not for this node');
      return;
    }
    // The core skips its term checks for term 0 (local messages); on the wire only a forwarded
    // readIndex carries it.
    if (m.term === 0 && m.type !== 'readIndex') {
      this.log.warn({ event: 'raft.message.dropped', type: m.type, from: m.from, reason: 'term 0' }, 'term-0 message from the network');
      return;
    }
    this.guard(() => this.raw.step(m));
  }

  /** Runs one synchronous input into the RawNode, then makes sure a Ready loop runs. An
   *  exception from the core means a bug: the node stops (crash semantics). */
  private guard(fn: () => void): void {
    if (this.state !== 'running') return;
    try {
      fn();
    } catch (err) {
      this.fail(err);
      return;
    }
    this.noteCommit();
    this.kick();
  }

  private noteCommit(): void {
    const commit = this.raw.commitIndex();
    if (commit <= this.seenCommit) return;
    this.seenCommit = commit;
    this.opts.commitPath?.committed(commit);
  }

  private proposeWith(op: string, kind: 'normal' | 'confChange', fn: () => { index: number; term: number }): Promise<number> {
    if (this.state !== 'running') return Promise.reject(new NodeStoppedError(this.fatal ?? undefined));
    let at: { index: number; term: number };
    try {
      at = fn();
    } catch (err) {
      const e = err as { code?: unknown; reason?: unknown; leader?: unknown };
      if (e.code !== 'RAFT_PROPOSAL_DROPPED') {
        this.fail(err);
        return Promise.reject(new NodeStoppedError(err));
      }
      const leader = typeof e.leader === 'number' ? e.leader : 0;
      if (e.reason === 'notLeader') return Promise.reject(new NotLeaderError(leader, op));
      return Promise.reject(new ProposalRefusedError(String(e.reason), leader));
    }
    const p = this.proposals.add(at.index, at.term, kind);
    this.opts.commitPath?.proposed(at.index);
    this.kick();
    return p;
  }

  private changeMembership(cc: ConfChange): Promise<number> {
    return this.proposeWith(cc.type, 'confChange', () => this.raw.proposeConfChange(cc));
  }

  // ---- the Ready loop ------------------------------------------------------------------------

  private kick(): void {
    if (this.state !== 'running') return;
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
    if (this.state !== 'running') return;
    try {
      this.send(this.raw.takeMessages());
      if (this.applier.busy || this.freshWaiting) return;
      const entries = this.raw.takeStableCommitted();
      if (entries.length > 0) this.applier.start(entries);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Waits until no asynchronous apply or snapshot install is under way; false if the node
   *  stopped meanwhile. */
  private async settleApplying(): Promise<boolean> {
    await this.applier.settled();
    return !this.failed;
  }

  private async runLoop(): Promise<void> {
    // Yield once so that a synchronous burst of inputs (proposals, messages) joins one Ready.
    await Promise.resolve();
    while (this.state === 'running') {
      if (!(await this.settleApplying())) return;
      if (this.compactions.pending) {
        // The checkpoint first: a restart must not find the log compacted past it.
        if (this.batches.owed && !(await this.write(NO_READY))) return;
        if (!(await this.compactNow())) return;
        continue;
      }
      if (this.raw.hasReady()) {
        if (!(await this.handleReady(this.raw.ready()))) return;
        continue;
      }
      if (!this.batches.owed) return;
      if (!(await this.write(NO_READY))) return;
    }
  }

  /** Between two Readys: the conf state is exactly the membership at the applied index. */
  private async compactNow(): Promise<boolean> {
    const err = await this.compactions.run(this.opts.store, this.applier.appliedIndex, this.applier.confState);
    if (err !== null) {
      this.fail(err);
      return false;
    }
    this.log.info({ event: 'raft.log.compacted', index: this.opts.store.snapshotMeta().index }, 'log compacted');
    return this.state === 'running';
  }

  /** Processes one Ready. Returns false if the node stopped on it. Committed entries already
   *  durable here are applied before the write (a commit-only Ready then costs one batch, written
   *  after the replicas were served); the others after it. */
  private async handleReady(rd: Ready): Promise<boolean> {
    if (rd.entriesToFetch !== undefined) for (const r of rd.entriesToFetch) this.fetch(r);
    if (rd.softState !== null || rd.hardState !== null) this.noteState(rd);
    if (rd.readStates.length > 0) {
      for (const rs of rd.readStates) this.reads.confirmed(bytesKey(rs.requestCtx), rs.index);
      this.reads.applied(this.applier.appliedIndex); // those already applied here resolve now
    }
    // A `snap` is inline metadata: no reportSnapshot needed (the core re-probes on a heartbeat answer).
    this.send(rd.messages);
    const firstNew = rd.snapshot !== null ? 0 : rd.entries[0]?.index ?? Infinity;
    const split = rd.committedEntries.findIndex((e) => e.index >= firstNew);
    const durable = split < 0 ? rd.committedEntries : rd.committedEntries.slice(0, split);
    const fresh = split < 0 ? [] : rd.committedEntries.slice(split);
    // Entries committed after them may become durable with this write: none may be applied
    // between Readys before these are.
    this.freshWaiting = fresh.length > 0;
    if (!(await this.applyNow(durable))) return false;
    if (!(await this.write({ entries: rd.entries, hardState: rd.hardState, snapshot: rd.snapshot, sync: rd.mustSync }))) return false;
    const lastWritten = rd.entries[rd.entries.length - 1];
    if (lastWritten !== undefined) this.opts.commitPath?.persisted(lastWritten.index);
    try {
      this.raw.advancePersisted(rd);
      this.noteCommit();
      this.send(this.raw.takeMessages()); // the leader's own copy counted: a commit goes out now
      // Installing a snapshot may take long (the relay fetches files): no entry after it may be
      // applied between Readys meanwhile.
      if (rd.snapshot !== null) this.applier.holdWhile(this.applier.snapshot(rd.snapshot));
      if (!(await this.settleApplying())) return false;
      this.send(rd.messagesAfterPersist);
    } catch (err) {
      this.fail(err);
      return false;
    }
    const applied = await this.applyNow(fresh);
    this.freshWaiting = false;
    if (!applied) return false;
    this.dropStaleProposals();
    return true;
  }

  private async applyNow(entries: readonly Entry[]): Promise<boolean> {
    if (entries.length === 0) return true;
    if (!(await this.settleApplying())) return false;
    try {
      this.applier.start(entries);
    } catch (err) {
      this.fail(err);
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
      this.fail(new PersistFailedError(err));
      return false;
    }
    return !this.failed;
  }

  /** Waiters whose entry can no longer be committed by us: we are not leader any more, or lead
   *  in a later term. Judged on the core's current state (a Ready's softState may be older
   *  than a proposal accepted while it was in flight). */
  private dropStaleProposals(): void {
    if (this.proposals.size === 0) return;
    const s = this.raw.status();
    const leading = s.softState.role === 'leader';
    this.proposals.rejectWhere((term) => !leading || term < s.hardState.term,
      (i, t) => new LeadershipLostError(i, t, 'leadership lost before commit'));
  }


  private send(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    for (const m of messages) this.peers.ensure(m.to);
    this.opts.transport.send(messages);
  }

  /** Loads a range the core found missing from the store's cache, in the background; the core
   *  resends the appends (and retries committed entries) once told. */
  private fetch(range: FetchRange): void {
    this.opts.store.fetchEntries(range.lo, range.hi).then(
      () => this.guard(() => this.raw.onEntriesFetched()),
      (err: unknown) => {
        if (this.state !== 'running') return;
        // A corrupt or missing entry does not heal by retrying: stop (fail-stop).
        if ((err as { code?: unknown }).code === 'ERR_STORAGE_CORRUPT') {
          this.fail(err);
          return;
        }
        this.log.warn({ event: 'raft.fetch.failed', lo: range.lo, hi: range.hi, err }, 'entry fetch failed; retrying');
        this.opts.clock.after(this.opts.heartbeatIntervalMs, () => this.guard(() => this.raw.onEntriesFetched()));
      },
    );
  }

  private noteState(rd: Ready): void {
    const term = rd.hardState?.term ?? this.term;
    const leader = rd.softState?.leader ?? this.leader;
    const role = rd.softState?.role ?? this.role;
    const changed = leader !== this.leader || (term !== this.term && role === 'leader');
    const wasLeader = this.role === 'leader';
    this.term = term;
    this.leader = leader;
    this.role = role;
    if (changed) {
      this.opts.commitPath?.reset();
      this.log.info({ event: 'raft.leader.changed', leader, term, role }, 'leader changed');
      this.emit('leaderChanged', { leader, term, role });
    }
    if (wasLeader && role !== 'leader') {
      this.log.info({ event: 'raft.leadership.lost', term }, 'stepped down');
    }
  }

  private leaderHint(): NodeId {
    return this.raw.status().softState.leader;
  }

  // ---- stopping ------------------------------------------------------------------------------

  /** Crash semantics: stop at once, never touch the store again, reject every waiter. */
  private fail(err: unknown): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    const error = err instanceof Error ? err : new Error(String(err));
    this.state = 'failed';
    this.fatal = error;
    this.cancelTick();
    this.log.error({ event: 'raft.node.failed', err: error }, 'raft node failed; it must restart from disk');
    this.settleAll(new NodeStoppedError(error));
    void this.opts.transport.close().catch(() => undefined);
    this.emit('stopped', error);
  }

  private settleAll(err: NodeStoppedError): void {
    this.proposals.rejectAll(() => err);
    this.reads.rejectAll(err);
    this.compactions.rejectAll(err);
  }
}
