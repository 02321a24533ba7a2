// Every LevelDB key of binrelay is built here. One database, one leading tag byte per table;
// integers inside keys are fixed-width big-endian so LevelDB's bytewise order is numeric order.
// The full layout is documented in storage/README.md; keep the two in step.
//
//   0x01 ‖ index u64be           raft log entry record (raft/codec.ts encodeEntryRecord)
//   0x02 ‖ field u8              raft state: hard state, conf state, snapshot meta, term runs
//   0x03 ‖ seq u32be             relay: one record per binlog file (src/relaylog/relay-checkpoint.ts)
//   0x05 ‖ 0x01                  applied index (staged by the application with its checkpoint)
//   0x05 ‖ 0x03                  relay: head record (GTID state, last file end, pending group…)
//   0x04, 0x06 … 0x0f            reserved for the relay
//   0x10 ‖ utf8 name             meta store: small named records (node settings…)

/** Table tags: the first byte of every key. */
export const Table = {
  raftLog: 0x01,
  raftState: 0x02,
  relayFiles: 0x03,
  relayGtids: 0x04,
  relayApplied: 0x05,
  meta: 0x10,
} as const;

/** Second byte of the fixed keys in the raft state table. Append only. */
export const RaftStateField = {
  hardState: 0x01,
  confState: 0x02,
  snapshotMeta: 0x03,
  termRuns: 0x04,
} as const;
export type RaftStateField = (typeof RaftStateField)[keyof typeof RaftStateField];

const TWO_POW_32 = 0x1_0000_0000;

function assertIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`log key index ${index} is not a safe u64`);
}

/** `0x01 ‖ index:u64be` — the key of log entry `index`. */
export function raftLogKey(index: number): Buffer {
  assertIndex(index);
  const key = Buffer.allocUnsafe(9);
  key[0] = Table.raftLog;
  key.writeUInt32BE(Math.floor(index / TWO_POW_32), 1);
  key.writeUInt32BE(index % TWO_POW_32, 5);
  return key;
}

/** Inverse of raftLogKey; throws on a key of another table or length. */
export function raftLogIndexOf(key: Uint8Array): number {
  if (key.length !== 9 || key[0] !== Table.raftLog) throw new RangeError('not a raft log key');
  const buf = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return buf.readUInt32BE(1) * TWO_POW_32 + buf.readUInt32BE(5);
}

/** Range bounds `{gte, lt}` covering log entries `[lo, hi)`. */
export function raftLogRange(lo: number, hi: number): { gte: Buffer; lt: Buffer } {
  return { gte: raftLogKey(lo), lt: raftLogKey(hi) };
}

/** Range bounds covering the whole raft log table. */
export function raftLogTable(): { gte: Buffer; lt: Buffer } {
  return tableRange(Table.raftLog);
}

export function raftStateKey(field: RaftStateField): Buffer {
  return Buffer.from([Table.raftState, field]);
}

/** The relay's applied index record (value: u64be). */
export function appliedIndexKey(): Buffer {
  return Buffer.from([Table.relayApplied, 0x01]);
}

/** `0x03 ‖ seq:u32be` — the relay's record of binlog file `seq`. */
export function relayFileKey(seq: number): Buffer {
  const key = Buffer.allocUnsafe(5);
  key[0] = Table.relayFiles;
  key.writeUInt32BE(seq, 1);
  return key;
}

/** `0x05 0x03` — the relay's head record. */
export function relayHeadKey(): Buffer {
  return Buffer.from([Table.relayApplied, 0x03]);
}

/** `0x05 0x02` — the relay state record of storage v1 (binlog bytes in the raft log). */
export function relayStateV1Key(): Buffer {
  return Buffer.from([Table.relayApplied, 0x02]);
}

/** `0x10 ‖ utf8 name` — a meta store record. */
export function metaKey(name: string): Buffer {
  if (name.length === 0) throw new RangeError('meta record name must not be empty');
  return Buffer.concat([Buffer.from([Table.meta]), Buffer.from(name, 'utf8')]);
}

/** Inverse of metaKey. */
export function metaNameOf(key: Uint8Array): string {
  if (key.length < 2 || key[0] !== Table.meta) throw new RangeError('not a meta key');
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8', 1);
}

/** Range bounds of meta records whose name starts with `prefix` ('' for all). */
export function metaRange(prefix: string): { gte: Buffer; lt: Buffer } {
  if (prefix === '') return tableRange(Table.meta);
  const gte = Buffer.concat([Buffer.from([Table.meta]), Buffer.from(prefix, 'utf8')]);
  return { gte, lt: prefixEnd(gte) };
}

/** Range bounds `[tag, tag+1)` of a whole table. */
export function tableRange(tag: number): { gte: Buffer; lt: Buffer } {
  return { gte: Buffer.from([tag]), lt: Buffer.from([tag + 1]) };
}

/** The smallest key greater than every key starting with `prefix`. */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  throw new RangeError('prefix has no upper bound');
}
