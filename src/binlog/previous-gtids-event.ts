// PREVIOUS_GTIDS_LOG_EVENT (35): right after the FDE of every MySQL binlog (GTID mode or not), the
// set of GTIDs executed before this file. Body = an encoded GTID set (gtid-set-mysql-binary.ts).
// Written with LOG_EVENT_IGNORABLE_F; an empty set makes a 31-byte event.
import { BinlogError } from './binlog-error.js';
import { eventBody, type BinlogEvent } from './binlog-event.js';
import { buildEvent } from './event-builder.js';
import { LOG_EVENT_IGNORABLE_F } from './event-header.js';
import { PREVIOUS_GTIDS_LOG_EVENT } from './event-type.js';
import { decodeMysqlGtidSet, encodeMysqlGtidSet } from './gtid-set-mysql-binary.js';
import type { MysqlGtidSet } from './gtid-set-mysql.js';

export function parsePreviousGtidsEvent(event: BinlogEvent): MysqlGtidSet {
  if (event.header.type !== PREVIOUS_GTIDS_LOG_EVENT) {
    throw new BinlogError('BINLOG_BAD_EVENT', `expected PREVIOUS_GTIDS, got type ${event.header.type}`, event.offset);
  }
  try {
    return decodeMysqlGtidSet(eventBody(event));
  } catch (err) {
    if (err instanceof BinlogError) throw new BinlogError(err.code, err.message, event.offset);
    throw err;
  }
}

export function buildPreviousGtidsEvent(spec: { serverId: number; set: MysqlGtidSet; checksum: boolean; timestamp?: number; logPos?: number }): Buffer {
  return buildEvent({
    type: PREVIOUS_GTIDS_LOG_EVENT, serverId: spec.serverId, body: encodeMysqlGtidSet(spec.set),
    checksum: spec.checksum, timestamp: spec.timestamp, logPos: spec.logPos, flags: LOG_EVENT_IGNORABLE_F,
  });
}
