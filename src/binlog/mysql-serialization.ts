// The `mysql::serialization` primitives used by MySQL 8.3+ binlog structures (GTID_TAGGED_LOG_EVENT,
// tags in encoded GTID sets), from `libs/mysql/serialization/readme.md`:
// - variable-length unsigned integer: 1–9 bytes, little-endian; the number of trailing 1-bits of
//   the first byte + 1 is the byte count; the value is the whole little-endian number shifted
//   right by that count. Values needing more than 56 bits use 0xFF followed by 8 raw bytes.
// - signed integers are zig-zag mapped first: x ≥ 0 → 2x, x < 0 → 2(−(x+1)) + 1.
// - strings: unsigned varint length, then the bytes.
import { BinlogError } from './binlog-error.js';

export interface Decoded<T> {
  value: T;
  /** Offset right after the decoded item. */
  next: number;
}

export function decodeVarUint(buf: Uint8Array, pos: number): Decoded<bigint> {
  if (pos >= buf.length) throw new BinlogError('BINLOG_BAD_EVENT', 'serialized integer runs past the end');
  const first = buf[pos]!;
  let len = 1;
  while (len <= 8 && (first >> (len - 1)) & 1) len++;
  if (pos + len > buf.length) throw new BinlogError('BINLOG_BAD_EVENT', 'serialized integer runs past the end');
  if (len === 9) {
    let v = 0n;
    for (let i = 8; i >= 1; i--) v = (v << 8n) | BigInt(buf[pos + i]!);
    return { value: v, next: pos + 9 };
  }
  let raw = 0n;
  for (let i = len - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(buf[pos + i]!);
  return { value: raw >> BigInt(len), next: pos + len };
}

export function decodeVarInt(buf: Uint8Array, pos: number): Decoded<bigint> {
  const { value, next } = decodeVarUint(buf, pos);
  return { value: value & 1n ? -(value >> 1n) - 1n : value >> 1n, next };
}

export function encodeVarUint(value: bigint | number): Uint8Array {
  const v = BigInt.asUintN(64, BigInt(value));
  if (v >= 1n << 56n) {
    const out = new Uint8Array(9);
    out[0] = 0xff;
    let x = v;
    for (let i = 1; i <= 8; i++) {
      out[i] = Number(x & 0xffn);
      x >>= 8n;
    }
    return out;
  }
  let len = 1;
  while (v >= 1n << BigInt(7 * len)) len++;
  let enc = (v << BigInt(len)) | ((1n << BigInt(len - 1)) - 1n);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    out[i] = Number(enc & 0xffn);
    enc >>= 8n;
  }
  return out;
}

export function encodeVarInt(value: bigint | number): Uint8Array {
  const x = BigInt(value);
  return encodeVarUint(x >= 0n ? x << 1n : ((-(x + 1n)) << 1n) | 1n);
}

export function decodeSerializedString(buf: Uint8Array, pos: number): Decoded<string> {
  const { value: len, next } = decodeVarUint(buf, pos);
  if (len > BigInt(buf.length - next)) throw new BinlogError('BINLOG_BAD_EVENT', 'serialized string runs past the end');
  const end = next + Number(len);
  return { value: Buffer.from(buf.subarray(next, end)).toString('latin1'), next: end };
}

export function encodeSerializedString(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'latin1');
  const len = encodeVarUint(bytes.length);
  const out = new Uint8Array(len.length + bytes.length);
  out.set(len, 0);
  out.set(bytes, len.length);
  return out;
}
