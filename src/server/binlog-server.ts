// The binlog server of one node: a MySQL-protocol listener that real MariaDB/MySQL replicas,
// mariadb-binlog and CDC tools connect to (DESIGN.md §1, §4 "SQL surface"). It authenticates the
// one configured user, answers the queries replicas send, and streams the relay log — only
// committed, whole transactions — with the events a real master synthesizes around them.
// It speaks the relay's flavor, chosen per connection (MariaDB until the relay knows).
import { hostname } from 'node:os';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { refuseConnection } from '../mysql/connection-refusal.js';
import { ER_CON_COUNT_ERROR, ER_HOST_IS_BLOCKED } from '../mysql/error-codes.js';
import { flavorDefaults, type ServerFlavor } from '../mysql/flavor.js';
import { ServerConnection } from '../mysql/server-connection.js';
import { isEmptyPassword, passwordHashes, type PasswordHashes } from '../mysql/password-hashes.js';
import { PurgeError, type PurgeRequest, type PurgeResult } from '../relaylog/purge.js';
import type { RelayLog } from '../relaylog/relay-log.js';
import { AuthBackoff } from './auth-backoff.js';
import { ConnectionAdmission, clientIp } from './connection-admission.js';
import { FloodGuardedLog } from './flood-guarded-log.js';
import type { BinaryLogInfo } from './query-responder.js';
import { RelaySource } from './relay-source.js';
import { ReplicaRegistry, type ReplicaView } from './replica-registry.js';
import { ReplicaSession, type SessionContext } from './replica-session.js';
import { DEFAULT_BINLOG_SERVER_LIMITS, limitsProblem, type BinlogServerLimits } from './server-limits.js';
import type { ServerFacts } from './system-variables.js';
import { readTlsFiles, type TlsFiles, type TlsMaterial } from '../tls-files.js';

export type { ReplicaView } from './replica-registry.js';
export type { BinlogServerLimits } from './server-limits.js';

export interface BinlogServerSettings {
  /** host:port to listen on (port 0 picks a free one). */
  addr: string;
  user: string;
  /** The password replicas log in with, or only its hashes (what a node persists). Never empty:
   *  the server refuses to start without a password. */
  password: string | PasswordHashes;
  /** Connection and packet limits; absent ones take DEFAULT_BINLOG_SERVER_LIMITS. */
  limits?: Partial<BinlogServerLimits>;
  /** PEM files: with them the greeting offers CLIENT_SSL and an SSLRequest upgrades to TLS. */
  tls?: TlsFiles;
  /** Refuse logins over plaintext (1045, as MariaDB's require_secure_transport); needs `tls`. */
  requireSecureTransport?: boolean;
  /** TLS clients must present a certificate signed by `tls.ca` (an account's REQUIRE X509);
   *  implies requireSecureTransport. */
  requireClientCert?: boolean;
  /** The node's retention by age, in seconds: what @@binlog_expire_logs_seconds reports. */
  expireLogsSeconds?: number;
}

export interface BinlogServerOptions {
  settings: BinlogServerSettings;
  relay: RelayLog;
  /** The relay's own server_id (@@server_id); must differ from every replica's. */
  serverId: number;
  serverUuid: string;
  logger: Logger;
  /** Runs PURGE BINARY LOGS for a client (the node's replicated purge); without it the statement
   *  is refused as MariaDB refuses a purge its configuration does not permit. */
  purge?: (request: PurgeRequest) => Promise<PurgeResult>;
  /** Sees every client socket accepted (the node's metrics count the bytes it sends). */
  onConnection?: (socket: Socket) => void;
  /** Told, in seconds, how long each commit took from its publication to a replica's socket. */
  onCommitServed?: (seconds: number) => void;
  /** This node is catching up (RelaySource.catchingUp); without it, never. */
  catchingUp?: () => boolean;
}

export class BinlogServerError extends Error {
  constructor(
    readonly code: 'SERVER_BAD_ADDR' | 'SERVER_LISTEN_FAILED' | 'SERVER_EMPTY_PASSWORD' | 'SERVER_BAD_LIMITS' | 'SERVER_BAD_TLS',
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_MARIADB_VERSION = '10.11.19';
const MIN_MYSQL_VERSION = [8, 4, 0] as const;

function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(addr.trim());
  if (!m || Number(m[2]) > 65535) throw new BinlogServerError('SERVER_BAD_ADDR', `binlog server address "${addr}" is not host:port`);
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1') || '0.0.0.0';
  return { host, port: Number(m[2]) };
}

/** The TLS context of `settings`, read from its files now (a renewed certificate takes effect at
 *  the next start); undefined without TLS. */
function tlsOf(settings: BinlogServerSettings): { context: SecureContext; material: TlsMaterial } | undefined {
  if (settings.requireClientCert && !settings.tls?.ca) {
    throw new BinlogServerError('SERVER_BAD_TLS', 'binlog-server.require-client-cert needs binlog-server.tls.ca: the CA that signs the replicas\' certificates');
  }
  if (!settings.tls) {
    if (settings.requireSecureTransport) {
      throw new BinlogServerError('SERVER_BAD_TLS', 'binlog-server.require-secure-transport needs binlog-server.tls (cert and key): without TLS no client could log in');
    }
    return undefined;
  }
  try {
    const material = readTlsFiles(settings.tls, 'binlog-server.tls');
    return { context: createSecureContext(material), material };
  } catch (err) {
    throw new BinlogServerError('SERVER_BAD_TLS', `binlog server TLS: ${(err as Error).message}`);
  }
}

function versionTriple(text: string): [number, number, number] | null {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export class BinlogServer {
  readonly #o: BinlogServerOptions;
  readonly #server: Server;
  readonly #source: RelaySource;
  readonly #registry = new ReplicaRegistry();
  readonly #connections = new Map<number, ServerConnection>();
  readonly #running = new Set<Promise<unknown>>();
  readonly #context: SessionContext;
  readonly #hostname = hostname();
  readonly #limits: BinlogServerLimits;
  readonly #tls: SecureContext | undefined;
  /** With require-client-cert: what a TLS login's client certificate is checked against. */
  readonly #clientCertificates: TlsMaterial | undefined;
  /** The only thing held of the password: the hashes its auth plugins verify against. */
  readonly #passwordHashes: PasswordHashes;
  readonly #admission: ConnectionAdmission;
  readonly #backoff = new AuthBackoff();
  /** Lines any client can cause at will go through the flood guard. */
  readonly #clientLog: FloodGuardedLog;
  readonly #startedAtMs = Date.now();
  #questions = 0;
  #nextId = 1;
  #address: { host: string; port: number } = { host: '', port: 0 };
  #stopped = false;

  private constructor(options: BinlogServerOptions, tls: { context: SecureContext; material: TlsMaterial } | undefined) {
    this.#o = options;
    this.#tls = tls?.context;
    this.#clientCertificates = options.settings.requireClientCert ? tls?.material : undefined;
    const { password } = options.settings;
    this.#passwordHashes = typeof password === 'string' ? passwordHashes(password) : password;
    this.#limits = { ...DEFAULT_BINLOG_SERVER_LIMITS, ...options.settings.limits };
    this.#admission = new ConnectionAdmission(this.#limits);
    this.#clientLog = new FloodGuardedLog(options.logger);
    this.#source = new RelaySource(options.relay);
    this.#source.onCommitServed = options.onCommitServed;
    if (options.catchingUp) this.#source.catchingUp = options.catchingUp;
    this.#server = createServer((socket) => this.#accept(socket));
    this.#context = {
      source: this.#source,
      registry: this.#registry,
      logger: options.logger,
      clientLog: this.#clientLog,
      serverId: options.serverId,
      facts: (flavor) => this.#facts(flavor),
      binaryLogs: () => this.#binaryLogs(),
      counters: () => ({ uptimeSeconds: Math.floor((Date.now() - this.#startedAtMs) / 1000), threadsConnected: this.#connections.size, questions: this.#questions }),
      questionAsked: () => {
        this.#questions++;
      },
      kill: (id) => this.#kill(id),
      purgeBinaryLogs: (request) => this.#purge(request),
      track: (done) => {
        this.#running.add(done);
        // The session awaits `done` and reports its failure; this only forgets it, and must not
        // leave a rejected promise of its own (an unhandled rejection ends the process).
        const forget = (): void => {
          this.#running.delete(done);
        };
        done.then(forget, forget);
      },
    };
  }

  static async start(options: BinlogServerOptions): Promise<BinlogServer> {
    const { host, port } = parseAddr(options.settings.addr);
    const { password } = options.settings;
    if (typeof password === 'string' ? password === '' : isEmptyPassword(password)) {
      throw new BinlogServerError('SERVER_EMPTY_PASSWORD', 'the binlog server password is empty: set binlog-server.password (the password replicas log in with); an empty one would let anyone read the binlog');
    }
    const problem = limitsProblem({ ...DEFAULT_BINLOG_SERVER_LIMITS, ...options.settings.limits });
    if (problem) throw new BinlogServerError('SERVER_BAD_LIMITS', `binlog server limits: ${problem.detail}`);
    const server = new BinlogServer(options, tlsOf(options.settings));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        server.#source.close();
        reject(new BinlogServerError('SERVER_LISTEN_FAILED', `binlog server cannot listen on ${options.settings.addr}: ${err.message}`));
      };
      server.#server.once('error', onError);
      server.#server.listen(port, host, () => {
        server.#server.off('error', onError);
        resolve();
      });
    });
    const bound = server.#server.address() as AddressInfo;
    server.#address = { host: bound.address, port: bound.port };
    options.logger.info({
      event: 'server.listen', host: bound.address, port: bound.port, user: options.settings.user, serverId: options.serverId,
      tls: server.#tls !== undefined, requireSecureTransport: options.settings.requireSecureTransport === true,
      requireClientCert: options.settings.requireClientCert === true,
    }, 'binlog server listening');
    return server;
  }

  get address(): { host: string; port: number } {
    return { ...this.#address };
  }

  replicas(): ReplicaView[] {
    return this.#registry.views();
  }

  /** Closes the listener and every session; resolves once every dump has ended. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const dump of this.#registry.dumps()) dump.kill('stopped');
    for (const conn of this.#connections.values()) conn.destroy();
    await Promise.allSettled([...this.#running]);
    await closed;
    this.#source.close();
    this.#clientLog.flush();
    this.#o.logger.info({ event: 'server.stop' }, 'binlog server stopped');
  }

  /** The flavor a new connection speaks: the relay's, MariaDB until the relay knows. */
  #flavor(): ServerFlavor {
    return this.#o.relay.flavor ?? 'mariadb';
  }

  /** The greeting's version: the upstream's release (from its FDE) in our own suffix; MySQL at
   *  least 8.4 so that 8.3+ replicas keep tagged GTIDs in their requests. */
  #serverVersion(flavor: ServerFlavor): string {
    const last = this.#o.relay.lastFile();
    const upstream = last ? this.#source.format(last)?.format.serverVersion : undefined;
    const v = upstream ? versionTriple(upstream) : null;
    if (flavor === 'mysql') {
      const min = MIN_MYSQL_VERSION;
      const newer = v && (v[0] > min[0] || (v[0] === min[0] && (v[1] > min[1] || (v[1] === min[1] && v[2] >= min[2]))));
      return `${newer ? v.join('.') : min.join('.')}-binrelay`;
    }
    const mariadb = v && upstream && /mariadb/i.test(upstream) ? v.join('.') : DEFAULT_MARIADB_VERSION;
    return `5.5.5-${mariadb}-MariaDB-binrelay-log`;
  }

  #facts(flavor: ServerFlavor): ServerFacts {
    const relay = this.#o.relay;
    return {
      flavor,
      serverId: this.#o.serverId,
      serverUuid: this.#o.serverUuid,
      serverVersion: this.#serverVersion(flavor),
      port: this.#address.port,
      hostname: this.#hostname,
      binlogChecksum: this.#source.binlogChecksum(),
      executedGtids: relay.executedGtids.toString(),
      purgedGtids: relay.purgedGtids,
      binlogBasePath: this.#binlogBasePath(),
      expireLogsSeconds: this.#o.settings.expireLogsSeconds ?? 0,
    };
  }

  #binlogBasePath(): string | null {
    const last = this.#o.relay.lastFile();
    return last ? this.#o.relay.dir.filePath(last.name.replace(/\.\d+$/, '')) : null;
  }

  #binaryLogs(): BinaryLogInfo[] {
    return this.#source.files().map((f) => ({ name: f.name, size: f.endPos }));
  }

  #kill(id: number): boolean {
    const conn = this.#connections.get(id);
    if (!conn) return false;
    this.#registry.dumpOf(id)?.kill('stopped');
    conn.destroy();
    return true;
  }

  async #purge(request: PurgeRequest): Promise<PurgeResult> {
    const { purge, logger } = this.#o;
    if (!purge) throw new PurgeError('PURGE_UNAVAILABLE', 'this binlog server has no purge function');
    const result = await purge(request);
    const asked = 'to' in request ? { to: request.to } : { before: request.before.toISOString() };
    logger.info({ event: 'server.purge', ...asked, purged: result.purged, heldBack: result.heldBack }, 'binary logs purged');
    return result;
  }

  #allocateId(): number {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
      if (!this.#connections.has(id)) return id;
    }
  }

  #accept(socket: Socket): void {
    if (this.#stopped) {
      socket.destroy();
      return;
    }
    this.#o.onConnection?.(socket);
    const ip = clientIp(socket.remoteAddress);
    const blockedMs = this.#backoff.blockedFor(ip);
    if (blockedMs > 0) {
      // MariaDB's words up to the advice: there is no flush-hosts here, the block just runs out.
      this.#refuse(socket, ip, 'blocked after failed logins', ER_HOST_IS_BLOCKED,
        `Host '${ip.slice(0, 64)}' is blocked because of many connection errors; retry in ${Math.ceil(blockedMs / 1000)} s`);
      return;
    }
    const ticket = this.#admission.admit(ip);
    if (typeof ticket === 'string') {
      this.#refuse(socket, ip, ticket, ER_CON_COUNT_ERROR);
      return;
    }
    const flavor = this.#flavor();
    const { settings, logger } = this.#o;
    const limits = this.#limits;
    const conn = new ServerConnection(socket, {
      connectionId: this.#allocateId(),
      flavor,
      serverVersion: this.#serverVersion(flavor),
      authPlugin: flavorDefaults(flavor).authPlugin,
      authenticate: (user) => (user === settings.user ? { hashes: this.#passwordHashes } : null),
      handler: (c) => new ReplicaSession(this.#context, c),
      maxPacketSize: limits.maxPacketSize,
      handshakeTimeoutMs: limits.handshakeTimeoutMs,
      idleTimeoutMs: limits.waitTimeoutMs,
      tls: this.#tls,
      clientCertificates: this.#clientCertificates,
      requireSecureTransport: settings.requireSecureTransport === true || settings.requireClientCert === true,
    });
    const connectedAt = new Date();
    this.#connections.set(conn.id, conn);
    logger.debug({ event: 'server.connect', connId: conn.id, remote: `${conn.remoteAddress}:${conn.remotePort}`, flavor }, 'client connected');
    // Only a logged-in client is a replica: before that it holds a handshake slot and nothing else.
    conn.once('authenticated', () => {
      this.#admission.loggedIn(ticket);
      this.#backoff.succeeded(ip);
      this.#registry.add(conn.id, conn.remoteAddress, conn.remotePort, connectedAt);
    });
    conn.on('authFailed', (user, reason) => {
      const blockedForMs = this.#backoff.failed(ip);
      this.#clientLog.write('warn', {
        event: 'server.auth.failed', connId: conn.id, remote: ip, user: user.slice(0, 64), reason, failures: this.#backoff.failures(ip), blockedForMs,
      }, reason === 'insecure-transport' ? 'replica login refused: plaintext while require-secure-transport is on' : 'replica login refused');
    });
    conn.on('handlerError', (err) => this.#clientLog.write('error', { event: 'server.session.error', connId: conn.id, err }, 'session handler failed'));
    conn.on('protocolError', (err) => this.#clientLog.write('warn', {
      event: 'server.protocol.error', connId: conn.id, remote: ip, code: err.code, error: err.message,
    }, 'client broke the protocol'));
    conn.on('idleTimeout', () => logger.debug({ event: 'server.idle.closed', connId: conn.id, waitTimeoutMs: limits.waitTimeoutMs }, 'idle connection closed (wait_timeout)'));
    conn.once('close', () => {
      this.#admission.release(ticket);
      this.#connections.delete(conn.id);
      this.#registry.remove(conn.id);
      logger.debug({ event: 'server.disconnect', connId: conn.id }, 'client disconnected');
    });
  }

  /** Sends `code` instead of the greeting and closes; logged under the flood guard. */
  #refuse(socket: Socket, ip: string, reason: string, code: number, message?: string): void {
    this.#clientLog.write('warn', { event: 'server.connect.refused', remote: ip, reason, code, ...this.#admission.stats() }, 'connection refused');
    refuseConnection(socket, code, message);
  }
}
