// The wire format of a snapshot file transfer (GET /internal/binlog/files/:name?from&to): the body
// is a sequence of frames
//
//   length u32be · crc32 u32be · bytes[length]
//
// Data frames carry the range's bytes in order, each exactly `MAX_FRAME_BYTES` long except the
// last, so the body's length is known before the first byte (framedLength). The body ends with one
// frame of length 0 whose crc field is the end digest: the CRC32 of the data frames' crc fields
// (4 bytes each, big-endian, in order). A client that reads a matching end frame knows the server
// ended the range on purpose and that it got every frame, once and in order, without hashing the
// bytes twice. A response that stops anywhere else was cut, and the client resumes from its last
// verified frame.
//
// CRC32 is zlib's (ISO-HDLC, the one binlog events use).
import { crc32 } from 'node:zlib';
import { TransferAttemptError } from './snapshot-transfer-error.js';

export { crc32 };

/** Largest data frame: bounds what either side holds per transfer, and how long one CRC takes. */
export const MAX_FRAME_BYTES = 1024 * 1024;
export const FRAME_HEADER_BYTES = 8;

export function encodeFrameHeader(length: number, crc: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(length, 0);
  header.writeUInt32BE(crc >>> 0, 4);
  return header;
}

/** Body length of a response carrying `rangeBytes` bytes: the data frames plus the end frame. */
export function framedLength(rangeBytes: number, frameBytes = MAX_FRAME_BYTES): number {
  return rangeBytes + FRAME_HEADER_BYTES * (Math.ceil(rangeBytes / frameBytes) + 1);
}

export type DecodedFrame =
  | { kind: 'data'; bytes: Buffer; crc: number }
  /** The end frame: `crc` is the end digest of the response's data frames. */
  | { kind: 'end'; crc: number };

/** Folds one data frame's crc into the end digest (start from 0). */
export function foldEndDigest(digest: number, frameCrc: number): number {
  const field = Buffer.allocUnsafe(4);
  field.writeUInt32BE(frameCrc >>> 0, 0);
  return crc32(field, digest);
}

/**
 * Cuts a response body, pushed chunk by chunk, into verified frames. Drained after each push, it
 * holds at most one frame plus the chunk that completes it.
 *
 * With `recycleBuffers`, frames spread over several chunks are assembled into two buffers used in
 * turn instead of a new one each: a data frame's bytes then stay valid only until the frame after
 * next is decoded. A client writing one frame while receiving the next allocates nothing per frame.
 */
export class TransferFrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;
  readonly #maxFrameBytes: number;
  /** The two assembly buffers of `recycleBuffers` (allocated on first use), and whose turn it is. */
  readonly #assembly: Array<Buffer | null> | null;
  #turn = 0;

  constructor(options: { maxFrameBytes?: number; recycleBuffers?: boolean } = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#assembly = options.recycleBuffers ? [null, null] : null;
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next whole frame, or null until more bytes arrive. Throws on a bad length or CRC. */
  next(): DecodedFrame | null {
    if (this.#buffered < FRAME_HEADER_BYTES) return null;
    const header = this.#peek(FRAME_HEADER_BYTES);
    const length = header.readUInt32BE(0);
    const crc = header.readUInt32BE(4);
    if (length > this.#maxFrameBytes) {
      throw new TransferAttemptError('BAD_FRAME', `frame of ${length} bytes exceeds the ${this.#maxFrameBytes}-byte limit`);
    }
    if (this.#buffered < FRAME_HEADER_BYTES + length) return null;
    this.#take(FRAME_HEADER_BYTES);
    if (length === 0) return { kind: 'end', crc };
    const bytes = this.#take(length);
    if (crc32(bytes) !== crc) throw new TransferAttemptError('BAD_CRC', `frame of ${length} bytes fails its CRC32`);
    return { kind: 'data', bytes, crc };
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.#chunks, n);
  }

  /** Removes and returns the next `n` buffered bytes (a view when one chunk holds them all). */
  #take(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.#chunks.shift();
      return first;
    }
    const out = n > FRAME_HEADER_BYTES ? this.#assemblyBuffer(n) : Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0];
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(used);
    }
    return out;
  }

  #assemblyBuffer(n: number): Buffer {
    if (!this.#assembly) return Buffer.allocUnsafe(n);
    this.#turn ^= 1;
    const buffer = this.#assembly[this.#turn] ?? Buffer.allocUnsafe(this.#maxFrameBytes);
    this.#assembly[this.#turn] = buffer;
    return buffer.subarray(0, n);
  }
}

/** A byte range both sides accept: 0 ≤ from ≤ to, safe integers. */
export function isByteRange(from: number, to: number): boolean {
  return Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && from <= to;
}
