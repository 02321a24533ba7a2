// A simulated cluster: the production RaftNode on every node, wired to a SimClock, a SimNetwork
// transport and a SimStore, all driven by one Scheduler. Node lifecycle (start, crash, restart,
// pause, retire) lives here; what to do when is decided by the workload and the nemesis.
//
// A node's "application" is the checker: every applied entry is checked against the canonical
// committed log, and its applied index is staged into the store's next batch as the relay does,
// so a restart resumes applying from the persisted applied index.
import { RaftNode, type RaftNodeOptions } from '../../raft/node.js';
import type { Entry, NodeId, SnapshotMeta } from '../../raft/core/types.js';
import { SafetyChecker, SafetyViolation, type NodeView } from './checkers.js';
import { NodeGate } from './node-gate.js';
import type { SimRandom } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimClock } from './sim-clock.js';
import { SimStore, type DiskFaults } from './sim-disk.js';
import { SimNetwork, type NetworkFaults } from './sim-network.js';
import type { Trace } from './trace.js';

export interface ClusterConfig {
  readonly initialVoters: number;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly network: NetworkFaults;
  readonly disk: DiskFaults;
  /** Each node's timers run at a rate drawn from [1 - skew, 1 + skew]. */
  readonly clockSkew: number;
  readonly raftConfig?: RaftNodeOptions['raftConfig'];
  /** Set: the application applies asynchronously, each batch finishing after a delay drawn
   *  with this mean (a crash in between loses it, as a real process would). */
  readonly asyncApplyMeanMs?: number;
  /** Set: an apply stages the applied index only with this chance (or when a stage is already
   *  waiting for its batch), as the relay does for binlog bytes; the driver asks for one where it
   *  must (RaftNodeOptions.checkpoint). */
  readonly lazyCheckpointChance?: number;
}

export type NodeState = 'starting' | 'up' | 'down' | 'removed';

/** One node id across its incarnations. The store survives crashes; everything else is
 *  rebuilt on restart. */
export class SimNode {
  incarnation = -1;
  gate: NodeGate | null = null;
  raft: RaftNode | null = null;
  state: NodeState = 'down';
  /** Applied index per the apply callback (what the checker saw). */
  applied = 0;

  constructor(
    readonly id: NodeId,
    readonly store: SimStore,
    readonly clockRate: number,
    /** Started empty to join an existing cluster (false: an initial voter). */
    readonly joiner: boolean,
  ) {}

  get address(): string {
    return `sim://n${this.id}`;
  }

  /** The running RaftNode, if the node is up and its driver has not stopped. */
  get live(): RaftNode | null {
    return this.state === 'up' && this.raft !== null && this.raft.running ? this.raft : null;
  }
}

export class SimCluster {
  readonly sched = new Scheduler();
  readonly net: SimNetwork;
  readonly checker = new SafetyChecker();
  readonly nodes = new Map<NodeId, SimNode>();
  /** Failures the nemesis did not cause (a bug), and violations found inside promise callbacks:
   *  check() throws the first one. */
  readonly unexpected: Error[] = [];
  private readonly initialPeers = new Map<NodeId, string>();
  private nextId = 1;
  private readonly diskFaults: DiskFaults;
  private readonly restartRand: SimRandom;
  private readonly applyRand: SimRandom;
  readonly counts = { snapshotsInstalled: 0, fatalStops: 0 };

  constructor(
    readonly config: ClusterConfig,
    private readonly rand: SimRandom,
    readonly trace: Trace,
  ) {
    this.net = new SimNetwork(this.sched, rand.stream('network'), (t) => this.note(t), config.network);
    this.diskFaults = config.disk;
    this.restartRand = rand.stream('restart');
    this.applyRand = rand.stream('apply');
    for (let k = 0; k < config.initialVoters; k++) {
      const node = this.createNode(false);
      this.initialPeers.set(node.id, node.address);
    }
    for (const node of this.nodes.values()) this.start(node);
  }

  note(text: string): void {
    this.trace.record(this.sched.nowMs, text);
  }

  get allNodes(): SimNode[] {
    return [...this.nodes.values()];
  }

  /** Nodes whose driver runs, in id order. */
  get liveNodes(): SimNode[] {
    return this.allNodes.filter((n) => n.live !== null);
  }

  /** A fresh node id that will join through addLearner (never reuses an id). */
  addJoiner(): SimNode {
    const node = this.createNode(true);
    this.start(node);
    return node;
  }

  private createNode(joiner: boolean): SimNode {
    const id = this.nextId++;
    const store = new SimStore(id, this.sched, this.rand.stream(`disk${id}`), this.diskFaults);
    const skew = this.config.clockSkew;
    const rate = 1 + this.rand.stream(`clock${id}`).between(-skew, skew);
    const node = new SimNode(id, store, rate, joiner);
    this.nodes.set(id, node);
    return node;
  }

  /** Starts a new incarnation of `node` from whatever its store holds. */
  start(node: SimNode): void {
    if (node.state !== 'down') return;
    node.incarnation++;
    const gate = new NodeGate(node.id, node.incarnation, this.sched);
    node.gate = gate;
    node.state = 'starting';
    node.store.attach(gate);
    const transport = this.net.connect(node.id, gate);
    const appliedIndex = node.store.appliedIndex();
    node.applied = appliedIndex;
    const snap = node.store.snapshotMeta();
    // The bootstrap's conf state is written ahead of its conf changes, which apply as no-ops.
    if (appliedIndex >= snap.index && appliedIndex >= this.config.initialVoters) {
      this.checker.checkRestartConf(node.id, appliedIndex, snap, node.store.initialState().confState);
    }
    this.checker.nodeStarted(node.id, node.incarnation, appliedIndex);
    const known = new Map<NodeId, string>();
    for (const n of this.nodes.values()) known.set(n.id, n.address);
    this.note(`n${node.id} start #${node.incarnation} (applied ${appliedIndex}, last ${node.store.lastIndex()}, ` +
      `term ${node.store.initialState().hardState.term})`);
    RaftNode.start({
      id: node.id,
      peers: this.initialPeers,
      join: node.joiner,
      knownPeers: known,
      resolvePeer: (id) => this.nodes.get(id)?.address,
      store: node.store,
      transport,
      clock: new SimClock(this.sched, gate, node.clockRate),
      rng: this.rand.stream(`raft${node.id}.${node.incarnation}`),
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      electionTimeoutMs: this.config.electionTimeoutMs,
      apply: (entries) => this.onApply(node, gate, entries),
      applySnapshot: (snap) => this.onSnapshot(node, gate, snap),
      ...(this.config.lazyCheckpointChance === undefined ? {} : { checkpoint: () => node.store.stageAppliedIndex(node.applied) }),
      appliedIndex,
      raftConfig: this.config.raftConfig,
    }).then(
      (raft) => this.started(node, gate, raft),
      (err: unknown) => {
        if (isInjectedDiskFailure(err)) {
          this.note(`n${node.id} failed to start: ${String(err)}`);
          this.dieAndRestart(node, gate);
        } else {
          this.unexpected.push(new Error(`n${node.id} failed to start: ${String(err)}`, { cause: err }));
        }
      },
    );
  }

  /** The process dies after a fatal (injected) disk error; it is restarted a little later. */
  private dieAndRestart(node: SimNode, gate: NodeGate): void {
    this.sched.after(0, `n${node.id} dies after fatal error`, () => {
      if (node.gate !== gate) return;
      this.crash(node, 'fatal error');
      this.sched.after(this.restartRand.between(10, 200), `restart n${node.id}`, () => {
        if (node.gate === gate && node.state === 'down') this.start(node);
      });
    });
  }

  private started(node: SimNode, gate: NodeGate, raft: RaftNode): void {
    if (node.gate !== gate || !gate.alive) return; // crashed while starting
    node.raft = raft;
    node.state = 'up';
    raft.on('leaderChanged', (c) => this.note(`n${node.id} sees leader n${c.leader} term ${c.term} (${c.role})`));
    raft.on('removed', () => this.note(`n${node.id} applied its own removal`));
    const onStopped = (err: Error | null): void => {
      if (err === null || node.gate !== gate) return;
      this.note(`n${node.id} driver stopped: ${(err as { code?: string }).code ?? 'no code'} ${err.message}`);
      this.counts.fatalStops++;
      if (!isInjectedDiskFailure(err)) this.unexpected.push(err);
      this.dieAndRestart(node, gate);
    };
    raft.on('stopped', onStopped);
    // It may have failed already, before this listener existed (on its very first Ready).
    if (!raft.running) onStopped(raft.failure);
  }

  private onApply(node: SimNode, gate: NodeGate, entries: readonly Entry[]): Promise<void> | void {
    const mean = this.config.asyncApplyMeanMs;
    if (mean === undefined) return this.applied(node, gate, entries);
    return new Promise<void>((resolve) => {
      gate.after(this.applyRand.exponential(mean), `n${node.id} applied`, () => {
        this.applied(node, gate, entries);
        resolve();
      });
    });
  }

  private applied(node: SimNode, gate: NodeGate, entries: readonly Entry[]): void {
    if (!gate.alive) return;
    this.checker.onApply(node.id, node.store.image.hardState.term, entries);
    const last = entries[entries.length - 1]!.index;
    node.applied = last;
    const lazy = this.config.lazyCheckpointChance;
    if (lazy === undefined || node.store.hasStaged() || this.applyRand.chance(lazy)) node.store.stageAppliedIndex(last);
  }

  private onSnapshot(node: SimNode, gate: NodeGate, snap: SnapshotMeta): Promise<void> | void {
    const mean = this.config.asyncApplyMeanMs;
    if (mean === undefined) return this.installed(node, gate, snap);
    // An installation takes a while (the relay fetches files): nothing may be applied meanwhile.
    return new Promise<void>((resolve) => {
      gate.after(this.applyRand.exponential(4 * mean), `n${node.id} installed snapshot`, () => {
        this.installed(node, gate, snap);
        resolve();
      });
    });
  }

  private installed(node: SimNode, gate: NodeGate, snap: SnapshotMeta): void {
    if (!gate.alive) return;
    this.note(`n${node.id} installs snapshot ${snap.index}/${snap.term}`);
    this.counts.snapshotsInstalled++;
    this.checker.onSnapshot(node.id, snap);
    node.applied = snap.index;
    node.store.stageAppliedIndex(snap.index);
  }

  /** Power loss: the incarnation dies with everything it scheduled; the disk keeps its durable
   *  image plus a random prefix of unsynced writes. */
  crash(node: SimNode, why: string): void {
    if (node.state === 'down' || node.state === 'removed') return;
    node.gate?.kill();
    this.net.disconnect(node.id);
    const { survived, lost } = node.store.crash();
    this.checker.nodeDown(node.id);
    node.raft = null;
    node.state = 'down';
    this.note(`n${node.id} CRASH (${why}): ${survived} unsynced writes kept, ${lost} lost`);
  }

  pause(node: SimNode, ms: number): void {
    if (node.gate === null || !node.gate.alive) return;
    node.gate.pause(ms);
    this.note(`n${node.id} PAUSE ${ms.toFixed(0)} ms`);
  }

  /** A removed member leaves for good (its id is never reused). */
  retire(node: SimNode): void {
    if (node.state === 'removed') return;
    node.gate?.kill();
    this.net.disconnect(node.id);
    this.checker.nodeDown(node.id);
    node.raft = null;
    node.state = 'removed';
    this.note(`n${node.id} retired`);
  }

  /** The current leader with the highest term, if any node believes it leads. */
  leader(): SimNode | null {
    let best: SimNode | null = null;
    let bestTerm = -1;
    for (const n of this.liveNodes) {
      const s = n.live!.status();
      if (s.role === 'leader' && s.term > bestTerm) {
        best = n;
        bestTerm = s.term;
      }
    }
    return best;
  }

  /** Views of the live nodes for the checker, plus a one-line status for the trace. */
  views(): { views: NodeView[]; line: string } {
    const views: NodeView[] = [];
    let line = '';
    for (const n of this.nodes.values()) {
      const raft = n.live;
      if (raft === null) {
        line += ` n${n.id}:${n.state === 'removed' ? 'gone' : n.state === 'starting' ? 'boot' : 'DOWN'}`;
        continue;
      }
      const s = raft.status();
      views.push({
        id: n.id, incarnation: n.incarnation, role: s.role, term: s.term, commitIndex: s.commitIndex,
        appliedIndex: s.appliedIndex, lastIndex: s.lastIndex, disk: n.store.image,
      });
      const paused = n.gate !== null && n.gate.paused ? 'z' : '';
      line += ` n${n.id}:${s.role[0]!.toUpperCase()}${paused}t${s.term}c${s.commitIndex}a${s.appliedIndex}`;
    }
    return { views, line };
  }

  /** Runs the checkers over the live nodes; returns the status line. */
  check(): string {
    const { views, line } = this.views();
    this.checker.afterEvent(views);
    if (this.unexpected.length > 0) {
      const err = this.unexpected[0]!;
      if (err instanceof SafetyViolation) throw err;
      throw new SafetyViolation('node failure', `${err.message}${err.cause instanceof Error ? ` (cause: ${err.cause.message})` : ''}`);
    }
    return line;
  }
}

/** A persist failure caused by the simulated disk's injected fsync error (crash semantics). */
function isInjectedDiskFailure(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  return e.code === 'RAFT_PERSIST_FAILED' && e.cause?.code === 'SIM_DISK_FSYNC_FAILED';
}
