// Reads committed binlog bytes back out of the raft log for serving: the group holding a
// position is found through the index, its entries are read from LevelDB in one range scan, and
// the bytes from the position to the group's end are returned as views (no copy, no concat).
import type { Db } from '../../storage/db.js';
import { readRange } from '../../storage/raft-log-reader.js';
import { decodeRelayRecord } from './relay-entry.js';
import { findIndexRow } from './relay-index.js';
import type { RelayFile } from './relay-files.js';

export class RelayReadError extends Error {
  constructor(
    readonly code: 'RELAY_POSITION_MID_EVENT' | 'RELAY_POSITION_UNKNOWN' | 'RELAY_LOG_INCONSISTENT',
    message: string,
  ) {
    super(message);
  }
}

/** In-memory copies of recently published groups (RelayLog implements it). */
export interface RecentSpans {
  recentSpan(fileSeq: number, pos: number): RelaySpan | null;
}

export interface RelaySpan {
  /** Views of the file's bytes [startPos, endPos), in order; they hold whole events only. */
  chunks: Uint8Array[];
  startPos: number;
  endPos: number;
}

/** Byte at absolute offset `at` of a run of chunks starting at `base`. */
function u32At(chunks: readonly Uint8Array[], base: number, at: number): number | null {
  let offset = at - base;
  let value = 0;
  let got = 0;
  for (const c of chunks) {
    if (offset >= c.length) {
      offset -= c.length;
      continue;
    }
    while (offset < c.length && got < 4) value += c[offset++]! * 2 ** (8 * got++);
    if (got === 4) return value;
    offset = 0;
  }
  return null;
}

function sliceFrom(chunks: readonly Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    out.push(skip > 0 ? c.subarray(skip) : c);
    skip = 0;
  }
  return out;
}

const EVENT_LEN_OFFSET = 9;

/**
 * The committed bytes of `file` from `pos` to the end of the group holding `pos`.
 * Null when `pos` is the file's served end (nothing more yet). `pos` must be an event start.
 */
export async function readSpan(db: Db, file: RelayFile, pos: number, recent?: RecentSpans): Promise<RelaySpan | null> {
  if (pos >= file.endPos) return null;
  const cached = recent?.recentSpan(file.seq, pos);
  if (cached) return cached;
  if (pos < file.firstPos) throw new RelayReadError('RELAY_POSITION_UNKNOWN', `${file.name}:${pos} is before the relay's first position ${file.firstPos}`);
  const row = await findIndexRow(db, file.seq, pos);
  if (!row || pos >= row.endPos) throw new RelayReadError('RELAY_LOG_INCONSISTENT', `no index row holds ${file.name}:${pos}`);
  const entries = await readRange(db, row.firstIndex, row.lastIndex + 1, Number.POSITIVE_INFINITY);
  const chunks: Uint8Array[] = [];
  for (const entry of entries) {
    if (entry.type !== 'normal' || entry.data.length === 0) continue;
    const record = decodeRelayRecord(entry.data);
    if (record.kind === 'binlog' && record.file === file.name) chunks.push(record.bytes);
  }
  let at = row.startPos;
  while (at < pos) {
    const size = u32At(chunks, row.startPos, at + EVENT_LEN_OFFSET);
    if (size === null || size < 19) throw new RelayReadError('RELAY_LOG_INCONSISTENT', `bad event header at ${file.name}:${at}`);
    at += size;
  }
  if (at !== pos) throw new RelayReadError('RELAY_POSITION_MID_EVENT', `${file.name}:${pos} is in the middle of an event`);
  return { chunks: sliceFrom(chunks, pos - row.startPos), startPos: pos, endPos: row.endPos };
}
