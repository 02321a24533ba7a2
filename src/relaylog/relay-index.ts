// The relay's position index in LevelDB: one row per committed group of entries that ends at a
// transaction boundary. Rows are keyed by (file seq, start position), so "the group holding
// position P of file F" is the last row at or before (F, P).
//   key   0x03 ‖ fileSeq u32be ‖ pos u64be
//   value firstIndex u64be ‖ lastIndex u64be ‖ endPos u64be
import { Table } from '../../storage/keys.js';
import type { Db } from '../../storage/db.js';

export interface IndexRow {
  fileSeq: number;
  startPos: number;
  /** Raft indexes [firstIndex, lastIndex] hold the group's bytes (with other records between). */
  firstIndex: number;
  lastIndex: number;
  endPos: number;
}

const TWO_32 = 0x1_0000_0000;

function putU64(buf: Buffer, v: number, o: number): void {
  buf.writeUInt32BE(Math.floor(v / TWO_32), o);
  buf.writeUInt32BE(v % TWO_32, o + 4);
}

function getU64(buf: Buffer, o: number): number {
  return buf.readUInt32BE(o) * TWO_32 + buf.readUInt32BE(o + 4);
}

export function indexKey(fileSeq: number, pos: number): Buffer {
  const key = Buffer.allocUnsafe(13);
  key[0] = Table.relayFiles;
  key.writeUInt32BE(fileSeq, 1);
  putU64(key, pos, 5);
  return key;
}

export function encodeIndexRow(row: IndexRow): { key: Buffer; value: Buffer } {
  const value = Buffer.allocUnsafe(24);
  putU64(value, row.firstIndex, 0);
  putU64(value, row.lastIndex, 8);
  putU64(value, row.endPos, 16);
  return { key: indexKey(row.fileSeq, row.startPos), value };
}

function decodeIndexRow(key: Buffer, value: Buffer): IndexRow {
  return {
    fileSeq: key.readUInt32BE(1),
    startPos: getU64(key, 5),
    firstIndex: getU64(value, 0),
    lastIndex: getU64(value, 8),
    endPos: getU64(value, 16),
  };
}

/** The row whose group holds position `pos` of file `fileSeq`, if any. */
export async function findIndexRow(db: Db, fileSeq: number, pos: number): Promise<IndexRow | null> {
  const rows = await db.iterator({ gte: indexKey(fileSeq, 0), lte: indexKey(fileSeq, pos), reverse: true, limit: 1 }).all();
  if (rows.length === 0) return null;
  const [key, value] = rows[0]!;
  return decodeIndexRow(key, value);
}

/** Up to `limit` rows of file `fileSeq` starting at or after `pos`, in position order (readers
 *  use them to fetch the next groups ahead of time). */
export async function indexRowsFrom(db: Db, fileSeq: number, pos: number, limit: number): Promise<IndexRow[]> {
  const rows = await db.iterator({ gte: indexKey(fileSeq, pos), lt: indexKey(fileSeq + 1, 0), limit }).all();
  return rows.map(([key, value]) => decodeIndexRow(key, value));
}

/** Key range of all rows of the files with seq < fileSeq (for purge). */
export function indexRowsBefore(fileSeq: number): { gte: Buffer; lt: Buffer } {
  return { gte: indexKey(0, 0), lt: indexKey(fileSeq, 0) };
}
