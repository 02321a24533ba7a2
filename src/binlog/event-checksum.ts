// Per-event CRC32 (binlog_checksum=CRC32): the last 4 bytes of an event hold the CRC32 (zlib
// polynomial, little-endian) of every byte before them, header included.
// FORMAT_DESCRIPTION exception, checked on real files: the server computes the FDE's CRC with
// LOG_EVENT_BINLOG_IN_USE_F cleared, then sets the flag without rewriting the CRC, and clears it
// again in place when it closes the file. So an FDE still flagged in use only verifies with the
// flag masked out (mysql_type_bit.000001, json-opaque.binlog in the fixtures). Masking is a no-op
// for a closed file, so we always mask.
import { crc32 } from 'node:zlib';
import { BinlogError } from './binlog-error.js';
import { EVENT_TYPE_OFFSET, FLAGS_OFFSET, LOG_EVENT_BINLOG_IN_USE_F, LOG_EVENT_HEADER_LEN } from './event-header.js';
import { FORMAT_DESCRIPTION_EVENT } from './event-type.js';

/** enum_binlog_checksum_alg */
export const BINLOG_CHECKSUM_ALG_OFF = 0;
export const BINLOG_CHECKSUM_ALG_CRC32 = 1;
/** Not known yet (an FDE of a server older than checksums has no algorithm byte). */
export const BINLOG_CHECKSUM_ALG_UNDEF = 255;
/** BINLOG_CHECKSUM_LEN */
export const BINLOG_CHECKSUM_LEN = 4;

/** CRC32 of a whole event's bytes except its last 4, with the FDE in-use rule applied. */
export function computeEventCrc(event: Uint8Array): number {
  const end = event.length - BINLOG_CHECKSUM_LEN;
  if (end < LOG_EVENT_HEADER_LEN) {
    throw new BinlogError('BINLOG_BAD_EVENT_LENGTH', `event of ${event.length} bytes cannot carry a checksum`);
  }
  const flagsLow = event[FLAGS_OFFSET]!;
  if (event[EVENT_TYPE_OFFSET] === FORMAT_DESCRIPTION_EVENT && (flagsLow & LOG_EVENT_BINLOG_IN_USE_F) !== 0) {
    let crc = crc32(event.subarray(0, FLAGS_OFFSET));
    crc = crc32(Uint8Array.of(flagsLow & ~LOG_EVENT_BINLOG_IN_USE_F), crc);
    return crc32(event.subarray(FLAGS_OFFSET + 1, end), crc);
  }
  return crc32(event.subarray(0, end));
}

/** The CRC32 stored in an event's last 4 bytes. */
export function storedEventCrc(event: Uint8Array): number {
  const o = event.length - BINLOG_CHECKSUM_LEN;
  return (event[o]! | (event[o + 1]! << 8) | (event[o + 2]! << 16)) + event[o + 3]! * 0x1000000;
}

/** Whether the event's stored CRC32 matches its bytes. */
export function hasValidChecksum(event: Uint8Array): boolean {
  return event.length >= LOG_EVENT_HEADER_LEN + BINLOG_CHECKSUM_LEN && computeEventCrc(event) === storedEventCrc(event);
}

/** Throws BINLOG_BAD_CHECKSUM unless the event's CRC32 is right; `at` is its stream offset. */
export function verifyEventChecksum(event: Uint8Array, at?: number): void {
  const computed = computeEventCrc(event);
  const stored = storedEventCrc(event);
  if (computed !== stored) {
    throw new BinlogError(
      'BINLOG_BAD_CHECKSUM',
      `event CRC32 mismatch: stored 0x${hex(stored)}, computed 0x${hex(computed)}`,
      at,
    );
  }
}

/** Recomputes the CRC32 of an event built or patched in place and stores it in its last 4 bytes. */
export function writeEventChecksum(event: Uint8Array): void {
  const crc = computeEventCrc(event);
  const o = event.length - BINLOG_CHECKSUM_LEN;
  event[o] = crc & 0xff;
  event[o + 1] = (crc >>> 8) & 0xff;
  event[o + 2] = (crc >>> 16) & 0xff;
  event[o + 3] = (crc >>> 24) & 0xff;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
