// Flow-controlled input for one socket: chunks in, complete payloads out, one at a time, when
// the consumer asks. While the consumer is busy (a handler still answering) unread input is
// buffered up to a high-water mark, then the socket is paused, so a client that pipelines or
// floods cannot grow our memory beyond that plus one payload in assembly.

import type { Socket } from 'node:net';
import { type FramedPayload, PacketReader, type PacketReaderOptions } from './packet-framer.js';

export interface PayloadInboxOptions extends PacketReaderOptions {
  /** Unread bytes above which the socket is paused; default 1 MiB. */
  highWaterMark?: number;
}

export class PayloadInbox {
  readonly #socket: Socket;
  readonly #reader: PacketReader;
  #highWaterMark: number;
  #wakeup: (() => void) | null = null;
  #stopped = false;

  constructor(socket: Socket, options: PayloadInboxOptions = {}) {
    this.#socket = socket;
    this.#reader = new PacketReader(options);
    this.#highWaterMark = options.highWaterMark ?? 1024 * 1024;
    socket.on('data', this.#onData);
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#stopped) return;
    this.#reader.push(chunk);
    if (this.#reader.bufferedBytes > this.#highWaterMark) this.#socket.pause();
    this.#wake();
  };

  /** Stops reading the socket and hands back the bytes it received and nobody read (a TLS
   *  ClientHello sent right behind the SSLRequest); the socket is left paused. */
  detach(): Buffer {
    this.#socket.off('data', this.#onData);
    this.#socket.pause();
    this.#stopped = true;
    this.#wake();
    return this.#reader.takeUnread();
  }

  /** New limits for the payloads still to come (a server trusts a client more once it logged in). */
  setLimits(limits: PayloadInboxOptions): void {
    if (limits.maxPayloadLength !== undefined) this.#reader.maxPayloadLength = limits.maxPayloadLength;
    if (limits.highWaterMark !== undefined) this.#highWaterMark = limits.highWaterMark;
  }

  /** Stops taking input: what is buffered and what still arrives is dropped; next() gives null. */
  stop(): void {
    this.#stopped = true;
    this.#wake();
  }

  /** The next complete payload, or null once stopped. Throws MysqlProtocolError on broken
   *  framing (oversized or out-of-order packets); the inbox is unusable afterwards. */
  async next(): Promise<FramedPayload | null> {
    for (;;) {
      if (this.#stopped) return null;
      const framed = this.#reader.read();
      if (framed !== null) {
        if (this.#socket.isPaused() && this.#reader.bufferedBytes <= this.#highWaterMark) this.#socket.resume();
        return framed;
      }
      if (this.#socket.isPaused()) this.#socket.resume(); // need more bytes than are buffered
      await new Promise<void>((resolve) => {
        this.#wakeup = resolve;
      });
    }
  }

  #wake(): void {
    const wakeup = this.#wakeup;
    this.#wakeup = null;
    wakeup?.();
  }
}
