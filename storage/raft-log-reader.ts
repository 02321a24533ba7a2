// Reads of the raft state and log from LevelDB: what RaftStore needs at open (recovery) and to
// load ranges on a cache miss. Writes live in raft-store.ts only.
//
// Recovery reads four small records and seeks the two ends of the log table; it never scans the
// log (unless asked to verify it, or the term-runs record is missing), so open() stays fast for a
// log of any size. Pair assertions: the entries at firstIndex and lastIndex must exist, decode,
// pass their CRC and carry the term the term-runs record gives them.
import type { Logger } from 'pino';
import { decodeConfState, decodeEntryRecord, decodeHardState, decodeSnapshotMeta } from '../raft/codec.js';
import type { ConfState, Entry, HardState, SnapshotMeta } from '../raft/core/types.js';
import type { Db } from './db.js';
import { appliedIndexKey, RaftStateField, raftLogIndexOf, raftLogKey, raftLogRange, raftStateKey, Table } from './keys.js';
import { StorageError } from './storage-error.js';
import { TermRuns } from './term-runs.js';
import { u64FromBytes } from './u64.js';

export interface RecoveredRaftState {
  readonly hardState: HardState;
  readonly confState: ConfState;
  readonly snapshot: SnapshotMeta;
  readonly runs: TermRuns;
  /** True when the term-runs record was missing and rebuilt by a scan (the store rewrites it). */
  readonly runsRebuilt: boolean;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly appliedIndex: number;
  /** Lowest log key below firstIndex left by an interrupted prefix clear, or null. */
  readonly staleFrom: number | null;
}

export const EMPTY_SNAPSHOT: SnapshotMeta = {
  index: 0, term: 0, confState: { voters: [], learners: [] }, data: new Uint8Array(0),
};
const EMPTY_HARD_STATE: HardState = { term: 0, vote: 0, commit: 0 };

function corrupt(message: string, cause?: unknown): StorageError {
  return new StorageError('ERR_STORAGE_CORRUPT', message, cause === undefined ? {} : { cause });
}

function decodeOr<T>(value: Buffer | undefined, decode: (b: Buffer) => T, what: string): T | undefined {
  if (value === undefined) return undefined;
  try {
    return decode(value);
  } catch (err) {
    throw corrupt(`${what} record does not decode`, err);
  }
}

/** Reads and verifies one stored entry synchronously. */
export function readEntrySync(db: Db, index: number): Entry | undefined {
  return decodeOr(db.getSync(raftLogKey(index)), (b) => decodeEntryRecord(b, index), `log entry ${index}`);
}

export async function recoverRaftState(db: Db, logger: Logger, verify: boolean): Promise<RecoveredRaftState> {
  const snapshot = decodeOr(db.getSync(raftStateKey(RaftStateField.snapshotMeta)), decodeSnapshotMeta, 'snapshot meta') ?? EMPTY_SNAPSHOT;
  const hardState = decodeOr(db.getSync(raftStateKey(RaftStateField.hardState)), decodeHardState, 'hard state') ?? EMPTY_HARD_STATE;
  const confState = decodeOr(db.getSync(raftStateKey(RaftStateField.confState)), decodeConfState, 'conf state') ?? snapshot.confState;
  const appliedIndex = decodeOr(db.getSync(appliedIndexKey()), u64FromBytes, 'applied index') ?? 0;
  let runs = decodeOr(db.getSync(raftStateKey(RaftStateField.termRuns)), TermRuns.decode, 'term runs');
  const firstIndex = snapshot.index + 1;
  const logEnd = Buffer.from([Table.raftLog + 1]);

  const [lastKey] = await db.keys({ gte: raftLogKey(firstIndex), lt: logEnd, reverse: true, limit: 1 }).all();
  const lastIndex = lastKey === undefined ? snapshot.index : raftLogIndexOf(lastKey);
  const [staleKey] = await db.keys({ gte: Buffer.from([Table.raftLog]), lt: raftLogKey(firstIndex), limit: 1 }).all();
  const staleFrom = staleKey === undefined ? null : raftLogIndexOf(staleKey);

  let runsRebuilt = false;
  if (lastIndex > snapshot.index && (runs === undefined || runs.length === 0)) {
    logger.warn({ event: 'storage.raft.term_runs_rebuild', firstIndex, lastIndex }, 'term runs record missing: scanning the log');
    runs = await scanLog(db, firstIndex, lastIndex, null);
    runsRebuilt = true;
  } else if (verify && lastIndex > snapshot.index) {
    await scanLog(db, firstIndex, lastIndex, runs ?? TermRuns.empty());
  }
  runs ??= TermRuns.empty();

  if (lastIndex > snapshot.index) {
    for (const index of [firstIndex, lastIndex]) {
      const e = readEntrySync(db, index);
      if (e === undefined) throw corrupt(`log entry ${index} is missing (log is [${firstIndex}, ${lastIndex}])`);
      if (runs.termAt(index) !== e.term) throw corrupt(`entry ${index} has term ${e.term}, term runs say ${runs.termAt(index)}`);
    }
  }
  if (hardState.commit > lastIndex) throw corrupt(`commit ${hardState.commit} is beyond the last index ${lastIndex}`);

  return { hardState, confState, snapshot, runs, runsRebuilt, firstIndex, lastIndex, appliedIndex, staleFrom };
}

/**
 * Reads every entry of [first, last] checking contiguity and CRCs. With `expect`, checks each
 * entry's term against it; without, builds and returns the term runs from the entries.
 */
export async function scanLog(db: Db, first: number, last: number, expect: TermRuns | null): Promise<TermRuns> {
  const runs = TermRuns.empty();
  const it = db.iterator(raftLogRange(first, last + 1));
  let next = first;
  try {
    for (;;) {
      const batch = await it.nextv(256);
      if (batch.length === 0) break;
      for (const [key, value] of batch) {
        const e = decodeChecked(key, value, next);
        if (expect !== null && expect.termAt(e.index) !== e.term) {
          throw corrupt(`entry ${e.index} has term ${e.term}, term runs say ${expect.termAt(e.index)}`);
        }
        if (expect === null) runs.append(e.index, e.term);
        next++;
      }
    }
  } finally {
    await it.close();
  }
  if (next !== last + 1) throw corrupt(`log ends at ${next - 1}, expected ${last}`);
  return expect ?? runs;
}

function decodeChecked(key: Buffer, value: Buffer, expectedIndex: number): Entry {
  const index = raftLogIndexOf(key);
  if (index !== expectedIndex) throw corrupt(`log entry ${expectedIndex} is missing (found ${index})`);
  try {
    return decodeEntryRecord(value, index);
  } catch (err) {
    throw corrupt(`log entry ${index} does not decode`, err);
  }
}

/** Entries from lo upward (< hi) until at least `bytesMax` of payload is read (at least one). */
export async function readRange(db: Db, lo: number, hi: number, bytesMax: number): Promise<Entry[]> {
  const out: Entry[] = [];
  let bytes = 0;
  const it = db.iterator(raftLogRange(lo, hi));
  try {
    while (bytes < bytesMax) {
      const batch = await it.nextv(64);
      if (batch.length === 0) break;
      for (const [key, value] of batch) {
        const e = decodeChecked(key, value, lo + out.length);
        out.push(e);
        bytes += e.data.length;
      }
    }
  } finally {
    await it.close();
  }
  if (out.length === 0 && lo < hi) throw corrupt(`log entry ${lo} is missing`);
  return out;
}

/** The newest entries of [first, last] up to about `bytesMax` of payload, in index order. */
export async function readTail(db: Db, first: number, last: number, bytesMax: number): Promise<Entry[]> {
  const out: Entry[] = [];
  if (last < first || bytesMax <= 0) return out;
  let bytes = 0;
  const it = db.iterator({ ...raftLogRange(first, last + 1), reverse: true });
  try {
    while (bytes < bytesMax) {
      const batch = await it.nextv(64);
      if (batch.length === 0) break;
      for (const [key, value] of batch) {
        const e = decodeChecked(key, value, last - out.length);
        out.push(e);
        bytes += e.data.length;
        if (bytes >= bytesMax) break;
      }
    }
  } finally {
    await it.close();
  }
  return out.reverse();
}
