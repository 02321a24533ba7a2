// Bounds-checked byte cursors for the raft codec. All integers are big-endian. A u64 is written
// as two u32 halves and read back only when it is a safe JS integer (< 2^53): raft indexes, terms
// and node ids never come near that, so a larger value can only be corruption.
//
// The writer is sized up front (callers compute the exact length first), so encoding a 10 MiB
// append copies its payload once and never reallocates.
import { CodecError } from './codec-error.js';

const TWO_POW_32 = 0x1_0000_0000;
/** 2^53 / 2^32: the high half of a safe integer is below this. */
const SAFE_HIGH_LIMIT = 0x20_0000;

export class ByteWriter {
  readonly buffer: Buffer;
  private pos = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  get offset(): number {
    return this.pos;
  }

  u8(v: number): void {
    this.buffer[this.pos++] = v;
  }

  u16(v: number): void {
    this.buffer.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.buffer.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  /** A non-negative safe integer as 8 bytes. */
  u64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new CodecError('ERR_RAFT_CODEC_INVALID_ARGUMENT', `cannot encode ${v} as u64`);
    }
    this.buffer.writeUInt32BE(Math.floor(v / TWO_POW_32), this.pos);
    this.buffer.writeUInt32BE(v % TWO_POW_32, this.pos + 4);
    this.pos += 8;
  }

  /** Length-prefixed (u32) bytes. */
  bytes(v: Uint8Array): void {
    this.u32(v.length);
    this.raw(v);
  }

  raw(v: Uint8Array): void {
    this.buffer.set(v, this.pos);
    this.pos += v.length;
  }

  /** Returns the buffer; asserts the size computed up front was exact. */
  finish(): Buffer {
    if (this.pos !== this.buffer.length) {
      throw new Error(`codec size mismatch: wrote ${this.pos} of ${this.buffer.length} bytes`);
    }
    return this.buffer;
  }
}

export class ByteReader {
  private readonly view: DataView;
  private pos: number;
  private readonly end: number;

  /** Reads `input[start, end)`. Byte fields returned by `bytes()` alias `input` (no copy). */
  constructor(private readonly input: Uint8Array, start = 0, end = input.length) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      throw new CodecError('ERR_RAFT_CODEC_TRUNCATED', `input ends inside ${what} (need ${n} bytes, have ${this.end - this.pos})`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.input[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(what: string): number {
    this.need(8, what);
    const hi = this.view.getUint32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    this.pos += 8;
    if (hi >= SAFE_HIGH_LIMIT) {
      throw new CodecError('ERR_RAFT_CODEC_CORRUPT', `${what} is not a safe integer`);
    }
    const v = hi * TWO_POW_32 + lo;
    if (!Number.isSafeInteger(v)) throw new CodecError('ERR_RAFT_CODEC_CORRUPT', `${what} is not a safe integer`);
    return v;
  }

  /** u32 length then that many bytes; the result aliases the input. */
  bytes(what: string): Uint8Array {
    const len = this.u32(`${what} length`);
    return this.raw(len, what);
  }

  raw(len: number, what: string): Uint8Array {
    this.need(len, what);
    const v = this.input.subarray(this.pos, this.pos + len);
    this.pos += len;
    return v;
  }

  /** A u32 element count, checked against the bytes left so corrupt input cannot make us
   *  allocate a huge array: each element takes at least `minElementBytes`. */
  count(what: string, minElementBytes: number): number {
    const n = this.u32(`${what} count`);
    if (n * minElementBytes > this.remaining) {
      throw new CodecError('ERR_RAFT_CODEC_CORRUPT', `${what} count ${n} exceeds the input`);
    }
    return n;
  }

  /** Asserts every byte was consumed. */
  done(what: string): void {
    if (this.pos !== this.end) {
      throw new CodecError('ERR_RAFT_CODEC_CORRUPT', `${this.end - this.pos} trailing bytes after ${what}`);
    }
  }
}
