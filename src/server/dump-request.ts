// The replication commands a replica sends, decoded from their payloads (command byte included,
// so offsets match the protocol documentation). All integers little-endian.
//   COM_REGISTER_SLAVE (0x15): server_id u32 | host, user, password (1-byte length + bytes) |
//     port u16 | rpl_recovery_rank u32 | master_id u32
//   COM_BINLOG_DUMP (0x12): pos u32 | flags u16 | server_id u32 | file name (rest of the packet)
//   COM_BINLOG_DUMP_GTID (0x1e): flags u16 | server_id u32 | name_len u32 | name | pos u64 |
//     data_size u32 | encoded GTID set
import { decodeMysqlGtidSet } from '../binlog/gtid-set-mysql-binary.js';
import { MysqlGtidSet } from '../binlog/gtid-set-mysql.js';
import { BINLOG_ERROR_TEXT, ER_MASTER_FATAL_ERROR_READING_BINLOG, ER_UNKNOWN_ERROR } from '../mysql/error-codes.js';

/** BINLOG_DUMP_NON_BLOCK: at the end of the last binlog send EOF instead of waiting. */
export const BINLOG_DUMP_NON_BLOCK = 0x01;
/** MariaDB BINLOG_SEND_ANNOTATE_ROWS_EVENT: the client wants ANNOTATE_ROWS events. */
export const BINLOG_SEND_ANNOTATE_ROWS_EVENT = 0x02;
/** MySQL 8.0.28+: heartbeats as HEARTBEAT_LOG_EVENT_V2 (the same bit, read by flavor). */
export const USE_HEARTBEAT_EVENT_V2 = 0x02;

/** FN_REFLEN: no binlog file name is longer, on either server. */
export const MAX_DUMP_FILE_NAME_BYTES = 512;

export class DumpRequestError extends Error {
  readonly code = 'SERVER_BAD_DUMP_REQUEST';
  constructor(
    message: string,
    /** The error the client is sent (with this message). */
    readonly errno: number = ER_UNKNOWN_ERROR,
  ) {
    super(message);
  }
}

/** The file name of a dump request: trailing NULs (some clients end the name with one) dropped
 *  by a loop, not a /\0+$/ that costs quadratic time on a run of NULs; a name longer than any
 *  binlog file's is refused as a name not in the index, as MySQL refuses it. */
function dumpFileName(bytes: Buffer): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  if (end > MAX_DUMP_FILE_NAME_BYTES) throw new DumpRequestError(BINLOG_ERROR_TEXT.FIRST_LOG_NOT_FOUND, ER_MASTER_FATAL_ERROR_READING_BINLOG);
  return bytes.toString('utf8', 0, end);
}

export interface RegisterSlaveRequest {
  serverId: number;
  host: string;
  user: string;
  port: number;
  rplRecoveryRank: number;
  masterId: number;
}

export interface BinlogDumpRequest {
  command: 'binlog-dump';
  position: number;
  flags: number;
  serverId: number;
  /** Empty: the first binlog (file/pos mode), or ignored (MariaDB GTID mode). */
  file: string;
}

export interface BinlogDumpGtidRequest {
  command: 'binlog-dump-gtid';
  flags: number;
  serverId: number;
  file: string;
  position: number;
  /** The GTIDs the replica has: transactions in this set are not sent. */
  gtids: MysqlGtidSet;
}

export type DumpRequest = BinlogDumpRequest | BinlogDumpGtidRequest;

class Reader {
  pos = 1; // after the command byte
  constructor(
    readonly buf: Buffer,
    readonly what: string,
  ) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DumpRequestError(`${this.what} is truncated at byte ${this.pos}`);
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DumpRequestError(`${this.what}: position ${v} out of range`);
    return Number(v);
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  shortString(): string {
    this.need(1);
    const n = this.buf[this.pos++]!;
    return this.bytes(n).toString('utf8');
  }

  rest(): Buffer {
    const v = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return v;
  }
}

export function parseRegisterSlave(payload: Buffer): RegisterSlaveRequest {
  const r = new Reader(payload, 'COM_REGISTER_SLAVE');
  const serverId = r.u32();
  const host = r.shortString();
  const user = r.shortString();
  r.shortString(); // report_password: read past, never kept
  // Older clients stop after the port; the rest defaults to 0.
  const port = r.u16();
  const rplRecoveryRank = r.pos + 4 <= payload.length ? r.u32() : 0;
  const masterId = r.pos + 4 <= payload.length ? r.u32() : 0;
  return { serverId, host, user, port, rplRecoveryRank, masterId };
}

export function parseBinlogDump(payload: Buffer): BinlogDumpRequest {
  const r = new Reader(payload, 'COM_BINLOG_DUMP');
  const position = r.u32();
  const flags = r.u16();
  const serverId = r.u32();
  // The server reads the name up to the end of the packet.
  const file = dumpFileName(r.rest());
  return { command: 'binlog-dump', position, flags, serverId, file };
}

export function parseBinlogDumpGtid(payload: Buffer): BinlogDumpGtidRequest {
  const r = new Reader(payload, 'COM_BINLOG_DUMP_GTID');
  const flags = r.u16();
  const serverId = r.u32();
  const nameLength = r.u32();
  const file = dumpFileName(r.bytes(nameLength));
  const position = r.u64();
  const dataSize = r.u32();
  const data = r.bytes(dataSize);
  let gtids: MysqlGtidSet;
  try {
    gtids = dataSize === 0 ? MysqlGtidSet.empty() : decodeMysqlGtidSet(data);
  } catch (err) {
    throw new DumpRequestError(`COM_BINLOG_DUMP_GTID: ${(err as Error).message}`);
  }
  return { command: 'binlog-dump-gtid', flags, serverId, file, position, gtids };
}
