// RaftNode: the driver. It owns one RawNode (the pure core) and is the only place where raft
// meets time, peers and disk — all through the ports of raft/ports.ts, so the simulator runs
// this exact code against simulated ones.
//
// Its Ready loop (take a Ready, send, apply what is durable, write one batch, advance, apply
// the rest; and what may go between two Readys) is raft/node-ready-loop.ts; this file is the
// node's public API, its inputs, its lifecycle and the wiring of its parts.
//
// Determinism: nothing here reads a clock or arms a timer except through `clock`, and the only
// randomness is the injected rng; the simulator therefore replays a run exactly.
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import { isLocalMessageType } from './core/message.js';
import { RawNode } from './core/raw-node.js';
import type { FetchRange, Ready } from './core/ready.js';
import type { ConfChange, ConfState, Message, NodeId, Role, SnapshotMeta } from './core/types.js';
import {
  NodeStoppedError, NotLeaderError, PersistFailedError, ProposalRefusedError, ReadIndexTimeoutError, TransferFailedError,
} from './node-errors.js';
import { Applier } from './node-apply.js';
import { CompactionQueue, type CompactionData } from './node-compaction.js';
import {
  bootstrap, DEFAULT_RAFT_CONFIG, isEmptyStore, startingPoint, type PeerStatus, type RaftNodeEvents, type RaftNodeOptions,
  type RaftNodeStatus,
} from './node-options.js';
import { PendingProposals, PendingReads, bytesKey, readContext, waitForLeader } from './node-pending.js';
import { PeerBook } from './node-peers.js';
import { ReadyLoop } from './node-ready-loop.js';

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
  private readonly loop: ReadyLoop;

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
      onInstallFailed: (err) => {
        // A stop ends an install (the application aborts its fetches): the snapshot is durable,
        // and the next start installs it again. Any other failure stops the node.
        if (this.state !== 'stopping') this.fail(err);
        else this.log.info({ event: 'raft.snapshot.install_stopped', err }, 'snapshot install ended by the stop; the next start installs it');
      },
      onIdle: () => this.loop.kick(),
    }, applied, confState);
    this.loop = new ReadyLoop({
      raw, opts, peers: this.peers, applier: this.applier, proposals: this.proposals, reads: this.reads,
      compactions: this.compactions, log: this.log,
      running: () => this.state === 'running',
      failed: () => this.state === 'failed',
      noteState: (rd) => this.noteState(rd),
      fetch: (range) => this.fetch(range),
      fail: (err) => this.fail(err),
    });
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
    // When the application's durable state is older than the compacted prefix (a restart in the
    // middle of an install), it installs the snapshot's state again, beside the loop as one from
    // the leader, and counts as applied where it stopped until then. The entries in between are
    // never delivered; the conf state record, written for an older applied index, is replaced in
    // the next batch.
    const reinstall = start.fromSnapshot;
    const node = new RaftNode(opts, raw, reinstall !== null ? opts.appliedIndex! : start.applied, start.confState);
    if (reinstall !== null) node.applier.confChanged();
    node.open();
    if (reinstall !== null) node.applier.install(reinstall);
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
    this.loop.kick();
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

  /** A member's peer address changed (the application's record of it, e.g. a member moved to a
   *  new host): messages go there from now on. Peers this node has no address for yet are left
   *  to be resolved when first needed. */
  updatePeerAddress(id: NodeId, address: string): void {
    if (this.peers.addressOf(id) !== undefined) this.peers.add(id, address);
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
    const heir = this.heirOf(st, false);
    return heir === undefined ? Promise.resolve() : this.transferLeadership(heir);
  }

  /** The most up-to-date other voter (highest match, then lowest id); `answered`: only one that
   *  acknowledged this leader's appends (a new leader knows no match before they do). */
  private heirOf(st: RaftNodeStatus, answered: boolean): NodeId | undefined {
    return st.peers
      .filter((p) => p.id !== this.id && st.confState.voters.includes(p.id) && (!answered || p.match > 0))
      .sort((a, b) => b.match - a.match || a.id - b.id)[0]?.id;
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
    this.loop.kick();
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
    this.loop.kick();
    return p;
  }

  status(): RaftNodeStatus {
    const s = this.raw.status();
    const peers: PeerStatus[] = s.progress.map((pr) => ({ id: pr.id, match: pr.match, next: pr.next, state: pr.state }));
    return {
      id: this.id, role: s.softState.role, term: s.hardState.term, vote: s.hardState.vote,
      leader: s.softState.leader, commitIndex: s.hardState.commit, appliedIndex: this.applier.appliedIndex,
      installingSnapshot: this.applier.installingIndex, lastIndex: s.lastIndex, confState: this.applier.confState, peers,
    };
  }

  get running(): boolean {
    return this.state === 'running';
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
      await this.loop.current;
      await this.applier.idle();
      if (this.state === 'failed') await this.opts.store.close().catch(() => undefined);
      return;
    }
    this.state = 'stopping';
    this.cancelTick();
    await this.loop.current;
    await this.applier.idle();
    await this.loop.stop();
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
    this.loop.noteCommit();
    this.loop.kick();
  }

  private proposeWith(op: string, kind: 'normal' | 'confChange', fn: () => { index: number; term: number }): Promise<number> {
    if (this.state !== 'running') return Promise.reject(new NodeStoppedError(this.fatal ?? undefined));
    let at: { index: number; term: number };
    try {
      at = fn();
    } catch (err) {
      const e = err as { code?: unknown; reason?: unknown; leader?: unknown; detail?: unknown };
      if (e.code !== 'RAFT_PROPOSAL_DROPPED') {
        this.fail(err);
        return Promise.reject(new NodeStoppedError(err));
      }
      const leader = typeof e.leader === 'number' ? e.leader : 0;
      if (e.reason === 'notLeader') return Promise.reject(new NotLeaderError(leader, op));
      return Promise.reject(new ProposalRefusedError(String(e.reason), leader, typeof e.detail === 'string' ? e.detail : ''));
    }
    const p = this.proposals.add(at.index, at.term, kind);
    this.opts.commitPath?.proposed(at.index);
    this.loop.kick();
    return p;
  }

  private changeMembership(cc: ConfChange): Promise<number> {
    return this.proposeWith(cc.type, 'confChange', () => this.raw.proposeConfChange(cc));
  }

  // ---- asked by the Ready loop (node-ready-loop.ts) ------------------------------------------

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
    if (!wasLeader && role === 'leader' && this.applier.installingSnapshot) {
      this.log.info({ event: 'raft.leadership.handoff', term }, 'elected while installing a snapshot: handing leadership on');
      this.handOffWhileInstalling(term);
    }
  }

  /** Elected while still installing a snapshot: the application cannot lead before its state is
   *  in (a relay's syncer waits for it), so a voter that answers takes over. Tried every
   *  heartbeat until one does, the install ends, or this node no longer leads in `term`. */
  private handOffWhileInstalling(term: number): void {
    const retry = (): void => void this.opts.clock.after(this.opts.heartbeatIntervalMs, attempt);
    const attempt = (): void => {
      const st = this.status();
      if (this.state !== 'running' || st.role !== 'leader' || st.term !== term || !this.applier.installingSnapshot) return;
      const heir = this.heirOf(st, true);
      if (heir === undefined) retry();
      else this.transferLeadership(heir).catch(retry);
    };
    attempt();
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
