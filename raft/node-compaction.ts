// Log compaction requests (the relay purging old binlogs). Requests queue up and are served
// between two Readys, where the driver's conf state is exactly the membership at its applied
// index, so the SnapshotMeta written is consistent: {index: applied, term there, membership
// there, data: the application's state there}.
import type { ConfState, SnapshotMeta } from './core/types.js';
import { PersistFailedError } from './node-errors.js';
import type { RaftStore } from './ports.js';

/** The application's state at the compaction index, or a function producing it there (it may
 *  first make the application's own files durable). */
export type CompactionData = Uint8Array | (() => Promise<Uint8Array>);

interface CompactionRequest {
  readonly data: CompactionData;
  readonly resolve: (meta: SnapshotMeta) => void;
  readonly reject: (err: Error) => void;
}

export class CompactionQueue {
  private queue: CompactionRequest[] = [];

  get pending(): boolean {
    return this.queue.length > 0;
  }

  request(data: CompactionData): Promise<SnapshotMeta> {
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
    const data = waiters[waiters.length - 1]!.data;
    let meta: SnapshotMeta;
    try {
      meta = { index: appliedIndex, term: store.term(appliedIndex), confState, data: typeof data === 'function' ? await data() : data };
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
