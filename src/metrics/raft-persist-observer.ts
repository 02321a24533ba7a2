// Watches the raft store's persist() from outside raft (the core and its driver stay untouched):
// a synced batch's duration is the fsync latency, and the time from an entry's write to the first
// batch whose hard state commits it is the commit latency (on the leader: propose → majority
// durable). Both cost a clock read and a few array operations per batch, never per entry.
import { performance } from 'node:perf_hooks';
import type { PersistBatch } from '../../raft/ports.js';

export interface PersistObserver {
  /** A synced persist took `seconds`, from the call to durable. */
  synced(seconds: number): void;
  /** Entries written by this node were found committed `seconds` after their write began. */
  committed(seconds: number): void;
}

/** The store's persist, with whatever else it takes after the batch. */
interface PersistingStore {
  persist(batch: PersistBatch, ...rest: never[]): Promise<void>;
}

/** Writes not yet known committed, kept at most this many (a follower cut off from its leader). */
const PENDING_MAX = 65_536;

/** Installs the observer on `store` (in place, so every caller is measured); returns the undo. */
export function observeRaftPersists(store: PersistingStore, observer: PersistObserver): () => void {
  const original = store.persist;
  // Batches with entries, oldest first: the last index each wrote and when its write began.
  const pending: { last: number; atMs: number }[] = [];
  let head = 0;
  const persisted = (batch: PersistBatch, startedMs: number): void => {
    const now = performance.now();
    if (batch.sync) observer.synced((now - startedMs) / 1000);
    if (batch.snapshot !== null) pending.length = head = 0;
    const entries = batch.entries;
    if (entries.length > 0) {
      // A rewrite from index `first` replaces what was written there before.
      const first = entries[0]!.index;
      while (pending.length > head && pending[pending.length - 1]!.last >= first) pending.pop();
      pending.push({ last: entries[entries.length - 1]!.index, atMs: startedMs });
      if (pending.length - head > PENDING_MAX) head++;
    }
    const commit = batch.hardState?.commit;
    if (commit !== undefined) {
      while (head < pending.length && pending[head]!.last <= commit) observer.committed((now - pending[head++]!.atMs) / 1000);
    }
    if (head > 1024 && head * 2 > pending.length) {
      pending.splice(0, head);
      head = 0;
    }
  };
  const observed = function (this: unknown, batch: PersistBatch, ...rest: never[]): Promise<void> {
    const startedMs = performance.now();
    return original.call(store, batch, ...rest).then(() => persisted(batch, startedMs));
  };
  store.persist = observed;
  return () => {
    if (store.persist === observed) store.persist = original;
  };
}
