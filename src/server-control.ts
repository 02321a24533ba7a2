// This node's binlog server: started from the config or the admin API, its settings persisted in
// the meta store so a restarted node serves again without a new PUT.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { NodeId } from '../raft/core/types.js';
import type { Storage } from '../storage/storage.js';
import type { ReplicaView } from '../api/backend.js';
import type { PurgeRequest, PurgeResult } from './relaylog/purge.js';
import type { RelayLog } from './relaylog/relay-log.js';
import { BinlogServer, type BinlogServerSettings } from './server/binlog-server.js';

const SETTINGS_RECORD = 'binlog-server';

export class BinlogServerControl {
  private server: BinlogServer | null = null;
  private settings: BinlogServerSettings | null = null;

  constructor(
    private readonly storage: Storage,
    private readonly relay: RelayLog,
    private readonly nodeId: NodeId,
    private readonly logger: Logger,
    /** PURGE BINARY LOGS from the server's clients; absent, the server refuses the statement. */
    private readonly purge?: (request: PurgeRequest) => Promise<PurgeResult>,
  ) {}

  async savedSettings(): Promise<BinlogServerSettings | null> {
    const saved = this.storage.meta.getJson(SETTINGS_RECORD) as BinlogServerSettings | undefined;
    return saved ?? null;
  }

  get current(): { settings: BinlogServerSettings; replicas: ReplicaView[] } | null {
    return this.server && this.settings ? { settings: this.settings, replicas: this.server.replicas() } : null;
  }

  async start(settings: BinlogServerSettings): Promise<void> {
    await this.stop();
    this.server = await BinlogServer.start({
      settings, relay: this.relay,
      // Distinct per node and away from typical replica ids; fake events carry the upstream's id.
      serverId: 0x6272_0000 + (this.nodeId & 0xffff),
      serverUuid: uuidOf(`binrelay-node-${this.nodeId}`),
      logger: this.logger.child({ component: 'binlog-server' }),
      purge: this.purge,
    });
    this.settings = settings;
    await this.storage.meta.putJson(SETTINGS_RECORD, settings, { sync: true });
    this.logger.info({ event: 'server.started', addr: settings.addr, user: settings.user }, 'binlog server started');
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

/** A stable UUID-shaped id from a name (for @@server_uuid). */
function uuidOf(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
