// A cursor over one payload: reads the protocol's field types in order and throws a typed
// ERR_MYSQL_MALFORMED_PACKET instead of reading past the end.

import {
  readFixedInt,
  readLenencBigInt,
  readLenencBytes,
  readLenencInt,
  readNulTerminatedBytes,
} from './lenenc.js';
import { MysqlProtocolError } from './protocol-error.js';

export class PayloadReader {
  readonly buffer: Buffer;
  offset: number;

  constructor(buffer: Buffer, offset = 0) {
    this.buffer = buffer;
    this.offset = offset;
  }

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  atEnd(): boolean {
    return this.offset >= this.buffer.length;
  }

  peekUint8(): number | undefined {
    return this.buffer[this.offset];
  }

  uint8(): number {
    return this.fixed(1);
  }

  uint16(): number {
    return this.fixed(2);
  }

  uint24(): number {
    return this.fixed(3);
  }

  uint32(): number {
    return this.fixed(4);
  }

  /** int<8> as a bigint (binlog positions and GTID sequence numbers use the full range). */
  uint64(): bigint {
    if (this.remaining < 8) this.fail('an int<8>');
    const v = this.buffer.readBigUInt64LE(this.offset);
    this.offset += 8;
    return v;
  }

  fixed(size: number): number {
    const v = readFixedInt(this.buffer, this.offset, size);
    this.offset += size;
    return v;
  }

  lenencInt(): number | null {
    const { value, offset } = readLenencInt(this.buffer, this.offset);
    this.offset = offset;
    return value;
  }

  lenencBigInt(): bigint | null {
    const { value, offset } = readLenencBigInt(this.buffer, this.offset);
    this.offset = offset;
    return value;
  }

  lenencBytes(): Buffer | null {
    const { value, offset } = readLenencBytes(this.buffer, this.offset);
    this.offset = offset;
    return value;
  }

  lenencString(encoding: BufferEncoding = 'utf8'): string | null {
    const bytes = this.lenencBytes();
    return bytes === null ? null : bytes.toString(encoding);
  }

  nulBytes(): Buffer {
    const { value, offset } = readNulTerminatedBytes(this.buffer, this.offset);
    this.offset = offset;
    return value;
  }

  nulString(encoding: BufferEncoding = 'utf8'): string {
    return this.nulBytes().toString(encoding);
  }

  /** A NUL-terminated string that some clients end with the payload instead of a NUL. */
  nulStringOrRest(encoding: BufferEncoding = 'utf8'): string {
    const end = this.buffer.indexOf(0, this.offset);
    const stop = end < 0 ? this.buffer.length : end;
    const s = this.buffer.toString(encoding, this.offset, stop);
    this.offset = end < 0 ? stop : end + 1;
    return s;
  }

  /** The next `length` bytes, as a view into the payload. */
  bytes(length: number): Buffer {
    if (length < 0 || this.remaining < length) this.fail(`${length} bytes`);
    const v = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return v;
  }

  skip(length: number): void {
    this.bytes(length);
  }

  /** Everything left (string<EOF>), as a view. */
  rest(): Buffer {
    const v = this.buffer.subarray(this.offset);
    this.offset = this.buffer.length;
    return v;
  }

  private fail(what: string): never {
    throw new MysqlProtocolError('ERR_MYSQL_MALFORMED_PACKET', `payload ends inside ${what} at offset ${this.offset}`);
  }
}
