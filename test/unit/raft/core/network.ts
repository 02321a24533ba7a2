// An in-memory cluster for raft core tests: RawNodes over MemoryLogStorage, a message queue
// delivered in FIFO order, link faults (cut, isolate, drop by predicate) and stabilize().
// Deterministic: node iteration is by ascending id and every rng is seeded.
import { decodeConfChange } from '../../../../raft/core/confchange.js';
import { MemoryLogStorage } from '../../../../raft/core/log-storage.js';
import { RawNode, type RaftConfig } from '../../../../raft/core/raw-node.js';
import { seededRng } from '../../../../raft/core/rng.js';
import type { ConfState, Entry, Message, NodeId, ReadState, SnapshotMeta } from '../../../../raft/core/types.js';

export interface NetNode {
  readonly id: NodeId;
  storage: MemoryLogStorage;
  node: RawNode;
  /** Every entry handed out for applying, in order (restarts and snapshots leave gaps). */
  applied: Entry[];
  /** Snapshots installed (metadata), in order. */
  snapshots: SnapshotMeta[];
  readStates: ReadState[];
  confState: ConfState;
  config: RaftConfig;
}

export type NetOptions = Partial<Omit<RaftConfig, 'id' | 'rng'>> & {
  /** Seed for the per-node election jitter (node id is mixed in). */
  seed?: number;
  /** Load requested ranges into the cache and call onEntriesFetched() automatically. */
  autoFetch?: boolean;
  /** 'log': bootstrap as etcd does, with one committed addNode entry per voter, so that nodes
   *  joining later learn the membership from the log (default 'confState': empty log). */
  bootstrap?: 'confState' | 'log';
};

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export function defaultConfig(id: NodeId, opts: NetOptions = {}): RaftConfig {
  const { seed = 1, autoFetch: _autoFetch, bootstrap: _bootstrap, ...rest } = opts;
  return {
    id,
    electionTick: 10,
    heartbeatTick: 1,
    preVote: false,
    checkQuorum: false,
    maxSizePerMsg: 1 << 20,
    maxInflightMsgs: 256,
    maxInflightBytes: 0,
    maxUncommittedEntriesSize: 0,
    ...rest,
    rng: seededRng(seed * 7919 + id),
  };
}

const linkKey = (from: NodeId, to: NodeId): string => `${from}->${to}`;

export class Network {
  readonly nodes = new Map<NodeId, NetNode>();
  /** Messages sent and not yet delivered, in send order. */
  queue: Message[] = [];
  /** Every message ever sent (for assertions), in send order. */
  readonly sent: Message[] = [];
  private readonly cutLinks = new Set<string>();
  /** Return true to drop a message at delivery. */
  dropFilter: ((m: Message) => boolean) | null = null;
  readonly opts: NetOptions;

  /** Bootstraps `voters` (and `learners`) as a fresh cluster with an empty log. */
  constructor(voters: readonly NodeId[], opts: NetOptions = {}, learners: readonly NodeId[] = []) {
    this.opts = opts;
    for (const id of [...voters, ...learners]) {
      const storage = opts.bootstrap === 'log' && learners.length === 0
        ? MemoryLogStorage.bootstrapWithLog(voters)
        : MemoryLogStorage.bootstrap(voters, learners);
      this.addNode(id, storage);
    }
  }

  addNode(id: NodeId, storage: MemoryLogStorage, overrides: Partial<RaftConfig> = {}): NetNode {
    const config = { ...defaultConfig(id, this.opts), ...overrides };
    const n: NetNode = {
      id, storage, node: new RawNode(config, storage), applied: [], snapshots: [], readStates: [],
      confState: storage.initialState().confState, config,
    };
    this.nodes.set(id, n);
    return n;
  }

  /** A new, empty node joining an existing cluster (its config comes from the leader later). */
  addEmptyNode(id: NodeId): NetNode {
    return this.addNode(id, new MemoryLogStorage());
  }

  /** Crash and restart: unpersisted state is lost (there is none between Readys here); the
   *  node restarts from storage with applied = what it applied before. */
  restart(id: NodeId): NetNode {
    const n = this.get(id);
    const applied = Math.max(n.node.status().applied, n.storage.firstIndex() - 1);
    n.node = new RawNode({ ...n.config, applied }, n.storage);
    return n;
  }

  get(id: NodeId): NetNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  // ---- faults ---------------------------------------------------------------------------------

  cut(a: NodeId, b: NodeId): void {
    this.cutLinks.add(linkKey(a, b));
    this.cutLinks.add(linkKey(b, a));
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cutLinks.add(linkKey(from, to));
  }

  isolate(id: NodeId): void {
    for (const other of this.ids()) if (other !== id) this.cut(id, other);
  }

  heal(): void {
    this.cutLinks.clear();
    this.dropFilter = null;
  }

  // ---- driving --------------------------------------------------------------------------------

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) this.get(id).node.tick();
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const id of this.ids()) this.get(id).node.tick();
  }

  campaign(id: NodeId): void {
    this.get(id).node.campaign();
  }

  /** Handles one Ready of node `id` the way raft/node.ts does; returns false if none. */
  processReady(id: NodeId): boolean {
    const n = this.get(id);
    if (!n.node.hasReady()) return false;
    const rd = n.node.ready();
    this.send(rd.messages);
    if (rd.snapshot !== null) {
      n.storage.applySnapshot(rd.snapshot);
      n.snapshots.push(rd.snapshot);
      n.confState = rd.snapshot.confState;
    }
    n.storage.append(rd.entries);
    if (rd.hardState !== null) n.storage.setHardState(rd.hardState);
    this.send(rd.messagesAfterPersist);
    for (const e of rd.committedEntries) {
      if (e.type === 'confChange') {
        n.confState = n.node.applyConfChange(decodeConfChange(e.data));
        n.storage.setConfState(n.confState);
      }
      n.applied.push(e);
    }
    n.readStates.push(...rd.readStates);
    n.node.advance(rd);
    if (rd.entriesToFetch !== undefined && this.opts.autoFetch !== false) {
      for (const r of rd.entriesToFetch) n.storage.loadIntoCache(r.lo);
      n.node.onEntriesFetched();
    }
    return true;
  }

  /** Processes Readys of all nodes until none has one; returns how many were handled. */
  processReadys(): number {
    let count = 0;
    for (let progress = true; progress;) {
      progress = false;
      for (const id of this.ids()) {
        while (this.processReady(id)) {
          count++;
          progress = true;
        }
      }
    }
    return count;
  }

  private send(msgs: readonly Message[]): void {
    for (const m of msgs) {
      this.sent.push(m);
      this.queue.push(m);
    }
  }

  /** Whether m would be dropped by the current faults. */
  blocked(m: Message): boolean {
    if (this.cutLinks.has(linkKey(m.from, m.to))) return true;
    if (!this.nodes.has(m.to)) return true;
    return this.dropFilter !== null && this.dropFilter(m);
  }

  /** Delivers (or drops) every queued message matching `filter`, in order; returns how many
   *  were delivered. Messages sent while delivering wait for the next call. */
  deliver(filter: (m: Message) => boolean = () => true): number {
    const batch = this.queue.filter(filter);
    this.queue = this.queue.filter((m) => !filter(m));
    let delivered = 0;
    for (const m of batch) {
      if (this.blocked(m)) continue;
      this.get(m.to).node.step(m);
      delivered++;
    }
    return delivered;
  }

  /** Drops queued messages matching `filter` (all by default). */
  dropQueued(filter: (m: Message) => boolean = () => true): Message[] {
    const dropped = this.queue.filter(filter);
    this.queue = this.queue.filter((m) => !filter(m));
    return dropped;
  }

  /** Processes Readys and delivers messages until nothing moves. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      const readys = this.processReadys();
      if (this.queue.length === 0 && readys === 0) return;
      this.deliver();
    }
    throw new Error(`network did not stabilize in ${maxRounds} rounds`);
  }

  /** Like stabilize(), but only nodes in `ids` handle Readys, and only messages between them are
   *  delivered; other messages stay queued. */
  stabilizeAmong(ids: readonly NodeId[], maxRounds = 10_000): void {
    const inside = new Set(ids);
    const local = (m: Message): boolean => inside.has(m.from) && inside.has(m.to);
    for (let round = 0; round < maxRounds; round++) {
      let readys = 0;
      for (const id of [...ids].sort((a, b) => a - b)) while (this.processReady(id)) readys++;
      if (readys === 0 && !this.queue.some(local)) return;
      this.deliver(local);
    }
    throw new Error(`network did not stabilize in ${maxRounds} rounds`);
  }

  /** The application compacts node `id`'s log up to `index` (which it applied). */
  compact(id: NodeId, index: number, data: Uint8Array = new Uint8Array(0)): SnapshotMeta {
    const n = this.get(id);
    const meta: SnapshotMeta = { index, term: n.storage.term(index), confState: n.confState, data };
    n.storage.compact(meta);
    return meta;
  }

  // ---- queries --------------------------------------------------------------------------------

  /** The node that considers itself leader in the highest term, if any. */
  leader(): NodeId | null {
    let best: { id: NodeId; term: number } | null = null;
    for (const id of this.ids()) {
      const st = this.get(id).node.status();
      if (st.softState.role === 'leader' && (best === null || st.hardState.term > best.term)) {
        best = { id, term: st.hardState.term };
      }
    }
    return best === null ? null : best.id;
  }

  /** Elects `id` (ticks nothing): apply what is pending (a node does not campaign with
   *  unapplied conf changes), campaign(), stabilize(). */
  elect(id: NodeId): void {
    this.processReadys();
    this.campaign(id);
    this.stabilize();
  }

  propose(id: NodeId, data: string): { index: number; term: number } {
    return this.get(id).node.propose(enc(data));
  }

  role(id: NodeId): string {
    return this.get(id).node.status().softState.role;
  }

  term(id: NodeId): number {
    return this.get(id).node.status().hardState.term;
  }

  /** The leader's progress entry for `peer`. */
  progressOf(leader: NodeId, peer: NodeId): { match: number; next: number; state: string; paused: boolean; inflight: number } {
    const pr = this.get(leader).node.status().progress.find((p) => p.id === peer);
    if (pr === undefined) throw new Error(`${leader} has no progress for ${peer}`);
    return pr;
  }

  /** The application payloads applied by node id (empty entries and conf changes skipped). */
  appliedData(id: NodeId): string[] {
    return this.get(id).applied.filter((e) => e.type === 'normal' && e.data.length > 0).map((e) => dec(e.data));
  }

  /** [lo, hi] of node id's log with terms, e.g. "1/1 2/1 3/2" (index/term). */
  logTerms(id: NodeId): string {
    const s = this.get(id).storage;
    const out: string[] = [];
    for (let i = s.firstIndex(); i <= s.lastIndex(); i++) out.push(`${i}/${s.term(i)}`);
    return out.join(' ');
  }
}

/** A cluster whose nodes start with preset logs (terms per index from 1) and current terms,
 *  as the paper's figures draw them. */
export function networkWithLogs(
  logs: Record<NodeId, number[]>, terms: Record<NodeId, number>, opts: NetOptions = {},
): Network {
  const ids = Object.keys(logs).map(Number).sort((a, b) => a - b);
  const net = new Network([], opts);
  for (const id of ids) {
    const s = MemoryLogStorage.bootstrap(ids);
    s.append(logs[id]!.map((term, i) => ({ index: i + 1, term, type: 'normal' as const, data: new Uint8Array(0) })));
    s.setHardState({ term: terms[id] ?? 0, vote: 0, commit: 0 });
    net.addNode(id, s);
  }
  return net;
}
