// The binlog server of one node: a MySQL-protocol listener that real MariaDB/MySQL replicas,
// mariadb-binlog and CDC tools connect to (DESIGN.md §1, §4 "SQL surface"). It authenticates the
// one configured user, answers the queries replicas send, and streams the relay log — only
// committed, whole transactions — with the events a real master synthesizes around them.
// It speaks the relay's flavor, chosen per connection (MariaDB until the relay knows).
import { hostname } from 'node:os';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { flavorDefaults, type ServerFlavor } from '../mysql/flavor.js';
import { ServerConnection } from '../mysql/server-connection.js';
import { PurgeError, type PurgeRequest, type PurgeResult } from '../relaylog/purge.js';
import type { RelayLog } from '../relaylog/relay-log.js';
import type { BinaryLogInfo } from './query-responder.js';
import { RelaySource } from './relay-source.js';
import { ReplicaRegistry, type ReplicaView } from './replica-registry.js';
import { ReplicaSession, type SessionContext } from './replica-session.js';
import type { ServerFacts } from './system-variables.js';

export type { ReplicaView } from './replica-registry.js';

export interface BinlogServerSettings {
  /** host:port to listen on (port 0 picks a free one). */
  addr: string;
  user: string;
  password: string;
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
}

export class BinlogServerError extends Error {
  constructor(
    readonly code: 'SERVER_BAD_ADDR' | 'SERVER_LISTEN_FAILED',
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
  #nextId = 1;
  #address: { host: string; port: number } = { host: '', port: 0 };
  #stopped = false;

  private constructor(options: BinlogServerOptions) {
    this.#o = options;
    this.#source = new RelaySource(options.relay);
    this.#server = createServer((socket) => this.#accept(socket));
    this.#context = {
      source: this.#source,
      registry: this.#registry,
      logger: options.logger,
      serverId: options.serverId,
      facts: (flavor) => this.#facts(flavor),
      binaryLogs: () => this.#binaryLogs(),
      kill: (id) => this.#kill(id),
      purgeBinaryLogs: (request) => this.#purge(request),
      track: (done) => {
        this.#running.add(done);
        void done.finally(() => this.#running.delete(done));
      },
    };
  }

  static async start(options: BinlogServerOptions): Promise<BinlogServer> {
    const { host, port } = parseAddr(options.settings.addr);
    const server = new BinlogServer(options);
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
    options.logger.info({ event: 'server.listen', host: bound.address, port: bound.port, user: options.settings.user, serverId: options.serverId }, 'binlog server listening');
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
    };
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
    const flavor = this.#flavor();
    const { settings, logger } = this.#o;
    const conn = new ServerConnection(socket, {
      connectionId: this.#allocateId(),
      flavor,
      serverVersion: this.#serverVersion(flavor),
      authPlugin: flavorDefaults(flavor).authPlugin,
      authenticate: (user) => (user === settings.user ? { password: settings.password } : null),
      handler: (c) => new ReplicaSession(this.#context, c),
    });
    this.#connections.set(conn.id, conn);
    this.#registry.add(conn.id, conn.remoteAddress, conn.remotePort, new Date());
    logger.debug({ event: 'server.connect', connId: conn.id, remote: `${conn.remoteAddress}:${conn.remotePort}`, flavor }, 'client connected');
    conn.on('handlerError', (err) => logger.error({ event: 'server.session.error', connId: conn.id, err }, 'session handler failed'));
    conn.on('protocolError', (err) => logger.warn({ event: 'server.protocol.error', connId: conn.id, error: err.message }, 'client broke the protocol'));
    conn.once('close', () => {
      this.#connections.delete(conn.id);
      this.#registry.remove(conn.id);
      logger.debug({ event: 'server.disconnect', connId: conn.id }, 'client disconnected');
    });
  }
}
