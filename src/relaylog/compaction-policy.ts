// When to compact the raft log: once the applied part of it exceeds `raft-log-retain` (bytes or
// entries). The compaction runs in the raft driver between two Readys, at exactly the applied
// index: the relay's state there becomes the snapshot data, and the binlog files are fsynced
// first (most of them before, outside the driver), so the entries dropped are never needed again
// by this node. Followers that need them get a snapshot (the relay state plus the files, see
// snapshot-fetcher.ts).
import type { Logger } from 'pino';
import type { Entry } from '../../raft/core/types.js';
import type { RaftNode } from '../../raft/node.js';
import type { SegmentRaftStore } from '../../storage/raft-store.js';
import { encodeRelayState } from './relay-checkpoint.js';
import type { RelayLog } from './relay-log.js';

export interface RaftLogRetain {
  bytes: number;
  entries: number;
}

/** After a failed compaction (a failed fsync keeps failing), the next attempt waits this long. */
const RETRY_AFTER_FAILURE_MS = 10_000;

export class CompactionPolicy {
  private appliedBytes = 0;
  private running = false;
  private retryAtMs = 0;

  constructor(
    private readonly retain: RaftLogRetain,
    private readonly relay: RelayLog,
    private readonly store: SegmentRaftStore,
    private readonly logger: Logger,
  ) {}

  /** Counts what was applied; starts a compaction when the applied log is over its bounds. */
  applied(raft: RaftNode, entries: readonly Entry[]): void {
    for (const e of entries) this.appliedBytes += e.data.length;
    const last = entries[entries.length - 1]!.index;
    const held = last - this.store.firstIndex() + 1;
    if (this.running || (held <= this.retain.entries && this.appliedBytes <= this.retain.bytes)) return;
    if (Date.now() < this.retryAtMs) return;
    this.running = true;
    void this.compact(raft).finally(() => {
      this.running = false;
    });
  }

  private async compact(raft: RaftNode): Promise<void> {
    const started = performance.now();
    try {
      // The bulk of the dirty bytes is synced here, beside the raft driver; the sync inside the
      // compaction, which holds the driver's Ready loop (no batch is written meanwhile), then
      // covers only what was applied since.
      await this.relay.dir.syncAll();
      let finalSyncMs = 0;
      const meta = await raft.compact(async () => {
        const data = encodeRelayState(this.relay.snapshotState());
        const syncStarted = performance.now();
        await this.relay.dir.syncAll();
        finalSyncMs = performance.now() - syncStarted;
        return data;
      });
      this.appliedBytes = 0;
      this.logger.info({ event: 'relay.compacted', index: meta.index, ms: Math.round(performance.now() - started), finalSyncMs: Math.round(finalSyncMs) },
        'raft log compacted behind the fsynced files');
    } catch (err) {
      this.retryAtMs = Date.now() + RETRY_AFTER_FAILURE_MS;
      this.logger.warn({ event: 'relay.compaction.failed', err, retryInMs: RETRY_AFTER_FAILURE_MS }, 'raft log compaction failed');
    }
  }
}
