// Heartbeats: sent by a dump while idle (or after skipping), never written to files.
//   HEARTBEAT_LOG_EVENT (27): header log_pos = current position (low 32 bits), body = file name.
//   HEARTBEAT_LOG_EVENT_V2 (41, MySQL 8.0.28+ when the replica sets dump flag 0x02): body is a TLV
//   list of length-encoded type/length: 1 = file name, 2 = position (a length-encoded integer,
//   so positions past 4 GiB survive), 0 = end mark.
// Both have timestamp 0 and flags 0, and carry a CRC32 whenever the file being sent uses one
// (even for a client that declared NONE).
import { BinlogError } from './binlog-error.js';
import { eventBody, type BinlogEvent } from './binlog-event.js';
import { ByteReader, encodeLenenc } from './byte-reader.js';
import { buildEvent } from './event-builder.js';
import { HEARTBEAT_LOG_EVENT, HEARTBEAT_LOG_EVENT_V2 } from './event-type.js';

const OTW_HB_HEADER_END_MARK = 0;
const OTW_HB_LOG_FILENAME_FIELD = 1;
const OTW_HB_LOG_POSITION_FIELD = 2;

export interface HeartbeatEvent {
  file: string;
  position: number;
}

export interface HeartbeatBuild {
  serverId: number;
  file: string;
  position: number;
  checksum: boolean;
}

export function buildHeartbeat(spec: HeartbeatBuild): Buffer {
  return buildEvent({
    type: HEARTBEAT_LOG_EVENT, serverId: spec.serverId, body: Buffer.from(spec.file, 'utf8'),
    checksum: spec.checksum, timestamp: 0, flags: 0, logPos: spec.position % 0x100000000,
  });
}

export function buildHeartbeatV2(spec: HeartbeatBuild): Buffer {
  const name = Buffer.from(spec.file, 'utf8');
  const pos = encodeLenenc(spec.position);
  const body = Buffer.concat([
    encodeLenenc(OTW_HB_LOG_FILENAME_FIELD), encodeLenenc(name.length), name,
    encodeLenenc(OTW_HB_LOG_POSITION_FIELD), encodeLenenc(pos.length), pos,
    encodeLenenc(OTW_HB_HEADER_END_MARK),
  ]);
  return buildEvent({
    type: HEARTBEAT_LOG_EVENT_V2, serverId: spec.serverId, body, checksum: spec.checksum,
    timestamp: 0, flags: 0, logPos: spec.position % 0x100000000,
  });
}

export function parseHeartbeat(event: BinlogEvent): HeartbeatEvent {
  const body = eventBody(event);
  if (event.header.type === HEARTBEAT_LOG_EVENT) {
    return { file: Buffer.from(body).toString('utf8'), position: event.header.logPos };
  }
  if (event.header.type !== HEARTBEAT_LOG_EVENT_V2) {
    throw new BinlogError('BINLOG_BAD_EVENT', `expected a heartbeat, got type ${event.header.type}`, event.offset);
  }
  const r = new ByteReader(body, 0, undefined, 'HEARTBEAT_V2');
  let file = '';
  let position = event.header.logPos;
  while (r.remaining > 0) {
    const type = r.lenencNumber();
    if (type === OTW_HB_HEADER_END_MARK) break;
    const length = r.lenencNumber();
    const value = r.bytes(length);
    if (type === OTW_HB_LOG_FILENAME_FIELD) file = Buffer.from(value).toString('utf8');
    else if (type === OTW_HB_LOG_POSITION_FIELD) position = new ByteReader(value, 0, undefined, 'HEARTBEAT_V2').lenencNumber();
  }
  return { file, position };
}
