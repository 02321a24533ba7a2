// The relay log as raft's state machine: how a node opens it over its storage and what the raft
// driver calls. A checkpoint stages the applied index into the raft store's next batch, and the
// relay's state to be encoded when that batch is taken; the driver writes it right away (one
// atomic batch, with the conf state when that changed). An apply of binlog bytes alone stages
// none: the driver asks for one (RaftNodeOptions.checkpoint) 100 ms later, before a conf state or
// a compaction, and on a clean stop. A restart applies again, from the raft log, what followed the
// last one written, and the files' bytes past it are cut back first. That spares each small
// transaction a LevelDB write on every node. Anything else applied (a purge or an abort, which
// touch the files only once the state without them is written; settings, members) stages one at
// once. src/node.ts wires a node with it; the crash tests drive the very same functions.
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
  /** Stages a checkpoint at the applied index now (RaftNodeOptions.checkpoint). */
  checkpoint(): void;
}

export function relayStateMachine(relay: RelayLog, storage: Storage, fetch: FileRangeFetcher, afterApply: (entries: readonly Entry[]) => void = () => undefined): RelayStateMachine {
  const encode = (): void => relay.checkpoint();
  const checkpoint = (): void => {
    // Encoded when the batch is taken (once for every apply before it, and after the replicas
    // were served): the state then is the one the applied index staged now describes, as a
    // batch is only written between applies.
    storage.raft.stageBeforeTake(encode);
    storage.raft.stageAppliedIndex(relay.checkpointIndex);
  };
  return {
    appliedIndex: storage.raft.appliedIndex(),
    apply(entries) {
      const refusals = relay.apply(entries);
      // Once staged, the checkpoint follows every apply until its batch is taken: its state is
      // encoded then, so the applied index staged must be the latest.
      if (relay.checkpointDue || storage.raft.hasStaged()) checkpoint();
      afterApply(entries);
      return refusals;
    },
    checkpoint,
    async applySnapshot(snapshot) {
      await relay.installSnapshot(decodeRelayState(snapshot.data), fetch);
      relay.checkpoint();
      storage.raft.stageAppliedIndex(snapshot.index);
    },
  };
}
