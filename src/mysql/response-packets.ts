// The generic server responses: OK (0x00, or 0xfe when it ends a result set under
// CLIENT_DEPRECATE_EOF), ERR (0xff) and the classic EOF (0xfe, five bytes). Encoders for the
// server side, decoders for tests and for our own client code.

import { PayloadReader } from './payload-reader.js';
import { PayloadWriter } from './payload-writer.js';
import { DEFAULT_SERVER_STATUS } from './server-status.js';
import { MysqlProtocolError } from './protocol-error.js';

export const OK_HEADER = 0x00;
export const EOF_HEADER = 0xfe;
export const ERR_HEADER = 0xff;
/** AuthMoreData: extra authentication bytes from the server (caching_sha2 status, RSA key). */
export const AUTH_MORE_DATA_HEADER = 0x01;

export interface OkPacket {
  affectedRows: number | bigint;
  lastInsertId: number | bigint;
  statusFlags: number;
  warnings: number;
  /** Human-readable info ("Rows matched: …"); empty for most statements. */
  info: string;
}

export interface OkOptions extends Partial<OkPacket> {
  /** 0xfe: the OK that replaces the final EOF of a result set under CLIENT_DEPRECATE_EOF. */
  header?: typeof OK_HEADER | typeof EOF_HEADER;
}

/** OK_Packet, CLIENT_PROTOCOL_41 layout without session tracking (we never advertise it). */
export function encodeOk(options: OkOptions = {}): Buffer {
  const w = new PayloadWriter(16)
    .uint8(options.header ?? OK_HEADER)
    .lenencInt(options.affectedRows ?? 0)
    .lenencInt(options.lastInsertId ?? 0)
    .uint16(options.statusFlags ?? DEFAULT_SERVER_STATUS)
    .uint16(options.warnings ?? 0);
  if (options.info) w.string(options.info);
  return w.finish();
}

export interface ErrPacket {
  code: number;
  /** Five characters, or null when the packet carried none (pre-4.1 peers, pre-handshake). */
  sqlState: string | null;
  message: string;
}

/**
 * ERR_Packet. `protocol41` adds the '#' + SQLSTATE marker; leave it off only before the client
 * has said it speaks 4.1 (an error sent instead of the greeting).
 */
export function encodeErr(code: number, sqlState: string, message: string, protocol41 = true): Buffer {
  if (protocol41 && !/^[0-9A-Z]{5}$/.test(sqlState)) {
    throw new MysqlProtocolError('ERR_MYSQL_INVALID_ARGUMENT', `SQLSTATE must be five characters: '${sqlState}'`);
  }
  const w = new PayloadWriter(16 + message.length).uint8(ERR_HEADER).uint16(code);
  if (protocol41) w.string(`#${sqlState}`, 'latin1');
  return w.string(message).finish();
}

/** Classic EOF_Packet (4.1): warnings and status flags. */
export function encodeEof(warnings = 0, statusFlags: number = DEFAULT_SERVER_STATUS): Buffer {
  return new PayloadWriter(5).uint8(EOF_HEADER).uint16(warnings).uint16(statusFlags).finish();
}

/** What ends a run of data: the classic EOF, or, for a client with CLIENT_DEPRECATE_EOF, the OK
 *  packet with the EOF header that replaces it. */
export function encodeEndOfData(deprecateEof: boolean, warnings = 0, statusFlags: number = DEFAULT_SERVER_STATUS): Buffer {
  return deprecateEof ? encodeOk({ header: EOF_HEADER, statusFlags, warnings }) : encodeEof(warnings, statusFlags);
}

export function encodeAuthMoreData(data: Buffer): Buffer {
  return new PayloadWriter(1 + data.length).uint8(AUTH_MORE_DATA_HEADER).bytes(data).finish();
}

export function isOkPacket(payload: Buffer): boolean {
  return payload[0] === OK_HEADER && payload.length >= 7;
}

export function isErrPacket(payload: Buffer): boolean {
  return payload[0] === ERR_HEADER;
}

/** A classic EOF is 0xfe with fewer than 9 bytes; a row cannot start that way. */
export function isEofPacket(payload: Buffer): boolean {
  return payload[0] === EOF_HEADER && payload.length < 9;
}

export function decodeOk(payload: Buffer): OkPacket {
  const r = new PayloadReader(payload);
  const header = r.uint8();
  if (header !== OK_HEADER && header !== EOF_HEADER) {
    throw new MysqlProtocolError('ERR_MYSQL_MALFORMED_PACKET', `not an OK packet (header 0x${header.toString(16)})`);
  }
  const affected = r.lenencBigInt() ?? 0n;
  const insertId = r.lenencBigInt() ?? 0n;
  const toNumber = (v: bigint): number | bigint => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  return {
    affectedRows: toNumber(affected),
    lastInsertId: toNumber(insertId),
    statusFlags: r.uint16(),
    warnings: r.uint16(),
    info: r.rest().toString('utf8'),
  };
}

export function decodeErr(payload: Buffer): ErrPacket {
  const r = new PayloadReader(payload);
  if (r.uint8() !== ERR_HEADER) throw new MysqlProtocolError('ERR_MYSQL_MALFORMED_PACKET', 'not an ERR packet');
  const code = r.uint16();
  let sqlState: string | null = null;
  if (r.peekUint8() === 0x23 /* '#' */ && r.remaining >= 6) {
    r.skip(1);
    sqlState = r.bytes(5).toString('latin1');
  }
  return { code, sqlState, message: r.rest().toString('utf8') };
}

export interface EofPacket {
  warnings: number;
  statusFlags: number;
}

export function decodeEof(payload: Buffer): EofPacket {
  if (!isEofPacket(payload)) throw new MysqlProtocolError('ERR_MYSQL_MALFORMED_PACKET', 'not an EOF packet');
  if (payload.length < 5) return { warnings: 0, statusFlags: 0 }; // pre-4.1 EOF is the header alone
  return { warnings: payload.readUInt16LE(1), statusFlags: payload.readUInt16LE(3) };
}
