// One outbound TCP connection to one peer, with its bounded send queue.
//
//   idle ──send──► connecting ──welcome──► open ──error/close──► backoff ──timer──► idle
//                      │ refuse/error/timeout                        ▲
//                      └─────────────────────────────────────────────┘
//
// - Connects lazily (on the first message) and reconnects with exponential backoff and jitter.
// - Trusts the peer only once its welcome proves the cluster token (transport-handshake.ts), and,
//   with TLS, only once its certificate verifies against the cluster's CA and its address.
// - The queue is bounded by count and bytes. A message that does not fit is dropped (never
//   blocking the caller) and the peer is reported unreachable once per run of drops; raft
//   retries appends and heartbeats on its own. A failed connection drops its queue the same way.
// - Writes respect back-pressure: once the socket buffer is over its high-water mark the lane
//   waits for 'drain'; a drain that does not come within stallTimeoutMs kills the connection.
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Logger } from 'pino';
import { encodeMessageParts } from './codec.js';
import type { Message, NodeId } from './core/types.js';
import { FrameDecoder, FrameKind, encodeFrame, frameHeader, type Frame } from './transport-frame.js';
import {
  COMMIT_IF_DURABLE_VERSION, decodeChallenge, decodeRefuse, encodeHello, Lane, laneName, newNonce, PROTOCOL_VERSION,
  PROTOCOL_VERSION_MIN, RefuseReason, refuseReasonName,
  welcomeAuthentic, type HelloFields,
} from './transport-handshake.js';
import type { PeerTls } from './transport-tls.js';

export interface LaneOptions {
  readonly self: NodeId;
  readonly peer: NodeId;
  readonly lane: Lane;
  readonly host: string;
  readonly port: number;
  /** The cluster id to present; null while a joining node has not learned it (no connection). */
  readonly clusterId: () => string | null;
  readonly key: Buffer;
  /** Mutual TLS: connect with this certificate and verify the peer's against the CA. */
  readonly tls: PeerTls | null;
  readonly queueBytesMax: number;
  readonly queueCountMax: number;
  readonly backoffMsMin: number;
  readonly backoffMsMax: number;
  readonly handshakeTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly log: Logger;
  readonly onUnreachable: () => void;
}

export type LaneState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed';

export interface LaneStats {
  readonly state: LaneState;
  readonly queuedBytes: number;
  readonly queuedCount: number;
  readonly sent: number;
  readonly dropped: number;
  readonly connects: number;
}

/** A raft message (encoded at write time), or a small frame built already (an announce). */
type Queued =
  | { readonly message: Message; readonly frame?: undefined; readonly size: number }
  | { readonly message?: undefined; readonly frame: Buffer; readonly size: number };

export class OutboundLane {
  private state: LaneState = 'idle';
  private socket: Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  /** The protocol version the next hello names, and the one of the open connection. */
  private helloVersion = PROTOCOL_VERSION;
  private version = PROTOCOL_VERSION_MIN;
  private queue: Queued[] = [];
  private head = 0;
  private bytes = 0;
  private pumping = false;
  private dropping = false;
  private sent = 0;
  private dropped = 0;
  private connects = 0;

  constructor(private readonly o: LaneOptions) {}

  private get count(): number {
    return this.queue.length - this.head;
  }

  /** Queues a message of encoded `size` bytes; false (and counted) when it was dropped. */
  enqueue(message: Message, size: number): boolean {
    return this.push({ message, size });
  }

  /** Queues one whole frame (e.g. an announce); false (and counted) when it was dropped. */
  enqueueFrame(kind: FrameKind, payload: Uint8Array): boolean {
    const frame = encodeFrame(kind, payload);
    return this.push({ frame, size: frame.length });
  }

  private push(q: Queued): boolean {
    const size = q.size;
    if (this.state === 'closed') return false;
    if (this.count > 0 && (this.count >= this.o.queueCountMax || this.bytes + size > this.o.queueBytesMax)) {
      this.noteDrop(1);
      return false;
    }
    this.queue.push(q);
    this.bytes += size;
    this.dropping = false;
    if (this.state === 'idle') this.connect();
    else if (this.state === 'open') void this.pump();
    return true;
  }

  close(): void {
    this.state = 'closed';
    this.clearTimer();
    this.socket?.destroy();
    this.socket = null;
    this.clearQueue();
  }

  stats(): LaneStats {
    return {
      state: this.state, queuedBytes: this.bytes, queuedCount: this.count,
      sent: this.sent, dropped: this.dropped, connects: this.connects,
    };
  }

  private logFields(): Record<string, unknown> {
    return { peer: this.o.peer, lane: laneName(this.o.lane) };
  }

  private noteDrop(n: number): void {
    this.dropped += n;
    if (this.dropping) return;
    this.dropping = true;
    this.o.log.warn({ event: 'transport.queue.full', ...this.logFields(), queuedBytes: this.bytes, queuedCount: this.count }, 'peer send queue full: dropping');
    this.o.onUnreachable();
  }

  private connect(): void {
    this.state = 'connecting';
    this.attempt++;
    const clusterId = this.o.clusterId();
    if (clusterId === null) {
      this.backOff('cluster id not known yet: this joining node waits to be contacted by a member', false);
      return;
    }
    const { host, port, tls } = this.o;
    const socket = tls === null
      ? connect({ host, port })
      : tlsConnect({ host, port, ca: tls.ca, cert: tls.cert, key: tls.key, servername: isIP(host) === 0 ? host : undefined });
    this.socket = socket;
    const clientNonce = newNonce();
    const fields: HelloFields = { lane: this.o.lane, from: this.o.self, to: this.o.peer, clusterId };
    let serverNonce: Uint8Array | null = null;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const decoder = new FrameDecoder(4096);
    this.timer = setTimeout(() => this.fail(socket, 'handshake timeout'), this.o.handshakeTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        this.fail(socket, (err as Error).message);
        return;
      }
      for (const f of frames) {
        if (this.socket !== socket) return;
        if (this.state === 'connecting' && f.kind === FrameKind.challenge && serverNonce === null) {
          serverNonce = this.answerChallenge(socket, f, clientNonce, fields);
        } else if (this.state === 'connecting' && f.kind === FrameKind.welcome && serverNonce !== null) {
          this.onWelcome(socket, welcomeAuthentic(this.o.key, serverNonce, clientNonce, fields, f.payload));
        } else {
          this.onOtherFrame(socket, f);
        }
      }
    });
    socket.on('error', (err) => this.fail(socket, err.message));
    socket.on('close', () => this.fail(socket, 'connection closed'));
  }

  /** Sends our hello; returns the server's nonce (null when the challenge was bad: failed). */
  private answerChallenge(socket: Socket, f: Frame, clientNonce: Uint8Array, fields: HelloFields): Uint8Array | null {
    try {
      const c = decodeChallenge(f.payload);
      if (c.version < PROTOCOL_VERSION_MIN || c.version > PROTOCOL_VERSION) throw new Error(`peer speaks protocol version ${c.version}`);
      socket.write(encodeFrame(FrameKind.hello, encodeHello(this.o.key, c.nonce, clientNonce, fields, this.helloVersion)));
      return c.nonce;
    } catch (err) {
      this.fail(socket, (err as Error).message);
      return null;
    }
  }

  private onWelcome(socket: Socket, authentic: boolean): void {
    if (!authentic) {
      // Whoever answered does not hold the cluster token: nothing may be sent to it.
      this.o.log.error({ event: 'transport.peer.unauthentic', ...this.logFields() }, 'peer welcome carries no valid proof of the cluster token: refused');
      this.fail(socket, 'welcome without proof of the cluster token');
      return;
    }
    this.clearTimer();
    this.state = 'open';
    this.version = this.helloVersion;
    // Next time (the peer may have been upgraded meanwhile) the newest version is tried first.
    this.helloVersion = PROTOCOL_VERSION;
    this.attempt = 0;
    this.connects++;
    this.o.log.info({ event: 'transport.peer.connected', ...this.logFields() }, 'connected to peer');
    void this.pump();
  }

  private onOtherFrame(socket: Socket, f: Frame): void {
    if (f.kind === FrameKind.refuse) {
      const { reason, text } = decodeRefuse(f.payload);
      if (reason === RefuseReason.version && this.helloVersion > PROTOCOL_VERSION_MIN) {
        // An older node: the next attempt speaks its version (see transport-handshake.ts).
        this.o.log.info({ event: 'transport.peer.older_protocol', ...this.logFields(), detail: text }, `peer refused protocol version ${this.helloVersion}: falling back to ${PROTOCOL_VERSION_MIN}`);
        this.helloVersion = PROTOCOL_VERSION_MIN;
      } else {
        this.o.log.error({ event: 'transport.peer.refused', ...this.logFields(), reason: refuseReasonName(reason), detail: text }, 'peer refused our hello');
      }
      this.fail(socket, `refused: ${refuseReasonName(reason)}`);
    } else {
      this.fail(socket, `unexpected frame kind ${f.kind} while ${this.state}`);
    }
  }

  /** Tears the connection down, drops the queue, reports the peer unreachable, backs off. */
  private fail(socket: Socket, reason: string): void {
    if (this.socket !== socket || this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    socket.destroy();
    this.socket = null;
    this.backOff(reason, wasOpen);
  }

  private backOff(reason: string, wasOpen: boolean): void {
    this.clearTimer();
    const dropped = this.count;
    this.dropped += dropped;
    this.clearQueue();
    const base = Math.min(this.o.backoffMsMax, this.o.backoffMsMin * 2 ** Math.min(this.attempt, 20));
    const delayMs = Math.round(base / 2 + (Math.random() * base) / 2);
    const fields = { ...this.logFields(), attempt: this.attempt, delayMs, reason, dropped };
    if (wasOpen) this.o.log.warn({ event: 'transport.peer.disconnected', ...fields }, 'peer connection lost');
    else if (this.attempt === 1) this.o.log.warn({ event: 'transport.peer.connect_failed', ...fields }, 'cannot connect to peer');
    else this.o.log.debug({ event: 'transport.peer.connect_failed', ...fields }, 'cannot connect to peer');
    this.o.onUnreachable();
    this.state = 'backoff';
    this.timer = setTimeout(() => {
      this.timer = null;
      this.state = 'idle';
      if (this.count > 0) this.connect();
    }, delayMs);
  }

  /** Writes queued messages while the socket accepts them; waits for 'drain' when it does not. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.state === 'open' && this.count > 0) {
        const socket = this.socket!;
        socket.cork();
        while (this.count > 0 && !socket.writableNeedDrain) this.writeOne(socket, this.shift());
        socket.uncork();
        if (socket.writableNeedDrain && !(await this.drained(socket))) return;
      }
    } finally {
      this.pumping = false;
    }
  }

  private writeOne(socket: Socket, q: Queued): void {
    if (q.frame !== undefined) {
      socket.write(q.frame);
      this.sent++;
      return;
    }
    // An older peer would drop the connection on it; it only speeds a commit up.
    if (q.message.type === 'commitIfDurable' && this.version < COMMIT_IF_DURABLE_VERSION) return;
    let body: Uint8Array[];
    try {
      body = encodeMessageParts(q.message);
    } catch (err) {
      this.o.log.error({ event: 'transport.message.unencodable', ...this.logFields(), type: q.message.type, err }, 'message cannot be encoded: dropped');
      this.dropped++;
      return;
    }
    socket.write(frameHeader(FrameKind.message, body));
    for (const part of body) socket.write(part);
    this.sent++;
  }

  /** True once 'drain' fires; false when the socket closed or stalled (the lane failed). */
  private drained(socket: Socket): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(stall);
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        resolve(ok && this.socket === socket);
      };
      const onDrain = (): void => done(true);
      const onClose = (): void => done(false);
      const stall = setTimeout(() => {
        done(false);
        this.fail(socket, `write stalled for ${this.o.stallTimeoutMs} ms`);
      }, this.o.stallTimeoutMs);
      socket.on('drain', onDrain);
      socket.on('close', onClose);
    });
  }

  private shift(): Queued {
    const q = this.queue[this.head]!;
    this.queue[this.head] = undefined as unknown as Queued;
    this.head++;
    this.bytes -= q.size;
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return q;
  }

  private clearQueue(): void {
    this.queue = [];
    this.head = 0;
    this.bytes = 0;
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
