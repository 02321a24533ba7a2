// This node's binlog server: started from the config or the admin API, its settings persisted in
// the meta store so a restarted node serves again without a new PUT. The password is persisted only
// as the hashes its auth plugins verify against; TLS and limits come from the node's config at
// every start (a certificate is the node's, not the API caller's).
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { NodeId } from '../raft/core/types.js';
import type { Storage } from '../storage/storage.js';
import type { ReplicaView } from '../api/backend.js';
import type { PurgeRequest, PurgeResult } from './relaylog/purge.js';
import type { RelayLog } from './relaylog/relay-log.js';
import { BinlogServer, type BinlogServerSettings } from './server/binlog-server.js';
import { loadPasswordHashes, passwordHashes, storePasswordHashes, type StoredPasswordHashes } from './mysql/password-hashes.js';

const SETTINGS_RECORD = 'binlog-server';

/** What the node's config says about every binlog server it starts, whoever starts it. */
export type BinlogServerDefaults = Pick<BinlogServerSettings, 'limits' | 'tls' | 'requireSecureTransport' | 'requireClientCert' | 'expireLogsSeconds'>;

/** The meta store record: no password, only its hashes. */
interface SavedSettings {
  addr: string;
  user: string;
  password_hashes: StoredPasswordHashes;
  limits?: BinlogServerSettings['limits'];
}

export class BinlogServerControl {
  private server: BinlogServer | null = null;
  private settings: BinlogServerSettings | null = null;
  /** Given every client socket of the servers this control starts (the node's metrics). */
  onConnection: ((socket: Socket) => void) | undefined;
  /** Given the commit-to-replica time of the servers this control starts (the node's metrics). */
  onCommitServed: ((seconds: number) => void) | undefined;
  /** Whether this node is catching up, for the servers this control starts (RelaySource.catchingUp). */
  catchingUp: (() => boolean) | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly relay: RelayLog,
    private readonly nodeId: NodeId,
    private readonly logger: Logger,
    /** PURGE BINARY LOGS from the server's clients; absent, the server refuses the statement. */
    private readonly purge?: (request: PurgeRequest) => Promise<PurgeResult>,
    private readonly defaults: BinlogServerDefaults = {},
  ) {}

  /** The settings last started, or null. A record from before hashes were kept (it holds the
   *  password) is rewritten without it. */
  async savedSettings(): Promise<BinlogServerSettings | null> {
    const saved = this.storage.meta.getJson(SETTINGS_RECORD) as (Partial<SavedSettings> & { password?: unknown }) | undefined;
    if (!saved || typeof saved.addr !== 'string' || typeof saved.user !== 'string') return null;
    const settings: BinlogServerSettings = { addr: saved.addr, user: saved.user, password: '' };
    if (saved.limits) settings.limits = saved.limits;
    if (typeof saved.password === 'string') {
      settings.password = passwordHashes(saved.password);
      await this.storage.meta.putJson(SETTINGS_RECORD, savedRecord(settings), { sync: true });
      return settings;
    }
    const hashes = loadPasswordHashes(saved.password_hashes);
    if (!hashes) return null;
    settings.password = hashes;
    return settings;
  }

  get current(): { settings: BinlogServerSettings; replicas: ReplicaView[] } | null {
    return this.server && this.settings ? { settings: this.settings, replicas: this.server.replicas() } : null;
  }

  /**
   * Starts the server with `settings`, replacing a running one. The new listener is bound first
   * and the working server stopped only once it listens, so a bad address (taken, unresolvable)
   * is refused while the replicas keep being served. Only when the new address needs the running
   * server's own port (new credentials, same port) is the old one stopped first; if the new one
   * then fails, the old settings are brought back.
   */
  async start(given: BinlogServerSettings): Promise<void> {
    // From here on only the hashes: nothing of this node keeps the password, in memory or on disk.
    const password = typeof given.password === 'string' ? passwordHashes(given.password) : given.password;
    const settings: BinlogServerSettings = { ...this.defaults, ...given, password };
    const old = this.server;
    const oldSettings = this.settings;
    let next: BinlogServer;
    try {
      next = await this.open(settings);
    } catch (err) {
      if (!old || !oldSettings || !needsPortOf(old, settings, err)) throw err;
      next = await this.replaceOnSamePort(old, oldSettings, settings);
    }
    if (this.server === old && old) await old.stop();
    this.server = next;
    this.settings = settings;
    await this.storage.meta.putJson(SETTINGS_RECORD, savedRecord(settings), { sync: true });
    this.logger.info({ event: 'server.started', addr: settings.addr, user: settings.user }, 'binlog server started');
  }

  /** Stops `old` to free its port for `settings`; on failure restarts `old` and rethrows. */
  private async replaceOnSamePort(old: BinlogServer, oldSettings: BinlogServerSettings, settings: BinlogServerSettings): Promise<BinlogServer> {
    await old.stop();
    this.server = null;
    try {
      return await this.open(settings);
    } catch (err) {
      try {
        this.server = await this.open(oldSettings);
        this.logger.warn({ event: 'server.restart.reverted', addr: oldSettings.addr, err: (err as Error).message }, 'new binlog server settings failed: previous ones restored');
      } catch (restoreErr) {
        this.settings = null;
        this.logger.error({ event: 'server.restart.lost', addr: oldSettings.addr, err: (restoreErr as Error).message }, 'binlog server could not be restored');
      }
      throw err;
    }
  }

  private open(settings: BinlogServerSettings): Promise<BinlogServer> {
    return BinlogServer.start({
      settings, relay: this.relay,
      // Distinct per node and away from typical replica ids; fake events carry the upstream's id.
      serverId: 0x6272_0000 + (this.nodeId & 0xffff),
      serverUuid: uuidOf(`binrelay-node-${this.nodeId}`),
      logger: this.logger.child({ component: 'binlog-server' }),
      purge: this.purge,
      onConnection: (socket) => this.onConnection?.(socket),
      onCommitServed: (seconds) => this.onCommitServed?.(seconds),
      catchingUp: () => this.catchingUp?.() ?? false,
    });
  }

  async stop(forget = false): Promise<void> {
    if (this.server) {
      await this.server.stop();
      this.server = null;
      this.logger.info({ event: 'server.stopped' }, 'binlog server stopped');
    }
    this.settings = null;
    if (forget) await this.storage.meta.del(SETTINGS_RECORD);
  }
}

function savedRecord(settings: BinlogServerSettings): SavedSettings {
  const hashes = typeof settings.password === 'string' ? passwordHashes(settings.password) : settings.password;
  const record: SavedSettings = { addr: settings.addr, user: settings.user, password_hashes: storePasswordHashes(hashes) };
  if (settings.limits) record.limits = settings.limits;
  return record;
}

/** The new address failed only because the running server holds its port. */
function needsPortOf(running: BinlogServer, settings: BinlogServerSettings, err: unknown): boolean {
  const port = Number(settings.addr.slice(settings.addr.lastIndexOf(':') + 1));
  return port !== 0 && port === running.address.port && /EADDRINUSE/.test((err as Error).message);
}

/** A stable UUID-shaped id from a name (for @@server_uuid). */
function uuidOf(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
