// Every LevelDB key of binrelay is built here. One database, one leading tag byte per table;
// integers inside keys are fixed-width big-endian so LevelDB's bytewise order is numeric order.
// The full layout is documented in storage/README.md; keep the two in step.
//
//   0x01 ‖ index u64be           raft log entries of an older format (now in segment files): refused
//   0x02 ‖ field u8              raft state: hard state, conf state, snapshot meta, log epoch
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
  /** Retired: term runs, when the log was in LevelDB (segment files carry each entry's term). */
  termRuns: 0x04,
  /** Epoch of the raft log's segment files (storage/segment-log.ts). */
  logEpoch: 0x05,
} as const;
export type RaftStateField = (typeof RaftStateField)[keyof typeof RaftStateField];

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
