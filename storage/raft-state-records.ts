// The raft state records in LevelDB, read once at open: hard state, conf state, snapshot meta,
// the segment epoch and the applied index the relay staged. The log itself lives in segment
// files (segment-log.ts); a database that still holds log entries in LevelDB (table 0x01) was
// written by an older format and is refused rather than misread.
import { decodeConfState, decodeHardState, decodeSnapshotMeta } from '../raft/codec.js';
import type { ConfState, HardState, SnapshotMeta } from '../raft/core/types.js';
import type { Db } from './db.js';
import { appliedIndexKey, RaftStateField, raftStateKey, Table } from './keys.js';
import { StorageError } from './storage-error.js';
import { u64FromBytes } from './u64.js';

export interface RaftStateRecords {
  readonly hardState: HardState;
  readonly confState: ConfState;
  readonly snapshot: SnapshotMeta;
  /** Epoch of the segment files that make up the log (bumped by each snapshot install). */
  readonly epoch: number;
  readonly appliedIndex: number;
}

export const EMPTY_SNAPSHOT: SnapshotMeta = {
  index: 0, term: 0, confState: { voters: [], learners: [] }, data: new Uint8Array(0),
};
const EMPTY_HARD_STATE: HardState = { term: 0, vote: 0, commit: 0 };

function decodeOr<T>(value: Buffer | undefined, decode: (b: Buffer) => T, what: string): T | undefined {
  if (value === undefined) return undefined;
  try {
    return decode(value);
  } catch (err) {
    throw new StorageError('ERR_STORAGE_CORRUPT', `${what} record does not decode`, { cause: err });
  }
}

export async function readRaftStateRecords(db: Db): Promise<RaftStateRecords> {
  const [legacy] = await db.keys({ gte: Buffer.from([Table.raftLog]), lt: Buffer.from([Table.raftLog + 1]), limit: 1 }).all();
  if (legacy !== undefined) {
    throw new StorageError('ERR_STORAGE_FORMAT', 'this data dir keeps its raft log in LevelDB (a format before segment files): start the node on an empty data dir and import the binlog files (PUT /binlog/import)');
  }
  const get = (field: RaftStateField): Buffer | undefined => db.getSync(raftStateKey(field));
  const snapshot = decodeOr(get(RaftStateField.snapshotMeta), decodeSnapshotMeta, 'snapshot meta') ?? EMPTY_SNAPSHOT;
  return {
    snapshot,
    hardState: decodeOr(get(RaftStateField.hardState), decodeHardState, 'hard state') ?? EMPTY_HARD_STATE,
    confState: decodeOr(get(RaftStateField.confState), decodeConfState, 'conf state') ?? snapshot.confState,
    epoch: decodeOr(get(RaftStateField.logEpoch), u64FromBytes, 'log epoch') ?? 0,
    appliedIndex: decodeOr(db.getSync(appliedIndexKey()), u64FromBytes, 'applied index') ?? 0,
  };
}
