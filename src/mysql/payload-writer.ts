// Builds one payload field by field into a growing buffer (doubling, so appends are amortised
// O(1)). `finish()` returns a view of exactly the bytes written.

import { encodeNulTerminatedString, lenencIntSize, writeFixedInt, writeLenencInt } from './lenenc.js';

export class PayloadWriter {
  #buf: Buffer;
  #length = 0;

  constructor(initialCapacity = 64) {
    this.#buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.#length;
  }

  uint8(value: number): this {
    return this.fixed(1, value);
  }

  uint16(value: number): this {
    return this.fixed(2, value);
  }

  uint24(value: number): this {
    return this.fixed(3, value);
  }

  uint32(value: number): this {
    return this.fixed(4, value);
  }

  uint64(value: number | bigint): this {
    return this.fixed(8, value);
  }

  fixed(size: number, value: number | bigint): this {
    this.#reserve(size);
    this.#length = writeFixedInt(this.#buf, this.#length, size, value);
    return this;
  }

  lenencInt(value: number | bigint): this {
    this.#reserve(lenencIntSize(value));
    this.#length = writeLenencInt(this.#buf, this.#length, value);
    return this;
  }

  /** A length-encoded string; null writes the 0xfb NULL marker used in text rows. */
  lenencString(value: string | Buffer | null, encoding: BufferEncoding = 'utf8'): this {
    if (value === null) return this.uint8(0xfb);
    const bytes = typeof value === 'string' ? Buffer.from(value, encoding) : value;
    return this.lenencInt(bytes.length).bytes(bytes);
  }

  nulString(value: string | Buffer, encoding: BufferEncoding = 'utf8'): this {
    return this.bytes(encodeNulTerminatedString(value, encoding));
  }

  bytes(value: Buffer | Uint8Array): this {
    this.#reserve(value.length);
    this.#buf.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  /** string<EOF>: raw text running to the end of the payload. */
  string(value: string, encoding: BufferEncoding = 'utf8'): this {
    return this.bytes(Buffer.from(value, encoding));
  }

  zeros(count: number): this {
    this.#reserve(count);
    this.#buf.fill(0, this.#length, this.#length + count);
    this.#length += count;
    return this;
  }

  finish(): Buffer {
    return this.#buf.subarray(0, this.#length);
  }

  #reserve(extra: number): void {
    const need = this.#length + extra;
    if (need <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#length);
    this.#buf = next;
  }
}
