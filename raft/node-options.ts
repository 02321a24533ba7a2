// The RaftNode driver's options, status and events, and how a new cluster is bootstrapped.
// Kept apart from raft/node.ts so the loop there stays short; everything is re-exported there.
import type { Logger } from 'pino';
import { encodeConfChange } from './core/confchange.js';
import type { LogStorage } from './core/log-storage.js';
import type { RaftConfig } from './core/raw-node.js';
import type { Rng } from './core/rng.js';
import type { ConfState, Entry, NodeId, Role, SnapshotMeta } from './core/types.js';
import type { Clock, PeerTransport, RaftStore } from './ports.js';

/** RaftNodeOptions.checkpointAfterMs when unset. */
export const DEFAULT_CHECKPOINT_AFTER_MS = 100;

/** How a new cluster's history starts (as etcd's bootstrap): every initial member persists the
 *  same entries 1..n — one `addNode` conf change per initial voter, in id order, term 1, with an
 *  empty context (addresses come from configuration, so differently spelled addresses cannot
 *  make the logs differ) — with hardState {term 1, commit n} and conf state {voters}. The
 *  application's applied index stays 0, so the entries are applied like any others (adding an
 *  existing voter is a no-op). A node that joins later starts empty and receives these entries
 *  from the leader, so it learns the initial membership from the log itself. */
export const BOOTSTRAP_TERM = 1;

export function bootstrapEntries(voters: readonly NodeId[]): Entry[] {
  return [...voters].sort((a, b) => a - b).map((nodeId, k) => ({
    index: k + 1,
    term: BOOTSTRAP_TERM,
    type: 'confChange' as const,
    data: encodeConfChange({ type: 'addNode', nodeId, context: new Uint8Array(0) }),
  }));
}

export type RaftConfigOverrides = Partial<Omit<RaftConfig, 'id' | 'rng' | 'electionTick' | 'heartbeatTick' | 'applied'>>;

export interface RaftNodeOptions {
  readonly id: NodeId;
  /** The initial voters with their peer addresses (this node included). Used to bootstrap an
   *  empty store (unless `join`), and always as the first address book. */
  readonly peers: ReadonlyMap<NodeId, string>;
  /** Join an existing cluster: an empty store is not bootstrapped; the leader sends the state. */
  readonly join?: boolean;
  /** Extra peer addresses known besides `peers` (e.g. members added since bootstrap). */
  readonly knownPeers?: ReadonlyMap<NodeId, string>;
  /** The address of a peer the driver has none for: a member known only from a snapshot (its
   *  conf change entry was compacted away), or a sender to answer that this node has not heard
   *  of yet (a leader added after the entries a lagging node has applied). Addresses normally
   *  arrive in conf change contexts; the application keeps the member list in its state (and in
   *  snapshot data), so it is asked. Without it such peers stay unreachable until this node
   *  applies their conf change. */
  readonly resolvePeer?: (id: NodeId) => string | undefined;
  readonly store: RaftStore;
  readonly transport: PeerTransport;
  readonly clock: Clock;
  readonly rng: Rng;
  /** One raft tick; the leader heartbeats every tick. */
  readonly heartbeatIntervalMs: number;
  /** Base election timeout (randomised by the core in [t, 2t)); rounded to whole ticks. */
  readonly electionTimeoutMs: number;
  readonly logger?: Logger;
  /** The application's state machine: committed entries in log order (all types, including
   *  the empty entries new leaders append). Best synchronous: then it runs as soon as entries
   *  are committed and durable here, also while a later write is under way; a promise is
   *  awaited before the next write and the next apply. A throw stops the node. To survive
   *  restarts consistently, stage the applied index into the store's next batch
   *  (storage/raft-store.ts stageAppliedIndex), now or later: a restart applies again what
   *  followed the applied index written last. With `checkpoint` set, the driver asks for it
   *  when a batch must carry it (see there); without, stage it before returning.
   *  It may return the entries it refused (index → why): their proposals reject with
   *  EntryRefusedError instead of resolving. */
  readonly apply: (entries: readonly Entry[]) => Promise<ApplyRefusals | void> | ApplyRefusals | void;
  /** The application resets its state to `snapshot.data`: after a snapshot from the leader was
   *  persisted, and at start when `appliedIndex` is below the store's snapshot index. Entries up
   *  to snapshot.index are never delivered. */
  readonly applySnapshot?: (snapshot: SnapshotMeta) => Promise<void> | void;
  /** Stage the applied index (and the state at it) now. Called between two Readys, before a
   *  batch carries a new conf state (they go together), before a compaction (the log is never
   *  compacted past the applied index written), `checkpointAfterMs` after an apply that staged
   *  none, and on a clean stop. An application may then stage none on apply, sparing a write
   *  per apply: a restart applies again what followed the applied index written. */
  readonly checkpoint?: () => void;
  /** How long entries applied without a checkpoint wait for one (default 100 ms). */
  readonly checkpointAfterMs?: number;
  /** The application's durable applied index (consistent with the store's conf state).
   *  Default: the store's snapshot index. */
  readonly appliedIndex?: number;
  readonly raftConfig?: RaftConfigOverrides;
  /** Told, by index, as entries move along the commit path here (latency metrics). */
  readonly commitPath?: CommitPathObserver;
}

/** The commit path seen from one node, in log indexes only (the observer brings its own clock). */
export interface CommitPathObserver {
  /** This node (the leader) appended a proposal at `index`. */
  proposed(index: number): void;
  /** Entries up to `index` are durable here. */
  persisted(index: number): void;
  /** This node learned that entries up to `index` are committed. */
  committed(index: number): void;
  /** Entries up to `index` are applied here. */
  applied(index: number): void;
  /** Leader or term changed: indexes seen so far may be rewritten. */
  reset(): void;
}

export interface PeerStatus {
  readonly id: NodeId;
  readonly match: number;
  readonly next: number;
  readonly state: string;
}

/** Entries the application refused while applying them: index → why. */
export type ApplyRefusals = ReadonlyMap<number, string>;

export interface RaftNodeStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly vote: NodeId;
  readonly leader: NodeId;
  readonly commitIndex: number;
  /** Applied by the application (delivered and its callback settled). */
  readonly appliedIndex: number;
  /** The index of the snapshot the application is installing (0: none). */
  readonly installingSnapshot: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
  /** Leader only: every member's replication progress, in id order. */
  readonly peers: readonly PeerStatus[];
}

export interface LeaderChange {
  readonly leader: NodeId;
  readonly term: number;
  readonly role: Role;
}

export interface RaftNodeEvents {
  leaderChanged: [change: LeaderChange];
  /** Everything up to `index` is applied by the application (entries, or a snapshot there). */
  applied: [index: number];
  /** A conf change removing this node was applied. */
  removed: [];
  /** The node stopped: null after stop(), the fatal error otherwise. */
  stopped: [error: Error | null];
}

export const DEFAULT_RAFT_CONFIG = {
  preVote: true,
  checkQuorum: true,
  maxSizePerMsg: 1024 * 1024,
  maxInflightMsgs: 256,
  maxInflightBytes: 32 * 1024 * 1024,
  maxUncommittedEntriesSize: 64 * 1024 * 1024,
} as const;

/** A store that was never written: no term, no log, no snapshot, no membership. */
export function isEmptyStore(store: RaftStore): boolean {
  const { hardState, confState } = store.initialState();
  return hardState.term === 0 && store.lastIndex() === 0 && store.snapshotMeta().index === 0
    && confState.voters.length === 0 && confState.learners.length === 0;
}

/** Writes the bootstrap state (see bootstrapEntries) into an empty store, synced. */
export async function bootstrap(store: RaftStore, self: NodeId, peers: ReadonlyMap<NodeId, string>): Promise<void> {
  if (!peers.has(self)) throw new RangeError(`bootstrap: the initial voters must include this node (${self})`);
  const voters = [...peers.keys()].sort((a, b) => a - b);
  const entries = bootstrapEntries(voters);
  await store.persist({
    entries,
    hardState: { term: BOOTSTRAP_TERM, vote: 0, commit: entries.length },
    snapshot: null,
    confState: { voters, learners: [] },
    sync: true,
  });
}

/** Where a (re)started node resumes: its applied index, the membership there, and the storage
 *  view the RawNode restores from. */
export interface StartingPoint {
  readonly applied: number;
  readonly confState: ConfState;
  readonly storage: LogStorage;
  /** Set when the application must restart from the snapshot (its applied index is older). */
  readonly fromSnapshot: SnapshotMeta | null;
}

/** The store's conf state record goes with the application's applied index (both are written
 *  in one batch). When that index is below the snapshot index (the log was compacted past a
 *  state the application never made durable), the node resumes at the snapshot instead: the
 *  membership is the snapshot's, which the RawNode must see in place of the older record. */
export function startingPoint(store: RaftStore, appliedIndex: number | undefined): StartingPoint {
  const snap = store.snapshotMeta();
  if ((appliedIndex ?? snap.index) >= snap.index) {
    return { applied: appliedIndex ?? snap.index, confState: store.initialState().confState, storage: store, fromSnapshot: null };
  }
  const confState = snap.confState;
  const storage: LogStorage = {
    initialState: () => ({ hardState: store.initialState().hardState, confState }),
    firstIndex: () => store.firstIndex(),
    lastIndex: () => store.lastIndex(),
    term: (i) => store.term(i),
    entries: (lo, hi, maxBytes) => store.entries(lo, hi, maxBytes),
    snapshotMeta: () => store.snapshotMeta(),
  };
  return { applied: snap.index, confState, storage, fromSnapshot: snap };
}
