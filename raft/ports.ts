// The driver's edges. raft/node.ts talks to time, peers and disk only through these, so the
// simulator (test/sim) runs the real driver against simulated ones, and production wires
// the real clock, raft/transport.ts and storage/raft-store.ts.
import type { LogStorage } from './core/log-storage.js';
import type { ConfState, Entry, HardState, Message, NodeId, SnapshotMeta } from './core/types.js';

export interface Clock {
  nowMs(): number;
  /** Calls fn every intervalMs until the returned function is called. */
  every(intervalMs: number, fn: () => void): () => void;
  /** Calls fn once after delayMs unless the returned function is called first. */
  after(delayMs: number, fn: () => void): () => void;
}

export interface PeerTransport {
  /** Queues messages for their destinations; never blocks and never throws on a dead peer
   *  (an unreachable peer is reported through onUnreachable). */
  send(messages: readonly Message[]): void;
  onMessage(handler: (message: Message) => void): void;
  onUnreachable(handler: (peer: NodeId) => void): void;
  setPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  close(): Promise<void>;
}

/** What one Ready asks the store to make durable, as one atomic batch. */
export interface PersistBatch {
  readonly entries: readonly Entry[];
  readonly hardState: HardState | null;
  readonly snapshot: SnapshotMeta | null;
  /** Membership after the conf changes applied so far. Persist it in the same batch as the
   *  applied index that covers those changes (the relay stages that index), so a restart
   *  never sees one without the other. Omitted or null: unchanged. Installing `snapshot`
   *  also records snapshot.confState unless this field is set. */
  readonly confState?: ConfState | null;
  readonly sync: boolean;
}

export interface RaftStore extends LogStorage {
  persist(batch: PersistBatch): Promise<void>;
  /** Loads [lo, hi) into the cache after the core hit LogTemporarilyUnavailableError. */
  fetchEntries(lo: number, hi: number): Promise<void>;
  /** The application staged records (its checkpoint, applied index) for the next batch: the
   *  driver writes them, with the conf state, right after the apply that staged them. */
  hasStaged?(): boolean;
  /** The applied index the application staged last, or the one recovered at open: a batch's
   *  commit index covers it (a restart needs applied <= commit). Without it, the driver's. */
  appliedIndex?(): number;
  /** Drops the log prefix up to snapshot.index (kept: the snapshot metadata). */
  compact(snapshot: SnapshotMeta): Promise<void>;
  close(): Promise<void>;
}
