// The relay log as raft's state machine: how a node opens it over its storage and what the raft
// driver calls. After every apply the relay stages the applied index into the raft store's next
// batch, and its checkpoint to be encoded when that batch is taken; the driver writes it with the
// conf state right away (one atomic batch). src/node.ts wires a node with it; the crash tests
// drive the very same functions.
import type { Logger } from 'pino';
import type { Entry, SnapshotMeta } from '../../raft/core/types.js';
import type { Storage } from '../../storage/storage.js';
import { BinlogDir } from './binlog-dir.js';
import { decodeRelayState } from './relay-checkpoint.js';
import { RelayLog } from './relay-log.js';
import type { FileRangeFetcher } from './relay-files.js';

/** Opens the relay of `dataDir` (files in `binlog/`) at the checkpoint `storage` holds. */
export function openRelay(dataDir: string, storage: Storage, logger: Logger): Promise<RelayLog> {
  const sink = {
    stage: (key: Buffer, value: Buffer | null): void => storage.raft.stage(key, value),
    onceWritten: (fn: () => void): void => storage.raft.onceWritten(fn),
  };
  return RelayLog.open(storage.db, new BinlogDir(dataDir), sink, logger, {
    appliedIndex: storage.raft.appliedIndex(),
    snapshotIndex: storage.raft.snapshotMeta().index,
  });
}

export interface RelayStateMachine {
  /** The applied index to start raft from (written with the relay's checkpoint). */
  readonly appliedIndex: number;
  /** Returns the records the relay refused (index → why). */
  apply(entries: readonly Entry[]): ReadonlyMap<number, string>;
  applySnapshot(snapshot: SnapshotMeta): Promise<void>;
}

export function relayStateMachine(relay: RelayLog, storage: Storage, fetch: FileRangeFetcher, afterApply: (entries: readonly Entry[]) => void = () => undefined): RelayStateMachine {
  const checkpoint = (): void => relay.checkpoint();
  return {
    appliedIndex: storage.raft.appliedIndex(),
    apply(entries) {
      const refusals = relay.apply(entries);
      // Encoded when the batch is taken (once for every apply before it, and after the replicas
      // were served): the state then is the one the applied index staged now describes, as a
      // batch is only written between applies.
      storage.raft.stageBeforeTake(checkpoint);
      storage.raft.stageAppliedIndex(relay.checkpointIndex);
      afterApply(entries);
      return refusals;
    },
    async applySnapshot(snapshot) {
      await relay.installSnapshot(decodeRelayState(snapshot.data), fetch);
      relay.checkpoint();
      storage.raft.stageAppliedIndex(snapshot.index);
    },
  };
}
