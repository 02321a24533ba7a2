// PeerTransport over TCP: a server on this node's peer address receives, and two outbound
// connections per peer send — a control lane (votes, heartbeats, responses, snapshots…) and a
// bulk lane (appends), so a multi-MiB append never delays a heartbeat (raft tolerates reordering
// between message types; order within a lane is kept). Framing and handshake: raft/README.md.
//
// send() never blocks or throws: a message that cannot be queued is dropped, counted, and the
// peer reported through onUnreachable (raft then probes and resends). Local-only message types
// and messages to this node are refused with a log line.
import { lookup } from 'node:dns/promises';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { decodeMessage, messageSize } from './codec.js';
import type { Message, MessageType, NodeId } from './core/types.js';
import type { PeerTransport } from './ports.js';
import { ANNOUNCE_BYTES_MAX, checkMessageCrc, encodeFrame, FrameDecoder, FrameKind, type Frame } from './transport-frame.js';
import { RateLimitedLog } from './rate-limited-log.js';
import {
  DEFAULT_ADMISSION_LIMITS, InboundAdmission, normalizeIp, type AdmissionLimits, type AdmissionTicket,
} from './transport-admission.js';
import {
  decodeHello, encodeChallenge, encodeRefuse, encodeWelcome, helloAuthentic, laneName, Lane, newNonce,
  PROTOCOL_VERSION, PROTOCOL_VERSION_MIN, RefuseReason, tokenKey, type Hello,
} from './transport-handshake.js';
import { peerSecureContext, type PeerTls } from './transport-tls.js';
import { OutboundLane, type LaneOptions, type LaneStats } from './transport-lane.js';

export interface TcpTransportOptions {
  readonly nodeId: NodeId;
  /** host:port to listen on (port 0 picks a free one; see address()). */
  readonly listen: string;
  /** Peers must present the same cluster id… (null: a node joining an existing cluster adopts
   *  the id of the first peer that proves the token, and reports it to onClusterIdLearned) */
  readonly clusterId: string | null;
  readonly onClusterIdLearned?: (clusterId: string) => void;
  /** …and prove they hold the same token (null: none, for loopback-only clusters). */
  readonly clusterToken: string | null;
  /** Mutual TLS on every peer connection, both ways (null or absent: plain TCP). */
  readonly tls?: PeerTls | null;
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
  /** Deadline of an outbound handshake (connect → welcome). Default 5 s. */
  readonly handshakeTimeoutMs?: number;
  /** An inbound socket that has not sent a valid hello by then is closed. Default 1 s. */
  readonly helloTimeoutMs?: number;
  /** Unauthenticated sockets allowed per IP, in total, and from configured peers' IPs
   *  (transport-admission.ts). Defaults: 8, 64, 64. */
  readonly admission?: Partial<AdmissionLimits>;
  /** Lines per minute for events outsiders can cause (refused hellos, bad frames, sockets over
   *  a limit); the rest are counted and reported. Default 20. */
  readonly refusalLogsPerMinute?: number;
  /** A write waiting this long for 'drain' kills the connection. Default 30 s. */
  readonly stallTimeoutMs?: number;
}

/** Types the core keeps to itself; they never go on the wire. */
const LOCAL_TYPES: ReadonlySet<MessageType> = new Set<MessageType>(['hup', 'beat', 'unreachable', 'snapStatus']);
/** Types that ride the bulk lane: those that may be large, and commitIfDurable, which names the
 *  last append before it and is of no use if it overtakes it. */
const BULK_TYPES: ReadonlySet<MessageType> = new Set<MessageType>(['app', 'prop', 'commitIfDurable']);
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
  /** The authenticated inbound connection of each peer and lane: a newer one replaces it. */
  private readonly inboundLanes = new Map<string, Socket>();
  private readonly admission: InboundAdmission;
  private readonly peerIps = new Map<NodeId, string[]>();
  private readonly refusalLog: RateLimitedLog;
  private readonly summaryTimer: NodeJS.Timeout;
  private messageHandler: ((m: Message) => void) | null = null;
  private announceHandler: ((from: NodeId, payload: Buffer) => void) | null = null;
  private unreachableHandler: ((peer: NodeId) => void) | null = null;
  private closed = false;
  private clusterId: string | null;
  /** Verifies peer certificates (never listens: accept() hands it admitted sockets). */
  private readonly tlsServer: TlsServer | null;
  /** Admitted sockets in their TLS handshake, by remote address. */
  private readonly pendingTls = new Map<string, AdmissionTicket>();

  private constructor(private readonly o: TcpTransportOptions, private readonly server: Server) {
    this.log = o.logger ?? pino({ level: 'silent' });
    this.key = tokenKey(o.clusterToken);
    this.clusterId = o.clusterId;
    this.tlsServer = o.tls ? TcpTransport.tlsServerOf(this, o.tls) : null;
    this.admission = new InboundAdmission({ ...DEFAULT_ADMISSION_LIMITS, ...o.admission });
    this.refusalLog = new RateLimitedLog(o.refusalLogsPerMinute ?? 20);
    this.summaryTimer = setInterval(() => this.reportSuppressed(), 60_000);
    this.summaryTimer.unref();
  }

  /** Starts listening; resolves once the server is bound. */
  static async start(options: TcpTransportOptions): Promise<TcpTransport> {
    const { host, port } = parseAddress(options.listen);
    // No server-wide cap: a full one would lock real peers out. Unauthenticated sockets are
    // bounded by InboundAdmission and the hello deadline, authenticated ones by peer and lane.
    const server = createServer();
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
    if ((options.clusterToken ?? '') === '' && !options.tls && !/^(127\.|::1$|localhost$)/.test(host)) {
      t.log.warn({ event: 'transport.auth.disabled', listen: options.listen }, 'no cluster token on a non-loopback address');
    }
    t.log.info({ event: 'transport.listening', host: bound.host, port: bound.port, nodeId: options.nodeId, tls: t.tlsServer !== null }, 'raft transport listening');
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

  /** Announcements received: `from` is the peer id the connection authenticated as. */
  onAnnouncement(handler: (from: NodeId, payload: Buffer) => void): void {
    this.announceHandler = handler;
  }

  /** Sends this node's own announcement to `peer` on the control lane (at most
   *  ANNOUNCE_BYTES_MAX bytes; dropped like a message when the peer is unknown or the queue full). */
  announce(peer: NodeId, payload: Uint8Array): boolean {
    if (this.closed || payload.length > ANNOUNCE_BYTES_MAX) return false;
    const link = this.peers.get(peer);
    return link !== undefined && link.control.enqueueFrame(FrameKind.announce, payload);
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
        self: this.o.nodeId, peer: id, lane: kind, host, port, clusterId: () => this.clusterId, key: this.key, tls: this.o.tls ?? null,
        queueBytesMax: bytesMax, queueCountMax: countMax,
        backoffMsMin: this.o.backoffMsMin ?? 50, backoffMsMax: this.o.backoffMsMax ?? 2000,
        handshakeTimeoutMs: this.o.handshakeTimeoutMs ?? 5000, stallTimeoutMs: this.o.stallTimeoutMs ?? 30_000,
        log: this.log, onUnreachable: () => this.reportUnreachable(id),
      };
      return new OutboundLane(lo);
    };
    this.learnPeerIps(id, host);
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
    this.peerIps.delete(id);
    this.admission.setPeerIps([...this.peerIps.values()].flat());
  }

  /** Records the IPs a peer connects from (its address, resolved) for the reserved pool. */
  private learnPeerIps(id: NodeId, host: string): void {
    const update = (ips: string[]): void => {
      this.peerIps.set(id, ips.map(normalizeIp));
      this.admission.setPeerIps([...this.peerIps.values()].flat());
    };
    if (isIP(host) !== 0) {
      update([host]);
      return;
    }
    lookup(host, { all: true }).then(
      (found) => {
        const link = this.peers.get(id);
        if (!this.closed && link !== undefined && parseAddress(link.address).host === host) update(found.map((a) => a.address));
      },
      (err: Error) => this.log.debug({ event: 'transport.peer.resolve_failed', peer: id, host, err: err.message }, 'cannot resolve peer host'),
    );
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
    clearInterval(this.summaryTimer);
    this.reportSuppressed();
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

  private accept(raw: Socket): void {
    if (this.closed) {
      raw.destroy();
      return;
    }
    const remote = `${raw.remoteAddress}:${raw.remotePort}`;
    const ticket = this.admission.admit(raw.remoteAddress);
    if (typeof ticket === 'string') {
      this.logRefusal('transport.inbound.rejected', { remote, reason: ticket }, 'peer port connection over the limit: closed');
      raw.on('error', () => undefined);
      raw.destroy();
      return;
    }
    raw.setNoDelay(true);
    raw.setKeepAlive(true, 10_000);
    if (this.tlsServer === null) {
      this.serve(raw, remote, ticket);
      return;
    }
    // The TLS server takes the admitted socket; 'secureConnection' hands back the verified one.
    this.inbound.add(raw);
    this.pendingTls.set(remote, ticket);
    raw.once('close', () => {
      this.inbound.delete(raw);
      if (this.pendingTls.get(remote) === ticket) this.pendingTls.delete(remote);
      this.admission.release(ticket);
    });
    this.tlsServer.emit('connection', raw);
  }

  /** Runs the handshake on an admitted socket (plain, or TLS with a verified peer certificate),
   *  then delivers its frames. */
  private serve(socket: Socket, remote: string, ticket: AdmissionTicket): void {
    this.inbound.add(socket);
    const nonce = newNonce();
    const decoder = new FrameDecoder(4096, true);
    let hello: Hello | null = null;
    let refused = false;
    const helloTimeoutMs = this.o.helloTimeoutMs ?? 1000;
    const deadline = setTimeout(() => {
      // A hello already read by the kernel is handled first (I/O runs before setImmediate), so a
      // blocked event loop does not turn a punctual peer into a late one.
      setImmediate(() => {
        if (hello !== null || socket.destroyed) return;
        this.logRefusal('transport.handshake.timeout', { remote, helloTimeoutMs }, 'peer sent no hello in time');
        socket.destroy();
      });
    }, helloTimeoutMs);
    socket.on('close', () => {
      clearTimeout(deadline);
      this.admission.release(ticket);
      this.inbound.delete(socket);
      if (hello !== null) {
        const key = laneKey(hello);
        if (this.inboundLanes.get(key) === socket) this.inboundLanes.delete(key);
        this.log.debug({ event: 'transport.inbound.closed', remote, peer: hello.from, lane: laneName(hello.lane) }, 'inbound peer connection closed');
      }
    });
    socket.on('error', (err) => this.log.debug({ event: 'transport.inbound.error', remote, err: err.message }, 'inbound connection error'));
    socket.on('data', (chunk: Buffer) => {
      if (refused) return;
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        const fields = { remote, peer: hello?.from, err: (err as Error).message };
        if (hello === null) this.logRefusal('transport.frame.invalid', fields, 'bad frame from peer');
        else this.log.warn({ event: 'transport.frame.invalid', ...fields }, 'bad frame from peer');
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
            this.admission.release(ticket);
            this.claimLane(hello, socket);
            decoder.maxBodyBytes = this.o.frameBytesMax ?? 256 * MiB;
          }
        } else if (f.kind === FrameKind.announce) {
          this.onAnnounceFrame(socket, remote, hello, f);
        } else {
          this.onMessageFrame(socket, remote, hello, f);
        }
      }
    });
    socket.write(encodeFrame(FrameKind.challenge, encodeChallenge(nonce)));
  }

  /** The TLS side of the peer port: a peer without a certificate from our CA is refused during
   *  the TLS handshake, which must end within the hello deadline. */
  private static tlsServerOf(t: TcpTransport, tls: PeerTls): TlsServer {
    peerSecureContext(tls); // unusable material fails here, at start, with OpenSSL's reason
    const server = createTlsServer({
      cert: tls.cert, key: tls.key, ca: tls.ca, minVersion: 'TLSv1.2',
      requestCert: true, rejectUnauthorized: true, handshakeTimeout: t.o.helloTimeoutMs ?? 1000,
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      const remote = `${socket.remoteAddress}:${socket.remotePort}`;
      const ticket = t.pendingTls.get(remote);
      t.pendingTls.delete(remote);
      if (ticket === undefined || t.closed) socket.destroy();
      else t.serve(socket, remote, ticket);
    });
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      t.logRefusal('transport.tls.refused', { remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: err.message }, 'peer TLS handshake refused');
    });
    return server;
  }

  /** One inbound connection per peer and lane: a peer reconnecting replaces its old socket. */
  private claimLane(hello: Hello, socket: Socket): void {
    const key = laneKey(hello);
    const old = this.inboundLanes.get(key);
    this.inboundLanes.set(key, socket);
    if (old !== undefined && old !== socket) old.destroy();
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
    if (hello.version < PROTOCOL_VERSION_MIN || hello.version > PROTOCOL_VERSION) {
      this.refuse(socket, remote, RefuseReason.version, `protocol version ${hello.version} not supported (want ${PROTOCOL_VERSION_MIN} to ${PROTOCOL_VERSION})`, hello.from);
    } else if (!helloAuthentic(this.key, nonce, hello)) {
      // Before the cluster check: only a token holder learns which cluster this node is in.
      this.refuse(socket, remote, RefuseReason.auth, 'cluster token mismatch', hello.from);
    } else if (this.clusterId !== null && hello.clusterId !== this.clusterId) {
      this.refuse(socket, remote, RefuseReason.cluster, `cluster id mismatch: this node belongs to cluster ${this.clusterId}, the peer to ${hello.clusterId || '(none)'}`, hello.from);
    } else if (hello.to !== this.o.nodeId) {
      this.refuse(socket, remote, RefuseReason.wrongNode, `this is node ${this.o.nodeId}, not ${hello.to}`, hello.from);
    } else if (this.clusterId === null && hello.clusterId === '') {
      this.refuse(socket, remote, RefuseReason.cluster, 'the peer names no cluster id', hello.from);
    } else {
      if (this.clusterId === null) this.learnClusterId(hello.clusterId, hello.from);
      socket.write(encodeFrame(FrameKind.welcome, encodeWelcome(this.key, nonce, hello)));
      this.log.info({ event: 'transport.inbound.accepted', remote, peer: hello.from, lane: laneName(hello.lane) }, 'peer connected to us');
      return hello;
    }
    return null;
  }

  /** A joining node adopts the cluster of the first peer that proved the token to it: the leader
   *  that added it as a learner is the first to contact it. */
  private learnClusterId(clusterId: string, from: NodeId): void {
    this.clusterId = clusterId;
    this.log.info({ event: 'transport.cluster_id.learned', clusterId, peer: from }, 'joined cluster: cluster id learned from a peer');
    try {
      this.o.onClusterIdLearned?.(clusterId);
    } catch (err) {
      this.log.error({ event: 'transport.handler.failed', handler: 'clusterIdLearned', err }, 'cluster id handler threw');
    }
  }

  private refuse(socket: Socket, remote: string, reason: RefuseReason, detail: string, claimed?: NodeId): void {
    this.logRefusal('transport.auth.refused', { remote, claimedPeer: claimed, reason: detail }, 'peer refused');
    socket.end(encodeFrame(FrameKind.refuse, encodeRefuse(reason, detail)));
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  /** Warns within the refusal budget; beyond it the line is only counted. */
  private logRefusal(event: string, fields: Record<string, unknown>, msg: string): void {
    const take = this.refusalLog.take();
    if (take === null) return;
    this.log.warn({ event, ...fields, ...(take.suppressed > 0 ? { suppressed: take.suppressed } : {}) }, msg);
  }

  /** Refusal lines dropped since the last one written, as one summary line. */
  private reportSuppressed(): void {
    const suppressed = this.refusalLog.takeSuppressed();
    if (suppressed > 0) this.log.warn({ event: 'transport.refusals.suppressed', suppressed }, 'refusal log lines suppressed (rate limit)');
  }

  private onAnnounceFrame(socket: Socket, remote: string, hello: Hello, f: Frame): void {
    if (f.payload.length > ANNOUNCE_BYTES_MAX) {
      this.log.warn({ event: 'transport.frame.invalid', remote, peer: hello.from, err: `announce of ${f.payload.length} bytes` }, 'bad frame from peer');
      socket.destroy();
      return;
    }
    if (this.announceHandler === null) return;
    try {
      this.announceHandler(hello.from, f.payload);
    } catch (err) {
      this.log.error({ event: 'transport.handler.failed', handler: 'announcement', err }, 'announcement handler threw');
    }
  }

  private onMessageFrame(socket: Socket, remote: string, hello: Hello, f: Frame): void {
    let m: Message;
    try {
      if (f.kind !== FrameKind.message) throw new Error(`unexpected frame kind ${f.kind}`);
      try {
        m = decodeMessage(f.payload);
      } catch (err) {
        checkMessageCrc(f, []); // a damaged frame is reported as such, not as a bad message
        throw err;
      }
      checkMessageCrc(f, m.entries.map((e) => e.data));
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

function laneKey(hello: Hello): string {
  return `${hello.from}/${hello.lane}`;
}
