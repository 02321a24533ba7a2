// PeerTransport over TCP: a server on this node's peer address receives, and two outbound
// connections per peer send — a control lane (votes, heartbeats, responses, snapshots…) and a
// bulk lane (appends), so a multi-MiB append never delays a heartbeat (raft tolerates reordering
// between message types; order within a lane is kept). Framing and handshake: raft/README.md.
//
// send() never blocks or throws: a message that cannot be queued is dropped, counted, and the
// peer reported through onUnreachable (raft then probes and resends). Local-only message types
// and messages to this node are refused with a log line.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { decodeMessage, messageSize } from './codec.js';
import type { Message, MessageType, NodeId } from './core/types.js';
import type { PeerTransport } from './ports.js';
import { encodeFrame, FrameDecoder, FrameKind, type Frame } from './transport-frame.js';
import {
  decodeHello, encodeChallenge, encodeRefuse, helloAuthentic, laneName, Lane, newNonce,
  PROTOCOL_VERSION, RefuseReason, tokenKey, type Hello,
} from './transport-handshake.js';
import { OutboundLane, type LaneOptions, type LaneStats } from './transport-lane.js';

export interface TcpTransportOptions {
  readonly nodeId: NodeId;
  /** host:port to listen on (port 0 picks a free one; see address()). */
  readonly listen: string;
  /** Peers must present the same cluster id… */
  readonly clusterId: string;
  /** …and prove they hold the same token (null: none, for loopback-only clusters). */
  readonly clusterToken: string | null;
  readonly logger?: Logger;
  /** Bulk (append) queue bound per peer. Defaults: 64 MiB, 4096 messages. */
  readonly bulkQueueBytesMax?: number;
  readonly bulkQueueCountMax?: number;
  /** Control queue bound per peer. Defaults: 4 MiB, 4096 messages. */
  readonly controlQueueBytesMax?: number;
  readonly controlQueueCountMax?: number;
  /** Reconnect backoff, doubled per failed attempt with jitter. Defaults: 50 ms → 2 s. */
  readonly backoffMsMin?: number;
  readonly backoffMsMax?: number;
  /** Largest frame accepted from an authenticated peer. Default 256 MiB. */
  readonly frameBytesMax?: number;
  /** Handshake deadline, both sides. Default 5 s. */
  readonly handshakeTimeoutMs?: number;
  /** A write waiting this long for 'drain' kills the connection. Default 30 s. */
  readonly stallTimeoutMs?: number;
}

/** Types the core keeps to itself; they never go on the wire. */
const LOCAL_TYPES: ReadonlySet<MessageType> = new Set<MessageType>(['hup', 'beat', 'unreachable', 'snapStatus']);
/** Types that may be large and ride the bulk lane. */
const BULK_TYPES: ReadonlySet<MessageType> = new Set<MessageType>(['app', 'prop']);
const MiB = 1024 * 1024;

interface PeerLink {
  readonly address: string;
  readonly control: OutboundLane;
  readonly bulk: OutboundLane;
}

/** Splits `host:port` or `[v6]:port`. */
export function parseAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) throw new RangeError(`bad peer address "${address}" (want host:port)`);
  return { host: m[1] ?? m[2]!, port };
}

export class TcpTransport implements PeerTransport {
  private readonly log: Logger;
  private readonly key: Buffer;
  private readonly peers = new Map<NodeId, PeerLink>();
  private readonly inbound = new Set<Socket>();
  private messageHandler: ((m: Message) => void) | null = null;
  private unreachableHandler: ((peer: NodeId) => void) | null = null;
  private closed = false;

  private constructor(private readonly o: TcpTransportOptions, private readonly server: Server) {
    this.log = o.logger ?? pino({ level: 'silent' });
    this.key = tokenKey(o.clusterToken);
  }

  /** Starts listening; resolves once the server is bound. */
  static async start(options: TcpTransportOptions): Promise<TcpTransport> {
    const { host, port } = parseAddress(options.listen);
    const server = createServer();
    server.maxConnections = 1024; // peers hold two each; this only bounds abuse
    const t = new TcpTransport(options, server);
    server.on('connection', (socket) => t.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => t.log.error({ event: 'transport.server.error', err }, 'peer server error'));
    const bound = t.address();
    if ((options.clusterToken ?? '') === '' && !/^(127\.|::1$|localhost$)/.test(host)) {
      t.log.warn({ event: 'transport.auth.disabled', listen: options.listen }, 'no cluster token on a non-loopback address');
    }
    t.log.info({ event: 'transport.listening', host: bound.host, port: bound.port, nodeId: options.nodeId }, 'raft transport listening');
    return t;
  }

  address(): { host: string; port: number } {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('transport is not listening on TCP');
    return { host: a.address, port: a.port };
  }

  onMessage(handler: (message: Message) => void): void {
    this.messageHandler = handler;
  }

  onUnreachable(handler: (peer: NodeId) => void): void {
    this.unreachableHandler = handler;
  }

  setPeer(id: NodeId, address: string): void {
    if (this.closed) return;
    const existing = this.peers.get(id);
    if (existing?.address === address) return;
    existing?.control.close();
    existing?.bulk.close();
    const { host, port } = parseAddress(address);
    const lane = (kind: Lane, bytesMax: number, countMax: number): OutboundLane => {
      const lo: LaneOptions = {
        self: this.o.nodeId, peer: id, lane: kind, host, port, clusterId: this.o.clusterId, key: this.key,
        queueBytesMax: bytesMax, queueCountMax: countMax,
        backoffMsMin: this.o.backoffMsMin ?? 50, backoffMsMax: this.o.backoffMsMax ?? 2000,
        handshakeTimeoutMs: this.o.handshakeTimeoutMs ?? 5000, stallTimeoutMs: this.o.stallTimeoutMs ?? 30_000,
        log: this.log, onUnreachable: () => this.reportUnreachable(id),
      };
      return new OutboundLane(lo);
    };
    this.peers.set(id, {
      address,
      control: lane(Lane.control, this.o.controlQueueBytesMax ?? 4 * MiB, this.o.controlQueueCountMax ?? 4096),
      bulk: lane(Lane.bulk, this.o.bulkQueueBytesMax ?? 64 * MiB, this.o.bulkQueueCountMax ?? 4096),
    });
  }

  removePeer(id: NodeId): void {
    const link = this.peers.get(id);
    if (link === undefined) return;
    link.control.close();
    link.bulk.close();
    this.peers.delete(id);
  }

  send(messages: readonly Message[]): void {
    if (this.closed) return;
    for (const m of messages) {
      if (LOCAL_TYPES.has(m.type) || m.to === this.o.nodeId) {
        this.log.error({ event: 'transport.send.refused', type: m.type, to: m.to }, 'local message handed to the transport');
        continue;
      }
      const link = this.peers.get(m.to);
      if (link === undefined) {
        this.log.debug({ event: 'transport.send.unknown_peer', to: m.to, type: m.type }, 'no address for peer');
        this.reportUnreachable(m.to);
        continue;
      }
      (BULK_TYPES.has(m.type) ? link.bulk : link.control).enqueue(m, messageSize(m));
    }
  }

  /** Queue and connection figures for one peer, per lane. */
  stats(peer: NodeId): { control: LaneStats; bulk: LaneStats } | undefined {
    const link = this.peers.get(peer);
    return link === undefined ? undefined : { control: link.control.stats(), bulk: link.bulk.stats() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.peers.keys()]) this.removePeer(id);
    for (const s of this.inbound) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.log.info({ event: 'transport.closed' }, 'raft transport closed');
  }

  private reportUnreachable(peer: NodeId): void {
    if (this.closed) return;
    try {
      this.unreachableHandler?.(peer);
    } catch (err) {
      this.log.error({ event: 'transport.handler.failed', handler: 'unreachable', err }, 'unreachable handler threw');
    }
  }

  // ---- inbound ----

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.inbound.add(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const nonce = newNonce();
    const decoder = new FrameDecoder(4096);
    let hello: Hello | null = null;
    let refused = false;
    const deadline = setTimeout(() => {
      this.log.warn({ event: 'transport.handshake.timeout', remote }, 'peer sent no hello in time');
      socket.destroy();
    }, this.o.handshakeTimeoutMs ?? 5000);
    socket.on('close', () => {
      clearTimeout(deadline);
      this.inbound.delete(socket);
      if (hello !== null) this.log.debug({ event: 'transport.inbound.closed', remote, peer: hello.from, lane: laneName(hello.lane) }, 'inbound peer connection closed');
    });
    socket.on('error', (err) => this.log.debug({ event: 'transport.inbound.error', remote, err: err.message }, 'inbound connection error'));
    socket.on('data', (chunk: Buffer) => {
      if (refused) return;
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        this.log.warn({ event: 'transport.frame.invalid', remote, peer: hello?.from, err: (err as Error).message }, 'bad frame from peer');
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (socket.destroyed || refused) return;
        if (hello === null) {
          hello = this.onHello(socket, remote, nonce, f);
          if (hello === null) {
            refused = true;
          } else {
            clearTimeout(deadline);
            decoder.maxBodyBytes = this.o.frameBytesMax ?? 256 * MiB;
          }
        } else {
          this.onMessageFrame(socket, remote, hello, f);
        }
      }
    });
    socket.write(encodeFrame(FrameKind.challenge, encodeChallenge(nonce)));
  }

  /** Checks a hello; answers welcome or refuse. Returns the hello when accepted. */
  private onHello(socket: Socket, remote: string, nonce: Buffer, f: Frame): Hello | null {
    let hello: Hello;
    try {
      if (f.kind !== FrameKind.hello) throw new Error(`expected hello, got frame kind ${f.kind}`);
      hello = decodeHello(f.payload);
    } catch (err) {
      this.refuse(socket, remote, RefuseReason.protocol, (err as Error).message);
      return null;
    }
    if (hello.version !== PROTOCOL_VERSION) {
      this.refuse(socket, remote, RefuseReason.version, `protocol version ${hello.version} not supported (want ${PROTOCOL_VERSION})`, hello.from);
    } else if (hello.clusterId !== this.o.clusterId) {
      this.refuse(socket, remote, RefuseReason.cluster, 'cluster id mismatch', hello.from);
    } else if (!helloAuthentic(this.key, nonce, hello)) {
      this.refuse(socket, remote, RefuseReason.auth, 'cluster token mismatch', hello.from);
    } else if (hello.to !== this.o.nodeId) {
      this.refuse(socket, remote, RefuseReason.wrongNode, `this is node ${this.o.nodeId}, not ${hello.to}`, hello.from);
    } else {
      socket.write(encodeFrame(FrameKind.welcome, Buffer.alloc(0)));
      this.log.info({ event: 'transport.inbound.accepted', remote, peer: hello.from, lane: laneName(hello.lane) }, 'peer connected to us');
      return hello;
    }
    return null;
  }

  private refuse(socket: Socket, remote: string, reason: RefuseReason, detail: string, claimed?: NodeId): void {
    this.log.warn({ event: 'transport.auth.refused', remote, claimedPeer: claimed, reason: detail }, 'peer refused');
    socket.end(encodeFrame(FrameKind.refuse, encodeRefuse(reason, detail)));
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  private onMessageFrame(socket: Socket, remote: string, hello: Hello, f: Frame): void {
    let m: Message;
    try {
      if (f.kind !== FrameKind.message) throw new Error(`unexpected frame kind ${f.kind}`);
      m = decodeMessage(f.payload);
      if (m.from !== hello.from || m.to !== this.o.nodeId) throw new Error(`message ${m.from}→${m.to} on a connection from ${hello.from}`);
    } catch (err) {
      this.log.warn({ event: 'transport.frame.invalid', remote, peer: hello.from, err: (err as Error).message }, 'bad message from peer');
      socket.destroy();
      return;
    }
    if (this.messageHandler === null) return;
    try {
      this.messageHandler(m);
    } catch (err) {
      this.log.error({ event: 'transport.handler.failed', handler: 'message', err }, 'message handler threw');
    }
  }
}
