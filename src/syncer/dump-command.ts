// COM_BINLOG_DUMP / COM_BINLOG_DUMP_GTID issued on a mysql2 connection. mysql2's own binlog
// stream throws on the first event and hides the raw bytes (notes §6), so we queue our own
// command object: mysql2 calls `execute(packet, connection)` for each packet of the reply.
// The shape of that duck-typed interface is internal to mysql2 (hence the exact version pin).
import { EventEmitter } from 'node:events';

/** COM_BINLOG_DUMP flag: MariaDB sends ANNOTATE_ROWS events only when asked. */
export const BINLOG_SEND_ANNOTATE_ROWS_EVENT = 0x02;
/** COM_BINLOG_DUMP flag: end with EOF at the end of the last file instead of waiting. */
export const BINLOG_DUMP_NON_BLOCK = 0x01;
const COM_BINLOG_DUMP = 0x12;
const COM_BINLOG_DUMP_GTID = 0x1e;

/** The internals of a mysql2 connection this command touches. */
export interface Mysql2Wire {
  sequenceId: number;
  write(buffer: Buffer): void;
  _bumpSequenceId(packets: number): void;
}

/** The part of mysql2's Packet object we read (a view into the socket chunk). */
export interface Mysql2Packet {
  buffer: Buffer;
  offset: number;
  end: number;
}

export type DumpRequest =
  | { kind: 'file'; file: string; pos: number; serverId: number; flags: number }
  | { kind: 'mysql-gtid'; file: string; pos: number; serverId: number; flags: number; gtidSet: Buffer };

export class DumpError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

/** Semi-sync packet magic (semisync.h kPacketMagicNum) and the "reply wanted" flag. */
const SEMI_SYNC_MAGIC = 0xef;
const SEMI_SYNC_NEED_ACK = 0x01;

/** Emits 'event' (each event's bytes, and whether a semi-sync source waits for an ack of it),
 *  'eof', 'error' (DumpError). The bytes are a view, not a copy: mysql2 hands each packet in the
 *  socket's own chunk or a buffer it assembled, and reuses neither (a copy here cost the leader
 *  a pass over every ingested byte). */
export class BinlogDumpCommand extends EventEmitter {
  private started = false;

  constructor(
    private readonly request: DumpRequest,
    /** The session set @rpl_semi_sync_slave: every event packet carries EF <flag> first. */
    private readonly semiSync = false,
  ) {
    super();
  }

  private payload(): Buffer {
    const r = this.request;
    const file = Buffer.from(r.file, 'latin1');
    if (r.kind === 'file') {
      const p = Buffer.alloc(11 + file.length);
      p[0] = COM_BINLOG_DUMP;
      p.writeUInt32LE(r.pos >>> 0, 1);
      p.writeUInt16LE(r.flags, 5);
      p.writeUInt32LE(r.serverId >>> 0, 7);
      file.copy(p, 11);
      return p;
    }
    const p = Buffer.alloc(1 + 2 + 4 + 4 + file.length + 8 + 4 + r.gtidSet.length);
    let o = p.writeUInt8(COM_BINLOG_DUMP_GTID, 0);
    o = p.writeUInt16LE(r.flags, o);
    o = p.writeUInt32LE(r.serverId >>> 0, o);
    o = p.writeUInt32LE(file.length, o);
    o += file.copy(p, o);
    o = p.writeBigUInt64LE(BigInt(r.pos), o);
    o = p.writeUInt32LE(r.gtidSet.length, o);
    r.gtidSet.copy(p, o);
    return p;
  }

  /** Called by mysql2: first with no packet when the command becomes active, then per packet. */
  execute(packet: Mysql2Packet | null, connection: Mysql2Wire): boolean {
    if (!this.started) {
      this.started = true;
      const payload = this.payload();
      const header = Buffer.alloc(4);
      header.writeUIntLE(payload.length, 0, 3);
      header[3] = 0;
      connection.sequenceId = 0;
      connection.write(Buffer.concat([header, payload]));
      connection._bumpSequenceId(1);
      return false;
    }
    if (!packet) return false;
    const { buffer, offset, end } = packet;
    const first = buffer[offset];
    if (first === 0x00) {
      if (this.semiSync) {
        if (buffer[offset + 1] !== SEMI_SYNC_MAGIC) {
          this.emit('error', new DumpError(0, 'semi-sync event packet without its 0xEF header'));
          return true;
        }
        const needAck = (buffer[offset + 2]! & SEMI_SYNC_NEED_ACK) !== 0;
        this.emit('event', buffer.subarray(offset + 3, end), needAck);
      } else {
        this.emit('event', buffer.subarray(offset + 1, end), false);
      }
      return false;
    }
    if (first === 0xfe && end - offset < 9) {
      this.emit('eof');
      return true;
    }
    if (first === 0xff) {
      const errno = buffer.readUInt16LE(offset + 1);
      const hasState = buffer[offset + 3] === 0x23;
      const message = buffer.toString('utf8', offset + (hasState ? 9 : 3), end);
      this.emit('error', new DumpError(errno, message));
      return true;
    }
    this.emit('error', new DumpError(0, `unexpected packet 0x${(first ?? 0).toString(16)} in the binlog stream`));
    return true;
  }
}

/** The semi-sync reply a replica sends once an event is safe: a new packet (sequence 0) of
 *  EF | binlog position u64 | file name. */
export function semiSyncAckPacket(file: string, pos: number): Buffer {
  const name = Buffer.from(file, 'latin1');
  const payload = Buffer.alloc(9 + name.length);
  payload[0] = SEMI_SYNC_MAGIC;
  payload.writeBigUInt64LE(BigInt(pos), 1);
  name.copy(payload, 9);
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  return Buffer.concat([header, payload]);
}
