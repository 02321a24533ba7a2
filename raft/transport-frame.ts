// Framing of the raft peer protocol (see raft/README.md, "Transport").
//
//   frame = length u32 · crc32 u32 · body            length = bytes of body
//   body  = kind u8 · payload
//
// The CRC32 covers the body; a mismatch, an unknown kind or a length over the limit is a
// protocol violation and the connection is dropped. The decoder copies each body into its own
// buffer, so decoded messages never pin the socket's read chunks. A receiver may leave a message
// frame's CRC to `checkMessageCrc`, after decoding, so that each entry's data is hashed once.
import { crc32 } from 'node:zlib';
import { crc32Then } from './data-crc.js';

export const FrameKind = {
  /** server → client at accept: protocol version, 32-byte nonce */
  challenge: 1,
  /** client → server: version, lane, from, to, cluster id, HMAC over the nonce */
  hello: 2,
  /** server → client: the hello was accepted; messages may flow */
  welcome: 3,
  /** server → client: the hello was refused (reason code, text); the server then closes */
  refuse: 4,
  /** client → server: one codec-encoded raft Message */
  message: 5,
  /** client → server, after welcome: the sender's own member attributes (opaque bytes to the
   *  transport, at most ANNOUNCE_BYTES_MAX); the server hands them on with the hello's `from`. */
  announce: 6,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const KINDS = new Set<number>(Object.values(FrameKind));
export const FRAME_HEADER_BYTES = 8;
/** Largest announce payload a server accepts; a larger one is a protocol violation. */
export const ANNOUNCE_BYTES_MAX = 4096;

export interface Frame {
  readonly kind: FrameKind;
  readonly payload: Buffer;
  /** The CRC32 the sender gave a message frame whose check was left to `checkMessageCrc` (a
   *  decoder made with `deferMessageCrc`); null once checked. */
  readonly crc: number | null;
}

export class FrameError extends Error {
  readonly code = 'ERR_TRANSPORT_BAD_FRAME';

  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** The 8-byte header and the kind byte for a body of `kind` + `payload` (one buffer or parts
 *  that follow each other), with the CRC32 over both. Writing the header, then the payload's
 *  buffers, avoids copying a large payload. */
export function frameHeader(kind: FrameKind, payload: Uint8Array | readonly Uint8Array[]): Buffer {
  const parts = payload instanceof Uint8Array ? [payload] : payload;
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 1);
  head[8] = kind;
  let length = 1;
  let crc = crc32(head.subarray(8, 9));
  for (const part of parts) {
    length += part.length;
    crc = crc32Then(crc, part);
  }
  head.writeUInt32BE(length, 0);
  head.writeUInt32BE(crc, 4);
  return head;
}

/** A whole frame in one buffer (small frames: handshake). */
export function encodeFrame(kind: FrameKind, payload: Uint8Array): Buffer {
  return Buffer.concat([frameHeader(kind, payload), payload]);
}

/** CRC32 of a message frame's kind byte, where its body's CRC starts. */
const MESSAGE_KIND_CRC = crc32(Uint8Array.of(FrameKind.message));

/**
 * Checks a deferred message frame's CRC32. `views` are byte views into the payload (the decoded
 * entries' data, in payload order): each is hashed through dataCrc32, so a large one's CRC stays
 * cached and the segment append that follows does not hash it again. Throws FrameError on a
 * mismatch.
 */
export function checkMessageCrc(frame: Frame, views: readonly Uint8Array[]): void {
  if (frame.crc === null) return;
  const payload = frame.payload;
  let crc = MESSAGE_KIND_CRC; // only message frames are deferred
  let at = 0;
  for (const v of views) {
    const offset = v.byteOffset - payload.byteOffset;
    if (v.buffer !== payload.buffer || offset < at || offset + v.length > payload.length) continue;
    crc = crc32Then(crc32(payload.subarray(at, offset), crc), v);
    at = offset + v.length;
  }
  crc = crc32(payload.subarray(at), crc);
  if (crc !== frame.crc) throw new FrameError('frame checksum mismatch');
}

/**
 * Incremental frame parser: feed socket chunks, get whole frames. `maxBodyBytes` bounds what a
 * peer can make us buffer (small before the handshake completes, large after).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** `deferMessageCrc`: message frames come out unchecked, for `checkMessageCrc` to check once
   *  their entries are known (each entry's data is then hashed once, not twice). */
  constructor(public maxBodyBytes: number, private readonly deferMessageCrc = false) {}

  /** Adds a chunk and returns every frame now complete. Throws FrameError on a bad frame. */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < FRAME_HEADER_BYTES) break;
      const header = this.peek(FRAME_HEADER_BYTES);
      const length = header.readUInt32BE(0);
      if (length < 1 || length > this.maxBodyBytes) throw new FrameError(`frame length ${length} outside [1, ${this.maxBodyBytes}]`);
      if (this.buffered < FRAME_HEADER_BYTES + length) break;
      this.take(FRAME_HEADER_BYTES);
      const crc = header.readUInt32BE(4);
      const body = this.take(length);
      const kind = body[0]!;
      if (this.deferMessageCrc && kind === FrameKind.message) {
        frames.push({ kind, payload: body.subarray(1), crc });
        continue;
      }
      if (crc32(body) !== crc) throw new FrameError('frame checksum mismatch');
      if (!KINDS.has(kind)) throw new FrameError(`unknown frame kind ${kind}`);
      frames.push({ kind: kind as FrameKind, payload: body.subarray(1), crc: null });
    }
    return frames;
  }

  /** The first n buffered bytes, copied (n is small: the header). */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks, n);
  }

  /** Removes and returns the first n buffered bytes as a fresh buffer. */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const want = n - filled;
      if (chunk.length <= want) {
        chunk.copy(out, filled);
        filled += chunk.length;
        this.chunks.shift();
      } else {
        chunk.copy(out, filled, 0, want);
        this.chunks[0] = chunk.subarray(want);
        filled += want;
      }
    }
    this.buffered -= n;
    return out;
  }
}
