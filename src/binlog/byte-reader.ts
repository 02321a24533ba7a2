// A bounds-checked little-endian cursor over an event body. Running past the end is a
// BINLOG_BAD_EVENT (a body shorter than its layout), never an out-of-range read of garbage.
import { BinlogError } from './binlog-error.js';

export class ByteReader {
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
    /** What is being decoded, for error messages. */
    private readonly what = 'event',
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    if (n < 0 || this.pos + n > this.end) {
      throw new BinlogError('BINLOG_BAD_EVENT', `${this.what} body too short: need ${n} bytes at ${this.pos}, have ${this.end - this.pos}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  skip(n: number): void {
    this.need(n);
  }

  u8(): number {
    return this.buf[this.need(1)]!;
  }

  u16(): number {
    const o = this.need(2);
    return this.buf[o]! | (this.buf[o + 1]! << 8);
  }

  u32(): number {
    const o = this.need(4);
    return (this.buf[o]! | (this.buf[o + 1]! << 8) | (this.buf[o + 2]! << 16)) + this.buf[o + 3]! * 0x1000000;
  }

  /** Unsigned little-endian integer of 1–7 bytes as a number (exact up to 2^53). */
  uintN(n: number): number {
    const o = this.need(n);
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + this.buf[o + i]!;
    return v;
  }

  /** Unsigned little-endian integer of 1–8 bytes as a bigint. */
  uintNBig(n: number): bigint {
    const o = this.need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.buf[o + i]!);
    return v;
  }

  u64(): bigint {
    const o = this.need(8);
    return readU64(this.buf, o);
  }

  i64(): bigint {
    return BigInt.asIntN(64, this.u64());
  }

  /** A view of the next `n` bytes (no copy). */
  bytes(n: number): Uint8Array {
    const o = this.need(n);
    return this.buf.subarray(o, o + n);
  }

  /** A view of everything left (no copy). */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** A length-encoded integer (`net_field_length_ll`): < 251 one byte, 0xfc +2, 0xfd +3, 0xfe +8. */
  lenenc(): bigint {
    const first = this.u8();
    if (first < 0xfb) return BigInt(first);
    if (first === 0xfc) return BigInt(this.uintN(2));
    if (first === 0xfd) return BigInt(this.uintN(3));
    if (first === 0xfe) return this.u64();
    throw new BinlogError('BINLOG_BAD_EVENT', `${this.what}: invalid length-encoded integer prefix 0x${first.toString(16)}`);
  }

  /** A length-encoded integer that must fit a JS number (lengths, sizes). */
  lenencNumber(): number {
    const v = this.lenenc();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new BinlogError('BINLOG_BAD_EVENT', `${this.what}: length-encoded integer ${v} out of range`);
    }
    return Number(v);
  }
}

export function readU64(buf: Uint8Array, o: number): bigint {
  const lo = (buf[o]! | (buf[o + 1]! << 8) | (buf[o + 2]! << 16)) + buf[o + 3]! * 0x1000000;
  const hi = (buf[o + 4]! | (buf[o + 5]! << 8) | (buf[o + 6]! << 16)) + buf[o + 7]! * 0x1000000;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function writeU64(buf: Uint8Array, o: number, v: bigint): void {
  let x = BigInt.asUintN(64, v);
  for (let i = 0; i < 8; i++) {
    buf[o + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

/** Writes the low `n` bytes of `v`, little-endian. */
export function writeUintNBig(buf: Uint8Array, o: number, v: bigint, n: number): void {
  let x = BigInt.asUintN(64, v);
  for (let i = 0; i < n; i++) {
    buf[o + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

export function writeU32(buf: Uint8Array, o: number, v: number): void {
  buf[o] = v & 0xff;
  buf[o + 1] = (v >>> 8) & 0xff;
  buf[o + 2] = (v >>> 16) & 0xff;
  buf[o + 3] = (v >>> 24) & 0xff;
}

/** Encodes a length-encoded integer (the form used by MySQL's net_store_length). */
export function encodeLenenc(value: bigint | number): Uint8Array {
  const v = BigInt(value);
  if (v < 0n) throw new RangeError('length-encoded integers are unsigned');
  if (v < 251n) return Uint8Array.of(Number(v));
  if (v < 0x10000n) return Uint8Array.of(0xfc, Number(v & 0xffn), Number(v >> 8n));
  if (v < 0x1000000n) return Uint8Array.of(0xfd, Number(v & 0xffn), Number((v >> 8n) & 0xffn), Number(v >> 16n));
  const out = new Uint8Array(9);
  out[0] = 0xfe;
  writeU64(out, 1, v);
  return out;
}
