// Binary form of a MySQL GTID set (`Gtid_set::encode`), used by PREVIOUS_GTIDS_LOG_EVENT bodies and
// the data of COM_BINLOG_DUMP_GTID.
// Untagged (all versions): n_sids u64 | per SID: uuid[16] | n_intervals u64 | (start i64,
//   end i64 exclusive) × n.
// Tagged (8.3+, only when some SID has a tag): header byte 0x01 | n_sids (6 bytes LE) | 0x01, then
//   per TSID: uuid[16] | tag as a serialization string (varint length + bytes) | intervals as above.
// Entries ascend by (uuid, tag). The format is told apart by the top byte of the first 8 bytes.
import { BinlogError } from './binlog-error.js';
import { ByteReader, writeU64 } from './byte-reader.js';
import { GNO_END, MysqlGtidSet, uuidFromBytes, uuidToBytes, type GnoInterval, type TsidIntervals } from './gtid-set-mysql.js';
import { decodeSerializedString, encodeSerializedString } from './mysql-serialization.js';

const FORMAT_UNTAGGED = 0;
const FORMAT_TAGGED = 1;

export interface EncodeOptions {
  /** Drop tagged entries (what an 8.3+ replica sends to a source older than 8.3). */
  skipTagged?: boolean;
}

export function encodeMysqlGtidSet(set: MysqlGtidSet, options: EncodeOptions = {}): Buffer {
  const entries = set.entries().filter((e) => !(options.skipTagged && e.tag));
  const tagged = entries.some((e) => e.tag !== '');
  const parts: Uint8Array[] = [];
  const head = Buffer.alloc(8);
  if (tagged) {
    head[0] = FORMAT_TAGGED;
    head.writeUIntLE(entries.length, 1, 6);
    head[7] = FORMAT_TAGGED;
  } else {
    writeU64(head, 0, BigInt(entries.length));
  }
  parts.push(head);
  for (const e of entries) {
    parts.push(uuidToBytes(e.uuid));
    if (tagged) parts.push(encodeSerializedString(e.tag));
    const ivs = Buffer.alloc(8 + 16 * e.intervals.length);
    writeU64(ivs, 0, BigInt(e.intervals.length));
    e.intervals.forEach((iv, i) => {
      writeU64(ivs, 8 + 16 * i, iv.start);
      writeU64(ivs, 16 + 16 * i, iv.end + 1n);
    });
    parts.push(ivs);
  }
  return Buffer.concat(parts);
}

/** Decodes an encoded GTID set occupying exactly `bytes`. */
export function decodeMysqlGtidSet(bytes: Uint8Array): MysqlGtidSet {
  try {
    return decode(bytes);
  } catch (err) {
    if (err instanceof BinlogError && err.code === 'BINLOG_BAD_EVENT') throw new BinlogError('BINLOG_BAD_GTID', err.message);
    throw err;
  }
}

function decode(bytes: Uint8Array): MysqlGtidSet {
  if (bytes.length < 8) throw new BinlogError('BINLOG_BAD_GTID', `encoded GTID set needs at least 8 bytes, got ${bytes.length}`);
  const format = bytes[7]!;
  let nSids: number;
  if (format === FORMAT_TAGGED) {
    if (bytes[0] !== FORMAT_TAGGED) throw new BinlogError('BINLOG_BAD_GTID', 'tagged GTID set header bytes disagree');
    nSids = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUIntLE(1, 6);
  } else if (format === FORMAT_UNTAGGED) {
    nSids = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUIntLE(0, 6) + bytes[6]! * 2 ** 48;
  } else {
    throw new BinlogError('BINLOG_BAD_GTID', `unknown GTID set encoding format ${format}`);
  }
  let pos = 8;
  const entries: TsidIntervals[] = [];
  for (let s = 0; s < nSids; s++) {
    if (pos + 16 > bytes.length) throw truncated();
    const uuid = uuidFromBytes(bytes.subarray(pos, pos + 16));
    pos += 16;
    let tag = '';
    if (format === FORMAT_TAGGED) {
      const d = decodeSerializedString(bytes, pos);
      tag = d.value;
      pos = d.next;
    }
    const r = new ByteReader(bytes, pos, bytes.length, 'encoded GTID set');
    const n = r.u64();
    if (n * 16n > BigInt(r.remaining)) throw truncated();
    const intervals: GnoInterval[] = [];
    let previousEnd = 0n;
    for (let i = 0n; i < n; i++) {
      const start = r.i64();
      const endExclusive = r.i64();
      if (start < 1n || endExclusive <= start || endExclusive > GNO_END || start < previousEnd) {
        throw new BinlogError('BINLOG_BAD_GTID', `encoded GTID set has an invalid interval [${start}, ${endExclusive})`);
      }
      previousEnd = endExclusive;
      intervals.push({ start, end: endExclusive - 1n });
    }
    pos = r.offset;
    entries.push({ uuid, tag, intervals });
  }
  if (pos !== bytes.length) throw new BinlogError('BINLOG_BAD_GTID', `encoded GTID set has ${bytes.length - pos} trailing bytes`);
  return MysqlGtidSet.fromEntries(entries);
}

function truncated(): BinlogError {
  return new BinlogError('BINLOG_BAD_GTID', 'encoded GTID set is truncated');
}
