// A small deterministic cluster built from the simulator's pieces, for scenario tests of the
// driver (test/unit/raft/node.test.ts) and focused regressions: no nemesis, no checkers, just
// nodes whose actions are logged and a way to run simulated time until something happens.
import type { Entry, Message, NodeId, SnapshotMeta } from '../../raft/core/types.js';
import type { PersistBatch } from '../../raft/ports.js';
import { RaftNode } from '../../raft/node.js';
import { NodeGate } from './node-gate.js';
import { SimRandom } from './prng.js';
import { drainMicrotasks, Scheduler } from './scheduler.js';
import { SimClock } from './sim-clock.js';
import { QUIET_DISK, SimStore, type DiskFaults } from './sim-disk.js';
import { QUIET_NETWORK, SimNetwork, type SimTransport } from './sim-network.js';

export const HEARTBEAT_MS = 10;
export const ELECTION_MS = 100;
export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

export interface HNode {
  readonly id: NodeId;
  readonly store: SimStore;
  /** The current incarnation's gate (kill it to crash the node). */
  gate: NodeGate;
  transport: SimTransport | null;
  raft: RaftNode | null;
  applied: Entry[];
  /** Driver-visible actions in order: "send <type> [i..j]", "persist+ [i..j]", "persist- [i..j]",
   *  "apply i..j" (entry ranges where there are entries). */
  log: string[];
}

export class Harness {
  readonly sched = new Scheduler();
  readonly rand = new SimRandom(7, 'node-test');
  readonly net = new SimNetwork(this.sched, this.rand.stream('net'), () => undefined, QUIET_NETWORK);
  readonly nodes = new Map<NodeId, HNode>();
  readonly peers: Map<NodeId, string>;

  /** Nodes 1..size; the first `voters` of them are the initial voters (the rest can join). */
  /** The state machine refuses an entry whose data makes this return a reason. */
  private readonly refuse: (data: Uint8Array) => string | undefined;
  /** The state machine's snapshot install on node `id` (the relay fetching files); it then
   *  stages the snapshot's index as applied. */
  private readonly install: (id: NodeId, snap: SnapshotMeta) => Promise<void> | void;
  /** The state machine stages its applied index only when the driver asks (checkpoint). */
  private readonly lazyCheckpoint: boolean;

  constructor(size: number, opts: {
    disk?: DiskFaults; voters?: number; refuse?: (data: Uint8Array) => string | undefined;
    install?: (id: NodeId, snap: SnapshotMeta) => Promise<void> | void; lazyCheckpoint?: boolean;
  } = {}) {
    this.refuse = opts.refuse ?? (() => undefined);
    this.install = opts.install ?? (() => undefined);
    this.lazyCheckpoint = opts.lazyCheckpoint ?? false;
    const disk = opts.disk ?? QUIET_DISK;
    const voters = opts.voters ?? size;
    this.peers = new Map([...Array(voters).keys()].map((k) => [k + 1, `sim://n${k + 1}`]));
    for (let id = 1; id <= size; id++) {
      const store = new SimStore(id, this.sched, this.rand.stream(`disk${id}`), disk);
      this.nodes.set(id, { id, store, gate: new NodeGate(id, 0, this.sched), transport: null, raft: null, applied: [], log: [] });
    }
  }

  async start(id: NodeId, opts: { join?: boolean } = {}): Promise<HNode> {
    const n = this.nodes.get(id)!;
    if (!n.gate.alive) n.gate = new NodeGate(id, n.gate.incarnation + 1, this.sched);
    n.store.attach(n.gate);
    const transport = this.net.connect(id, n.gate);
    n.transport = transport;
    const send = transport.send.bind(transport);
    transport.send = (ms: readonly Message[]) => {
      for (const m of ms) n.log.push(`send ${m.type}${span(m.entries)}`);
      send(ms);
    };
    const persist = n.store.persist.bind(n.store);
    n.store.persist = async (b: PersistBatch) => {
      n.log.push(`persist+${span(b.entries)}`);
      await persist(b);
      n.log.push(`persist-${span(b.entries)}`);
    };
    const starting = RaftNode.start({
      id, peers: this.peers, join: opts.join, knownPeers: this.addresses(), store: n.store, transport,
      clock: new SimClock(this.sched, n.gate), rng: this.rand.stream(`raft${id}`),
      heartbeatIntervalMs: HEARTBEAT_MS, electionTimeoutMs: ELECTION_MS,
      apply: (es) => {
        n.log.push(`apply ${es[0]!.index}..${es[es.length - 1]!.index}`);
        n.applied.push(...es);
        if (!this.lazyCheckpoint) n.store.stageAppliedIndex(es[es.length - 1]!.index);
        const refusals = new Map<number, string>();
        for (const e of es) {
          const why = e.type === 'normal' ? this.refuse(e.data) : undefined;
          if (why !== undefined) refusals.set(e.index, why);
        }
        return refusals;
      },
      applySnapshot: async (snap) => {
        n.log.push(`install ${snap.index}`);
        await this.install(id, snap);
        n.store.stageAppliedIndex(snap.index);
      },
      ...(this.lazyCheckpoint ? { checkpoint: () => n.store.stageAppliedIndex(n.raft?.status().appliedIndex ?? n.store.appliedIndex()) } : {}),
      appliedIndex: n.store.appliedIndex(),
    });
    n.raft = await this.settle(starting);
    return n;
  }

  /** Every node's address (joiners need the members' addresses to answer them). */
  addresses(): Map<NodeId, string> {
    return new Map([...this.nodes.keys()].map((id) => [id, `sim://n${id}`]));
  }

  /** Power loss on node `id` (its store keeps what a crash keeps); start() brings it back. */
  crash(id: NodeId): void {
    const n = this.nodes.get(id)!;
    n.gate.kill();
    this.net.disconnect(id);
    n.store.crash();
    n.raft = null;
  }

  /** Starts the initial voters. */
  async startAll(): Promise<void> {
    for (const id of this.peers.keys()) await this.start(id);
  }

  /** Runs events until `promise` settles (or maxMs of simulated time pass). */
  async settle<T>(promise: Promise<T>, maxMs = 5000): Promise<T> {
    let done = false;
    const p = promise.finally(() => {
      done = true;
    });
    p.catch(() => undefined);
    await this.runUntil(() => done, maxMs);
    return p;
  }

  async runUntil(pred: () => boolean, maxMs = 5000): Promise<void> {
    const deadline = this.sched.nowMs + maxMs;
    await drainMicrotasks();
    while (!pred()) {
      const next = this.sched.peekMs();
      if (next === null || next > deadline) throw new Error(`condition not reached within ${maxMs} ms`);
      this.sched.step();
      await drainMicrotasks();
    }
  }

  /** Runs every event of the next `ms` of simulated time. */
  async runFor(ms: number): Promise<void> {
    const until = this.sched.nowMs + ms;
    await this.runUntil(() => (this.sched.peekMs() ?? Infinity) > until, ms);
  }

  async leader(): Promise<HNode> {
    let found: HNode | null = null;
    await this.runUntil(() => {
      found = [...this.nodes.values()].find((n) => n.raft?.running === true && n.raft.status().role === 'leader') ?? null;
      return found !== null;
    });
    return found!;
  }

  followers(leader: HNode): HNode[] {
    return [...this.nodes.values()].filter((n) => n !== leader && n.raft !== null);
  }
}

export function span(entries: readonly Entry[]): string {
  return entries.length === 0 ? '' : ` ${entries[0]!.index}..${entries[entries.length - 1]!.index}`;
}

