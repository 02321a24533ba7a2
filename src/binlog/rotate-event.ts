// ROTATE_EVENT (4): "continue in file F at position P". Body: position u64 | file name (no NUL).
// Real rotates end a file; a server's dump also starts every file with a fake one (timestamp 0,
// LOG_EVENT_ARTIFICIAL_F, log_pos 0) naming the file and the position it streams from.
import { BinlogError } from './binlog-error.js';
import { eventBody, type BinlogEvent } from './binlog-event.js';
import { ByteReader } from './byte-reader.js';
import { buildEvent } from './event-builder.js';
import { LOG_EVENT_ARTIFICIAL_F } from './event-header.js';
import { ROTATE_EVENT } from './event-type.js';

export interface RotateEvent {
  /** Position in the next file to continue from (4 for its first event). */
  position: number;
  nextFile: string;
  /** Made up by a dump (LOG_EVENT_ARTIFICIAL_F); such rotates are never stored. */
  artificial: boolean;
}

export function parseRotateEvent(event: BinlogEvent): RotateEvent {
  if (event.header.type !== ROTATE_EVENT) throw new BinlogError('BINLOG_BAD_EVENT', `expected ROTATE, got type ${event.header.type}`, event.offset);
  const r = new ByteReader(eventBody(event), 0, undefined, 'ROTATE');
  const position = r.u64();
  if (position > BigInt(Number.MAX_SAFE_INTEGER)) throw new BinlogError('BINLOG_BAD_EVENT', `ROTATE position ${position} out of range`, event.offset);
  return {
    position: Number(position),
    nextFile: Buffer.from(r.rest()).toString('utf8'),
    artificial: (event.header.flags & LOG_EVENT_ARTIFICIAL_F) !== 0 || event.header.logPos === 0,
  };
}

export interface RotateBuild {
  serverId: number;
  nextFile: string;
  position: number;
  checksum: boolean;
}

/** A fake ROTATE as a server sends it at the start of a dumped file: ts 0, flags 0x20, log_pos 0. */
export function buildFakeRotate(spec: RotateBuild): Buffer {
  const name = Buffer.from(spec.nextFile, 'utf8');
  const body = Buffer.alloc(8 + name.length);
  body.writeBigUInt64LE(BigInt(spec.position), 0);
  name.copy(body, 8);
  return buildEvent({
    type: ROTATE_EVENT, serverId: spec.serverId, body, checksum: spec.checksum,
    timestamp: 0, logPos: 0, flags: LOG_EVENT_ARTIFICIAL_F,
  });
}
