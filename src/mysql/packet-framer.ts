// MySQL packet framing: every payload travels as one or more packets of
//   int<3> payload_length | int<1> sequence_id | payload
// A payload of 0xFFFFFF bytes or more is cut into 0xFFFFFF-byte packets followed by a shorter
// one; when the length is an exact multiple of 0xFFFFFF the last packet is empty, which is how
// the reader knows the payload ended. Sequence ids count up by one per packet, modulo 256.

import { MysqlProtocolError } from './protocol-error.js';
import { ER_NET_PACKETS_OUT_OF_ORDER, ER_NET_PACKET_TOO_LARGE } from './error-codes.js';

export const PACKET_HEADER_SIZE = 4;
/** The largest payload one packet carries (2^24 − 1); a full packet means "more follows". */
export const MAX_PACKET_PAYLOAD = 0xffffff;
/** max_allowed_packet's upper bound on real servers. */
export const DEFAULT_MAX_PAYLOAD_LENGTH = 1024 * 1024 * 1024;

export interface FramedPayload {
  /** The reassembled payload. Shares memory with the pushed chunks when it arrived in one of
   *  them: copy it if you keep it beyond the current turn. */
  payload: Buffer;
  /** Sequence id of the payload's first packet. */
  sequenceId: number;
  /** Sequence id of its last packet: the reply continues from lastSequenceId + 1. */
  lastSequenceId: number;
}

export interface PacketReaderOptions {
  /** Payloads longer than this fail with ERR_MYSQL_PACKET_TOO_LARGE before being buffered. */
  maxPayloadLength?: number;
}

/**
 * Streaming reader: push socket chunks as they come, pull complete payloads. Memory stays bounded
 * by what was pushed and not yet read plus the single payload being assembled. After it throws,
 * the stream is out of sync and the reader must be discarded.
 */
export class PacketReader {
  /** May change between payloads (a server raises it once the client has logged in). */
  maxPayloadLength: number;
  #chunks: Buffer[] = [];
  #first = 0; // index of the first live chunk in #chunks
  #head = 0; // offset of the first unread byte in #chunks[#first]
  #buffered = 0;
  #parts: Buffer[] = [];
  #partsLength = 0;
  #firstSeq = 0;
  #lastSeq = 0;

  constructor(options: PacketReaderOptions = {}) {
    this.maxPayloadLength = options.maxPayloadLength ?? DEFAULT_MAX_PAYLOAD_LENGTH;
  }

  /** Bytes pushed and not yet consumed (not counting fragments already moved into assembly). */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** True while a payload split over several packets is partly assembled. */
  get assembling(): boolean {
    return this.#parts.length > 0;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next complete payload, or null until more bytes are pushed. */
  read(): FramedPayload | null {
    for (;;) {
      if (this.#buffered < PACKET_HEADER_SIZE) return null;
      const header = this.#peek(PACKET_HEADER_SIZE);
      const length = header[0]! | (header[1]! << 8) | (header[2]! << 16);
      const seq = header[3]!;
      if (this.#partsLength + length > this.maxPayloadLength) {
        throw new MysqlProtocolError(
          'ERR_MYSQL_PACKET_TOO_LARGE',
          `payload of at least ${this.#partsLength + length} bytes exceeds the limit of ${this.maxPayloadLength}`,
          { errno: ER_NET_PACKET_TOO_LARGE },
        );
      }
      if (this.#parts.length > 0 && seq !== ((this.#lastSeq + 1) & 0xff)) {
        throw new MysqlProtocolError(
          'ERR_MYSQL_PACKETS_OUT_OF_ORDER',
          `packet sequence id ${seq} follows ${this.#lastSeq} inside one payload`,
          { errno: ER_NET_PACKETS_OUT_OF_ORDER },
        );
      }
      if (this.#buffered < PACKET_HEADER_SIZE + length) return null;
      this.#consume(PACKET_HEADER_SIZE);
      const fragment = this.#take(length);
      if (length === MAX_PACKET_PAYLOAD) {
        if (this.#parts.length === 0) this.#firstSeq = seq;
        this.#parts.push(fragment);
        this.#partsLength += length;
        this.#lastSeq = seq;
        continue;
      }
      if (this.#parts.length === 0) return { payload: fragment, sequenceId: seq, lastSequenceId: seq };
      this.#parts.push(fragment);
      const payload = Buffer.concat(this.#parts, this.#partsLength + length);
      const sequenceId = this.#firstSeq;
      this.#parts = [];
      this.#partsLength = 0;
      return { payload, sequenceId, lastSequenceId: seq };
    }
  }

  /** Takes every byte pushed and not yet read, leaving the reader empty: the bytes that follow an
   *  SSLRequest belong to the TLS handshake, not to this framing. Only between payloads. */
  takeUnread(): Buffer {
    if (this.#parts.length > 0) {
      throw new MysqlProtocolError('ERR_MYSQL_MALFORMED_PACKET', 'a payload is partly assembled');
    }
    const live = this.#chunks.slice(this.#first);
    if (live.length > 0) live[0] = live[0]!.subarray(this.#head);
    const unread = Buffer.concat(live, this.#buffered);
    this.#chunks = [];
    this.#first = 0;
    this.#head = 0;
    this.#buffered = 0;
    return unread;
  }

  /** The next `n` buffered bytes without consuming them (n is small: a header). */
  #peek(n: number): Buffer {
    const head = this.#chunks[this.#first]!;
    if (head.length - this.#head >= n) return head.subarray(this.#head, this.#head + n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let offset = this.#head;
    for (let i = this.#first; filled < n; i++) {
      const chunk = this.#chunks[i]!;
      const count = Math.min(n - filled, chunk.length - offset);
      chunk.copy(out, filled, offset, offset + count);
      filled += count;
      offset = 0;
    }
    return out;
  }

  #consume(n: number): void {
    this.#take(n);
  }

  /** Removes `n` bytes: a view when they sit in one chunk, else a copy. */
  #take(n: number): Buffer {
    this.#buffered -= n;
    const head = this.#chunks[this.#first]!;
    if (n === 0) return Buffer.alloc(0);
    if (head.length - this.#head >= n) {
      const view = head.subarray(this.#head, this.#head + n);
      this.#advance(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#first]!;
      const count = Math.min(n - filled, chunk.length - this.#head);
      chunk.copy(out, filled, this.#head, this.#head + count);
      filled += count;
      this.#advance(count);
    }
    return out;
  }

  #advance(n: number): void {
    this.#head += n;
    if (this.#head < this.#chunks[this.#first]!.length) return;
    this.#head = 0;
    this.#first++;
    if (this.#first === this.#chunks.length) {
      this.#chunks = [];
      this.#first = 0;
    } else if (this.#first >= 1024) {
      this.#chunks = this.#chunks.slice(this.#first); // keep the live part; avoids O(n) shifts
      this.#first = 0;
    }
  }
}

/** Number of packets a payload of `payloadLength` bytes needs (an exact multiple of 0xFFFFFF
 *  takes one extra, empty packet). */
export function packetCount(payloadLength: number): number {
  return Math.floor(payloadLength / MAX_PACKET_PAYLOAD) + 1;
}

/** Bytes on the wire for one payload, headers included. */
export function framedLength(payloadLength: number): number {
  return payloadLength + PACKET_HEADER_SIZE * packetCount(payloadLength);
}

function writeHeader(target: Buffer, offset: number, length: number, seq: number): void {
  target[offset] = length & 0xff;
  target[offset + 1] = (length >>> 8) & 0xff;
  target[offset + 2] = (length >>> 16) & 0xff;
  target[offset + 3] = seq & 0xff;
}

/**
 * Frames payloads with a running sequence id. `frame`/`frameAll` copy into one Buffer so a whole
 * reply goes out in one socket write (writing packets one by one costs 40 ms Nagle/delayed-ACK
 * stalls per query); `frameParts` avoids the copy for large payloads.
 */
export class PacketWriter {
  #seq: number;

  constructor(sequenceId = 0) {
    this.#seq = sequenceId & 0xff;
  }

  /** The sequence id the next packet will carry. */
  get sequenceId(): number {
    return this.#seq;
  }

  set sequenceId(value: number) {
    this.#seq = value & 0xff;
  }

  frame(payload: Buffer): Buffer {
    return this.frameAll([payload]);
  }

  frameAll(payloads: readonly Buffer[]): Buffer {
    let total = 0;
    for (const p of payloads) total += framedLength(p.length);
    const out = Buffer.allocUnsafe(total);
    let offset = 0;
    for (const p of payloads) offset = this.#frameInto(out, offset, p);
    return out;
  }

  /** Headers and payload views, in wire order, without copying the payload. */
  frameParts(payload: Buffer): Buffer[] {
    const parts: Buffer[] = [];
    for (let start = 0; ; start += MAX_PACKET_PAYLOAD) {
      const length = Math.min(MAX_PACKET_PAYLOAD, payload.length - start);
      const header = Buffer.allocUnsafe(PACKET_HEADER_SIZE);
      writeHeader(header, 0, length, this.#seq);
      this.#seq = (this.#seq + 1) & 0xff;
      parts.push(header);
      if (length > 0) parts.push(payload.subarray(start, start + length));
      if (length < MAX_PACKET_PAYLOAD) return parts;
    }
  }

  #frameInto(target: Buffer, offset: number, payload: Buffer): number {
    for (let start = 0; ; start += MAX_PACKET_PAYLOAD) {
      const length = Math.min(MAX_PACKET_PAYLOAD, payload.length - start);
      writeHeader(target, offset, length, this.#seq);
      this.#seq = (this.#seq + 1) & 0xff;
      payload.copy(target, offset + PACKET_HEADER_SIZE, start, start + length);
      offset += PACKET_HEADER_SIZE + length;
      if (length < MAX_PACKET_PAYLOAD) return offset;
    }
  }
}
