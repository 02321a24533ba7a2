// MariaDB BINLOG_CHECKPOINT_EVENT (161): names the oldest binlog file still needed for crash
// recovery. Body: name length u32 | file name.
import { BinlogError } from './binlog-error.js';
import { eventBody, type BinlogEvent } from './binlog-event.js';
import { ByteReader } from './byte-reader.js';
import { BINLOG_CHECKPOINT_EVENT } from './event-type.js';

export function parseBinlogCheckpointEvent(event: BinlogEvent): { file: string } {
  if (event.header.type !== BINLOG_CHECKPOINT_EVENT) {
    throw new BinlogError('BINLOG_BAD_EVENT', `expected MARIADB_BINLOG_CHECKPOINT, got type ${event.header.type}`, event.offset);
  }
  const r = new ByteReader(eventBody(event), 0, undefined, 'MARIADB_BINLOG_CHECKPOINT');
  try {
    const len = r.u32();
    return { file: Buffer.from(r.bytes(len)).toString('utf8') };
  } catch (err) {
    if (err instanceof BinlogError && err.offset === undefined) throw new BinlogError(err.code, err.message, event.offset);
    throw err;
  }
}
