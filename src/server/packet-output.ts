// The dump's side of the socket (notes/serving-path.md): events are framed straight into a large
// output buffer — packet header, the 0x00 OK byte (plus the 0xEF semi-sync header when the
// replica asked for it), the event bytes, one copy per byte and no per-event allocation — and
// the buffer is written 256 KiB at a time (smaller buffers measured as fast and keep 16 copies'
// memory low); buffers come from and go back to a pool shared by every dump (buffer-pool.ts).
// Events of 256 KiB and more skip the buffer: their
// headers and the relay's own views go to the socket under cork(), split into 16 MiB packets.
// Sequence ids continue from the dump command's for the whole stream.
import type { Socket } from 'node:net';
import { MAX_PACKET_PAYLOAD, PACKET_HEADER_SIZE } from '../mysql/packet-framer.js';
import { BufferPool } from './buffer-pool.js';
import type { ChunkCursor } from './chunk-cursor.js';

export const OUTPUT_BUFFER_SIZE = 256 * 1024;
/** Idle output buffers kept for reuse, process-wide (8 MiB): enough for a few dumps at full
 *  backlog, so streaming dumps rarely allocate, and a bound on what quiet replicas pin. */
const POOLED_OUTPUT_BUFFERS = 32;
const outputBuffers = new BufferPool(OUTPUT_BUFFER_SIZE, POOLED_OUTPUT_BUFFERS);
const DIRECT_WRITE_THRESHOLD = 256 * 1024;
/** semi-sync packet header: kPacketMagicNum, then "no ack needed". */
const SEMI_SYNC_HEADER = [0xef, 0x00] as const;

export class PacketOutput {
  readonly #socket: Socket;
  readonly #prefix: Buffer;
  #seq: number;
  #buf: Buffer | null = null;
  #len = 0;
  readonly #pool: BufferPool;
  /** Bytes handed to the socket in total (for logs and tests). */
  written = 0;
  /** Events written as views of the caller's bytes (which must then stay untouched). */
  directWrites = 0;

  constructor(socket: Socket, sequenceId: number, options: { semiSync?: boolean; pool?: BufferPool } = {}) {
    this.#socket = socket;
    this.#pool = options.pool ?? outputBuffers;
    this.#seq = sequenceId & 0xff;
    this.#prefix = Buffer.from(options.semiSync ? [0x00, ...SEMI_SYNC_HEADER] : [0x00]);
  }

  get sequenceId(): number {
    return this.#seq;
  }

  /** Bytes framed but not yet handed to the socket. */
  get buffered(): number {
    return this.#len;
  }

  /** Bytes handed to the socket that the kernel has not taken yet. */
  get backlog(): number {
    return this.#socket.writableLength;
  }

  get writable(): boolean {
    return !this.#socket.destroyed && !this.#socket.writableEnded;
  }

  #room(n: number): Buffer {
    if (this.#buf && OUTPUT_BUFFER_SIZE - this.#len >= n) return this.#buf;
    this.flush();
    this.#buf = this.#pool.take();
    return this.#buf;
  }

  #header(target: Uint8Array, at: number, length: number): void {
    target[at] = length & 0xff;
    target[at + 1] = (length >>> 8) & 0xff;
    target[at + 2] = (length >>> 16) & 0xff;
    target[at + 3] = this.#seq;
    this.#seq = (this.#seq + 1) & 0xff;
  }

  /** Frames the next `length` bytes of `cursor` (one whole event) as an event packet. */
  appendEvent(cursor: ChunkCursor, length: number): void {
    const payload = this.#prefix.length + length;
    if (payload >= DIRECT_WRITE_THRESHOLD) {
      this.#writeDirect(cursor, length);
      return;
    }
    const buf = this.#room(PACKET_HEADER_SIZE + payload);
    this.#header(buf, this.#len, payload);
    this.#prefix.copy(buf, this.#len + PACKET_HEADER_SIZE);
    cursor.copyTo(buf, this.#len + PACKET_HEADER_SIZE + this.#prefix.length, length);
    this.#len += PACKET_HEADER_SIZE + payload;
  }

  /** Frames a whole event held in one array (synthesized or rewritten events). */
  appendEventBytes(event: Uint8Array): void {
    const payload = this.#prefix.length + event.length;
    if (payload >= DIRECT_WRITE_THRESHOLD) {
      // Only relay events get this large; kept for completeness.
      this.#writeDirect(new SingleChunk(event), event.length);
      return;
    }
    const buf = this.#room(PACKET_HEADER_SIZE + payload);
    this.#header(buf, this.#len, payload);
    this.#prefix.copy(buf, this.#len + PACKET_HEADER_SIZE);
    buf.set(event, this.#len + PACKET_HEADER_SIZE + this.#prefix.length);
    this.#len += PACKET_HEADER_SIZE + payload;
  }

  /** A non-event payload (EOF, ERR), framed as is. Payloads here are small. */
  appendPayload(payload: Uint8Array): void {
    const buf = this.#room(PACKET_HEADER_SIZE + payload.length);
    this.#header(buf, this.#len, payload.length);
    buf.set(payload, this.#len + PACKET_HEADER_SIZE);
    this.#len += PACKET_HEADER_SIZE + payload.length;
  }

  /** Hands the buffered bytes to the socket. */
  flush(): void {
    const buf = this.#buf;
    if (!buf || this.#len === 0) return;
    const len = this.#len;
    this.#buf = null;
    this.#len = 0;
    if (!this.writable) {
      this.#pool.give(buf);
      return;
    }
    this.written += len;
    // Once the kernel has the bytes (or the socket dropped them) the buffer can take new frames.
    this.#socket.write(buf.subarray(0, len), () => this.#pool.give(buf));
  }

  #writeDirect(cursor: ChunkCursor | SingleChunk, length: number): void {
    this.flush();
    this.directWrites++;
    if (!this.writable) {
      cursor.skip(length);
      return;
    }
    const socket = this.#socket;
    socket.cork();
    let left = this.#prefix.length + length; // payload bytes still to frame
    let first = true;
    for (;;) {
      const n = Math.min(MAX_PACKET_PAYLOAD, left);
      const head = Buffer.allocUnsafe(PACKET_HEADER_SIZE + (first ? this.#prefix.length : 0));
      this.#header(head, 0, n);
      let data = n;
      if (first) {
        this.#prefix.copy(head, PACKET_HEADER_SIZE);
        data -= this.#prefix.length;
        first = false;
      }
      socket.write(head);
      for (const view of cursor.take(data)) socket.write(view);
      this.written += head.length + data;
      left -= n;
      if (n < MAX_PACKET_PAYLOAD) break;
    }
    socket.uncork();
  }
}

/** One array seen through the cursor interface `#writeDirect` needs. */
class SingleChunk {
  #offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  take(n: number): Uint8Array[] {
    const view = this.bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return n > 0 ? [view] : [];
  }

  skip(n: number): void {
    this.#offset += n;
  }
}
