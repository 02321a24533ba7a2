// Length-encoded integers and strings, NUL-terminated strings and fixed-width little-endian
// integers: the field encodings every MySQL payload is made of. Pure functions over Buffers; the
// cursor classes (payload-reader.ts, payload-writer.ts) build on them.
//
// Length-encoded integer, first byte:
//   0x00–0xfa  the value itself          0xfc  2-byte value follows
//   0xfb       NULL (in row data only)   0xfd  3-byte value follows
//   0xff       never (an ERR marker)     0xfe  8-byte value follows

import { MysqlProtocolError } from './protocol-error.js';

export const LENENC_NULL = 0xfb;
export const LENENC_2_BYTES = 0xfc;
export const LENENC_3_BYTES = 0xfd;
export const LENENC_8_BYTES = 0xfe;

const MAX_UINT64 = (1n << 64n) - 1n;

export interface Decoded<T> {
  value: T;
  /** Offset just past the decoded field. */
  offset: number;
}

function truncated(what: string, offset: number): MysqlProtocolError {
  return new MysqlProtocolError('ERR_MYSQL_MALFORMED_PACKET', `payload ends inside ${what} at offset ${offset}`);
}

function checkUnsigned(value: number | bigint): bigint {
  const big = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : -1n;
  if (big < 0n || big > MAX_UINT64) {
    throw new MysqlProtocolError('ERR_MYSQL_INVALID_ARGUMENT', `not an unsigned 64-bit integer: ${String(value)}`);
  }
  return big;
}

/** Bytes needed to length-encode `value`. */
export function lenencIntSize(value: number | bigint): number {
  const v = checkUnsigned(value);
  if (v < 251n) return 1;
  if (v < 0x10000n) return 3;
  if (v < 0x1000000n) return 4;
  return 9;
}

/** Writes `value` at `offset`; returns the offset after it. The buffer must have room. */
export function writeLenencInt(buf: Buffer, offset: number, value: number | bigint): number {
  if (typeof value === 'number' && value >= 0 && value < 251 && Number.isInteger(value)) {
    buf[offset] = value; // the common case: short strings and small counts
    return offset + 1;
  }
  const v = checkUnsigned(value);
  if (v < 251n) {
    buf[offset] = Number(v);
    return offset + 1;
  }
  if (v < 0x10000n) {
    buf[offset] = LENENC_2_BYTES;
    buf.writeUInt16LE(Number(v), offset + 1);
    return offset + 3;
  }
  if (v < 0x1000000n) {
    buf[offset] = LENENC_3_BYTES;
    buf.writeUIntLE(Number(v), offset + 1, 3);
    return offset + 4;
  }
  buf[offset] = LENENC_8_BYTES;
  buf.writeBigUInt64LE(v, offset + 1);
  return offset + 9;
}

export function encodeLenencInt(value: number | bigint): Buffer {
  const buf = Buffer.allocUnsafe(lenencIntSize(value));
  writeLenencInt(buf, 0, value);
  return buf;
}

/** Reads a length-encoded integer as a bigint (full 64-bit range); 0xfb gives null. */
export function readLenencBigInt(buf: Buffer, offset: number): Decoded<bigint | null> {
  if (offset >= buf.length) throw truncated('a length-encoded integer', offset);
  const first = buf[offset]!;
  if (first < 251) return { value: BigInt(first), offset: offset + 1 };
  if (first === LENENC_NULL) return { value: null, offset: offset + 1 };
  const size = first === LENENC_2_BYTES ? 2 : first === LENENC_3_BYTES ? 3 : first === LENENC_8_BYTES ? 8 : 0;
  if (size === 0) {
    throw new MysqlProtocolError('ERR_MYSQL_MALFORMED_PACKET', `0xff is not a length-encoded integer (offset ${offset})`);
  }
  if (offset + 1 + size > buf.length) throw truncated('a length-encoded integer', offset);
  const value = size === 8 ? buf.readBigUInt64LE(offset + 1) : BigInt(buf.readUIntLE(offset + 1, size));
  return { value, offset: offset + 1 + size };
}

/** Reads a length-encoded integer as a number; values above 2^53 − 1 are refused, not rounded. */
export function readLenencInt(buf: Buffer, offset: number): Decoded<number | null> {
  const { value, offset: next } = readLenencBigInt(buf, offset);
  if (value === null) return { value: null, offset: next };
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MysqlProtocolError('ERR_MYSQL_UNSAFE_INTEGER', `length-encoded integer ${value} exceeds 2^53 - 1`);
  }
  return { value: Number(value), offset: next };
}

/** Length-encoded string bytes; null encodes as 0xfb (NULL in a text row). */
export function encodeLenencString(value: string | Buffer | null, encoding: BufferEncoding = 'utf8'): Buffer {
  if (value === null) return Buffer.from([LENENC_NULL]);
  const bytes = typeof value === 'string' ? Buffer.from(value, encoding) : value;
  const out = Buffer.allocUnsafe(lenencIntSize(bytes.length) + bytes.length);
  bytes.copy(out, writeLenencInt(out, 0, bytes.length));
  return out;
}

/** Reads a length-encoded string as bytes (a view into `buf`, not a copy); 0xfb gives null. */
export function readLenencBytes(buf: Buffer, offset: number): Decoded<Buffer | null> {
  const { value: length, offset: start } = readLenencInt(buf, offset);
  if (length === null) return { value: null, offset: start };
  if (start + length > buf.length) throw truncated('a length-encoded string', offset);
  return { value: buf.subarray(start, start + length), offset: start + length };
}

/** Reads bytes up to the next NUL; the NUL is consumed. A missing NUL is an error. */
export function readNulTerminatedBytes(buf: Buffer, offset: number): Decoded<Buffer> {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw truncated('a NUL-terminated string', offset);
  return { value: buf.subarray(offset, end), offset: end + 1 };
}

export function encodeNulTerminatedString(value: string | Buffer, encoding: BufferEncoding = 'utf8'): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, encoding) : value;
  if (bytes.includes(0)) {
    throw new MysqlProtocolError('ERR_MYSQL_INVALID_ARGUMENT', 'a NUL-terminated string cannot contain NUL');
  }
  const out = Buffer.allocUnsafe(bytes.length + 1);
  bytes.copy(out, 0);
  out[bytes.length] = 0;
  return out;
}

/** Fixed-width little-endian unsigned integer of 1–8 bytes (int<n> in the protocol docs). */
export function readFixedInt(buf: Buffer, offset: number, size: number): number {
  if (offset + size > buf.length) throw truncated(`an int<${size}>`, offset);
  if (size <= 6) return buf.readUIntLE(offset, size);
  const value = size === 8 ? buf.readBigUInt64LE(offset) : BigInt(buf.readUIntLE(offset, 6)) | (BigInt(buf[offset + 6]!) << 48n);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MysqlProtocolError('ERR_MYSQL_UNSAFE_INTEGER', `int<${size}> ${value} exceeds 2^53 - 1`);
  }
  return Number(value);
}

export function writeFixedInt(buf: Buffer, offset: number, size: number, value: number | bigint): number {
  const v = checkUnsigned(value);
  if (v >= 1n << BigInt(size * 8)) {
    throw new MysqlProtocolError('ERR_MYSQL_INVALID_ARGUMENT', `${String(value)} does not fit in int<${size}>`);
  }
  if (size <= 6) buf.writeUIntLE(Number(v), offset, size);
  else {
    for (let i = 0; i < size; i++) buf[offset + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  }
  return offset + size;
}
