// Log compaction requests (the relay purging old binlogs). Requests queue up and are served
// between two Readys, where the driver's conf state is exactly the membership at its applied
// index, so the SnapshotMeta written is consistent: {index: applied, term there, membership
// there, data: the application's state there}.
import type { ConfState, SnapshotMeta } from './core/types.js';
import { PersistFailedError } from './node-errors.js';
import type { RaftStore } from './ports.js';

interface CompactionRequest {
  readonly data: Uint8Array;
  readonly resolve: (meta: SnapshotMeta) => void;
  readonly reject: (err: Error) => void;
}

export class CompactionQueue {
  private queue: CompactionRequest[] = [];

  get pending(): boolean {
    return this.queue.length > 0;
  }

  request(data: Uint8Array): Promise<SnapshotMeta> {
    return new Promise((resolve, reject) => this.queue.push({ data, resolve, reject }));
  }

  /** Serves every queued request with one compaction at `appliedIndex` (the latest request's
   *  data wins). A store failure rejects them and is returned, as PersistFailedError. */
  async run(store: RaftStore, appliedIndex: number, confState: ConfState): Promise<PersistFailedError | null> {
    const waiters = this.queue;
    this.queue = [];
    const current = store.snapshotMeta();
    if (appliedIndex <= current.index) {
      for (const w of waiters) w.resolve(current);
      return null;
    }
    const meta: SnapshotMeta = {
      index: appliedIndex,
      term: store.term(appliedIndex),
      confState,
      data: waiters[waiters.length - 1]!.data,
    };
    try {
      await store.compact(meta);
    } catch (err) {
      const error = new PersistFailedError(err);
      for (const w of waiters) w.reject(error);
      return error;
    }
    for (const w of waiters) w.resolve(meta);
    return null;
  }

  rejectAll(err: Error): void {
    for (const w of this.queue.splice(0)) w.reject(err);
  }
}
