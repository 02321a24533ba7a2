// Events a MariaDB master rewrites for replicas that declared a low @mariadb_slave_capability
// (Query_log_event::dummy_event / begin_event, Gtid_log_event::make_compatible_event in
// log_event_server.cc). A rewritten event keeps its size, so binlog positions stay right:
//   - GTID of a transaction → a QUERY "BEGIN" (an empty time_zone status variable pads the two
//     extra bytes of a GTID with commit id);
//   - anything else → a QUERY holding only a comment, or, for events shorter than a QUERY can
//     be, a USER_VAR event setting a NULL variable named @`!dummyvar` (or a prefix of it).
// Both get LOG_EVENT_SUPPRESS_USE_F, lose LOG_EVENT_THREAD_SPECIFIC_F, and a fresh CRC32.
import { BINLOG_CHECKSUM_LEN, writeEventChecksum } from '../binlog/event-checksum.js';
import {
  EVENT_TYPE_OFFSET, FLAGS_OFFSET, LOG_EVENT_HEADER_LEN, LOG_EVENT_SUPPRESS_USE_F, LOG_EVENT_THREAD_SPECIFIC_F,
} from '../binlog/event-header.js';
import { QUERY_EVENT, USER_VAR_EVENT } from '../binlog/event-type.js';
import { QUERY_HEADER_LEN } from '../binlog/query-event.js';

/** GTID_HEADER_LEN: the body of a MariaDB GTID event without commit id. */
const GTID_HEADER_LEN = 19;
/** Q_TIME_ZONE_CODE status variable. */
const Q_TIME_ZONE_CODE = 5;
// Query post-header offsets.
const Q_DB_LEN_OFFSET = 8;
const Q_ERR_CODE_OFFSET = 9;
const Q_STATUS_VARS_LEN_OFFSET = 11;
const MIN_USER_VAR_EVENT_LEN = LOG_EVENT_HEADER_LEN + 4 + 1 + 1; // 25
const MIN_QUERY_EVENT_LEN = LOG_EVENT_HEADER_LEN + QUERY_HEADER_LEN + 1 + 1; // 34
const DUMMY_VAR_NAME = '!dummyvar';

function prepare(event: Uint8Array, checksum: boolean): { out: Buffer; dataLen: number } | null {
  const out = Buffer.from(event);
  const dataLen = out.length - (checksum ? BINLOG_CHECKSUM_LEN : 0);
  if (dataLen < MIN_USER_VAR_EVENT_LEN) return null;
  let flags = out.readUInt16LE(FLAGS_OFFSET);
  flags = (flags & ~LOG_EVENT_THREAD_SPECIFIC_F) | LOG_EVENT_SUPPRESS_USE_F;
  out.writeUInt16LE(flags, FLAGS_OFFSET);
  return { out, dataLen };
}

function writeQueryPostHeader(out: Buffer, statusVarsLength: number): void {
  const q = LOG_EVENT_HEADER_LEN;
  out.fill(0, q, q + Q_DB_LEN_OFFSET); // thread id, exec time
  out[q + Q_DB_LEN_OFFSET] = 0;
  out.writeUInt16LE(0, q + Q_ERR_CODE_OFFSET);
  out.writeUInt16LE(statusVarsLength, q + Q_STATUS_VARS_LEN_OFFSET);
}

/** The event replaced by a no-op of the same size; null when it is too short (under 25 bytes). */
export function dummyEvent(event: Uint8Array, checksum: boolean): Buffer | null {
  const prepared = prepare(event, checksum);
  if (!prepared) return null;
  const { out, dataLen } = prepared;
  const oldType = out[EVENT_TYPE_OFFSET]!;
  if (dataLen < MIN_QUERY_EVENT_LEN) {
    // A NULL user variable whose name fills the space: @`!dummyvar`, or as much of it as fits.
    const nameLength = dataLen - (MIN_USER_VAR_EVENT_LEN - 1);
    out[EVENT_TYPE_OFFSET] = USER_VAR_EVENT;
    out.writeUInt32LE(nameLength, LOG_EVENT_HEADER_LEN);
    out.write(DUMMY_VAR_NAME.slice(0, nameLength), LOG_EVENT_HEADER_LEN + 4, 'latin1');
    out[LOG_EVENT_HEADER_LEN + 4 + nameLength] = 1; // is_null
  } else {
    out[EVENT_TYPE_OFFSET] = QUERY_EVENT;
    writeQueryPostHeader(out, 0);
    let q = LOG_EVENT_HEADER_LEN + QUERY_HEADER_LEN;
    out[q++] = 0; // empty database name
    const comment = Buffer.from(`# Dummy event replacing event type ${oldType} that slave cannot handle.`, 'latin1');
    const room = dataLen - (MIN_QUERY_EVENT_LEN - 1);
    if (room <= comment.length) comment.copy(out, q, 0, room);
    else {
      comment.copy(out, q);
      out.fill(0x20, q + comment.length, q + room);
    }
  }
  if (checksum) writeEventChecksum(out);
  return out;
}

/** A MariaDB GTID event (without XA data) turned into a QUERY "BEGIN"; null when its size is
 *  not one of a plain GTID event's. */
export function beginEvent(gtidEvent: Uint8Array, checksum: boolean): Buffer | null {
  const prepared = prepare(gtidEvent, checksum);
  if (!prepared) return null;
  const { out, dataLen } = prepared;
  const plain = LOG_EVENT_HEADER_LEN + GTID_HEADER_LEN;
  if (dataLen !== plain && dataLen !== plain + 2) return null;
  out[EVENT_TYPE_OFFSET] = QUERY_EVENT;
  let q = LOG_EVENT_HEADER_LEN + QUERY_HEADER_LEN;
  if (dataLen === plain) {
    writeQueryPostHeader(out, 0);
    out[q++] = 0;
  } else {
    writeQueryPostHeader(out, 2);
    out[q++] = Q_TIME_ZONE_CODE;
    out[q++] = 0; // empty time zone
    out[q++] = 0; // empty database name
  }
  out.write('BEGIN', q, 'latin1');
  if (checksum) writeEventChecksum(out);
  return out;
}
