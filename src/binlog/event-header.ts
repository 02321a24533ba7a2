// The v4 common event header (19 bytes, little-endian), the file magic, and the header flag bits.
//   timestamp u32 | type u8 | server_id u32 | event_size u32 | log_pos u32 | flags u16
import { BinlogError } from './binlog-error.js';

/** LOG_EVENT_HEADER_LEN: the v4 header length (binlog version 4, MySQL ≥ 5.0 and every MariaDB). */
export const LOG_EVENT_HEADER_LEN = 19;
/** BINLOG_MAGIC: the 4 bytes every binlog and relay-log file starts with. */
export const BINLOG_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0xfe, 0x62, 0x69, 0x6e);
/** Offset of the first event in a file (right after the magic). */
export const BIN_LOG_HEADER_SIZE = 4;

// Header flags (`LOG_EVENT_*_F`, identical in MySQL and MariaDB).
/** Set in the FDE of a file that is still being written (or was not closed cleanly). */
export const LOG_EVENT_BINLOG_IN_USE_F = 0x0001;
export const LOG_EVENT_THREAD_SPECIFIC_F = 0x0004;
export const LOG_EVENT_SUPPRESS_USE_F = 0x0008;
/** Set on events a server makes up for a dump (fake ROTATE, fake GTID_LIST); never stored. */
export const LOG_EVENT_ARTIFICIAL_F = 0x0020;
export const LOG_EVENT_RELAY_LOG_F = 0x0040;
/** An unknown event type carrying this flag may be skipped by a reader. */
export const LOG_EVENT_IGNORABLE_F = 0x0080;
export const LOG_EVENT_SKIP_REPLICATION_F = 0x8000;

/** Byte offsets of the header fields, for in-place patching. */
export const EVENT_TYPE_OFFSET = 4;
export const SERVER_ID_OFFSET = 5;
export const EVENT_LEN_OFFSET = 9;
export const LOG_POS_OFFSET = 13;
export const FLAGS_OFFSET = 17;

export interface EventHeader {
  /** Seconds since the epoch when the statement started (0 on fake events). */
  timestamp: number;
  type: number;
  serverId: number;
  /** Whole event length: header + body + checksum. */
  eventSize: number;
  /** Position right after this event in the *writer's* file (0 on fake events; the master's
   *  position in a relay log). Not necessarily this event's end in the file being read. */
  logPos: number;
  flags: number;
}

/** Decodes the header at `offset`; `at` is the stream offset reported in errors. */
export function readEventHeader(buf: Uint8Array, offset = 0, at?: number): EventHeader {
  if (buf.length - offset < LOG_EVENT_HEADER_LEN) {
    throw new BinlogError('BINLOG_TRUNCATED', `event header needs ${LOG_EVENT_HEADER_LEN} bytes, got ${buf.length - offset}`, at);
  }
  return {
    timestamp: u32(buf, offset),
    type: buf[offset + EVENT_TYPE_OFFSET]!,
    serverId: u32(buf, offset + SERVER_ID_OFFSET),
    eventSize: u32(buf, offset + EVENT_LEN_OFFSET),
    logPos: u32(buf, offset + LOG_POS_OFFSET),
    flags: buf[offset + FLAGS_OFFSET]! | (buf[offset + FLAGS_OFFSET + 1]! << 8),
  };
}

/** Encodes a header into `buf` at `offset` (the caller has sized the buffer). */
export function writeEventHeader(buf: Uint8Array, header: EventHeader, offset = 0): void {
  putU32(buf, offset, header.timestamp);
  buf[offset + EVENT_TYPE_OFFSET] = header.type & 0xff;
  putU32(buf, offset + SERVER_ID_OFFSET, header.serverId);
  putU32(buf, offset + EVENT_LEN_OFFSET, header.eventSize);
  putU32(buf, offset + LOG_POS_OFFSET, header.logPos);
  buf[offset + FLAGS_OFFSET] = header.flags & 0xff;
  buf[offset + FLAGS_OFFSET + 1] = (header.flags >>> 8) & 0xff;
}

/** True when `buf` starts with the binlog magic. */
export function hasBinlogMagic(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0xfe && buf[1] === 0x62 && buf[2] === 0x69 && buf[3] === 0x6e;
}

function u32(buf: Uint8Array, o: number): number {
  return (buf[o]! | (buf[o + 1]! << 8) | (buf[o + 2]! << 16)) + buf[o + 3]! * 0x1000000;
}

function putU32(buf: Uint8Array, o: number, v: number): void {
  buf[o] = v & 0xff;
  buf[o + 1] = (v >>> 8) & 0xff;
  buf[o + 2] = (v >>> 16) & 0xff;
  buf[o + 3] = (v >>> 24) & 0xff;
}

/** The event_length field of the event starting at `eventStart` of `buf` (u32 little-endian). */
export function eventLengthAt(buf: Uint8Array, eventStart: number): number {
  const at = eventStart + EVENT_LEN_OFFSET;
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16)) + buf[at + 3]! * 0x1000000;
}
