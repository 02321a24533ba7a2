// XID_EVENT (16): the commit of a transactional (InnoDB) transaction. Body: xid u64.
import { BinlogError } from './binlog-error.js';
import { eventBody, type BinlogEvent } from './binlog-event.js';
import { ByteReader } from './byte-reader.js';
import { XID_EVENT } from './event-type.js';

export function parseXidEvent(event: BinlogEvent): { xid: bigint } {
  if (event.header.type !== XID_EVENT) throw new BinlogError('BINLOG_BAD_EVENT', `expected XID, got type ${event.header.type}`, event.offset);
  return { xid: new ByteReader(eventBody(event), 0, undefined, 'XID').u64() };
}
