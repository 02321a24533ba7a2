// Assembles a whole event from header fields and a body, with the CRC32 appended when asked.
// Used for the few events binrelay synthesizes (fake ROTATE, heartbeats, fake GTID_LIST, FDE copies).
import { BINLOG_CHECKSUM_LEN, writeEventChecksum } from './event-checksum.js';
import { LOG_EVENT_HEADER_LEN, writeEventHeader } from './event-header.js';

export interface EventSpec {
  type: number;
  serverId: number;
  body: Uint8Array;
  /** Append a CRC32 (true when the stream or file uses binlog_checksum=CRC32). */
  checksum: boolean;
  timestamp?: number;
  logPos?: number;
  flags?: number;
}

export function buildEvent(spec: EventSpec): Buffer {
  const size = LOG_EVENT_HEADER_LEN + spec.body.length + (spec.checksum ? BINLOG_CHECKSUM_LEN : 0);
  const out = Buffer.alloc(size);
  writeEventHeader(out, {
    timestamp: spec.timestamp ?? 0,
    type: spec.type,
    serverId: spec.serverId >>> 0,
    eventSize: size,
    logPos: spec.logPos ?? 0,
    flags: spec.flags ?? 0,
  });
  out.set(spec.body, LOG_EVENT_HEADER_LEN);
  if (spec.checksum) writeEventChecksum(out);
  return out;
}
