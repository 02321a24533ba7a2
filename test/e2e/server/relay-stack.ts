// The chain every binlog-server e2e test runs on: a real upstream MariaDB → the syncer → a
// one-node relay log (LevelDB, no raft) → the BinlogServer under test on a free port.
import type { Logger } from 'pino';
import { startMariaDb, type MariaDb, type MariaDbOptions } from '../../helpers/mariadb.js';
import { openLocalRelay, waitFor, type LocalRelay } from '../../helpers/local-relay.js';
import { Syncer, DEFAULT_SYNCER_OPTIONS } from '../../../src/syncer/syncer.js';
import { syncerStartSchema } from '../../../src/syncer/syncer-settings.js';
import { createLogger, silentLogger } from '../../../src/logger.js';
import { BinlogServer, type BinlogServerSettings } from '../../../src/server/binlog-server.js';

/** The account replicas use against the relay (deliberately not the upstream's). */
export const RELAY_USER = 'relay_repl';
export const RELAY_PASSWORD = 'relay-pw-1';
/** The relay's own server_id (what SELECT @@server_id answers). */
export const RELAY_SERVER_ID = 9000;

export interface RelayStack {
  up: MariaDb;
  local: LocalRelay;
  syncer: Syncer;
  server: BinlogServer;
  port: number;
  logger: Logger;
  /** Waits until the relay holds everything the upstream has binlogged. */
  caughtUp(ms?: number): Promise<string>;
  stop(): Promise<void>;
}

/** `server`: settings of the binlog server beyond the address and account (TLS, limits). */
export async function startRelayStack(upstream: MariaDbOptions = {}, server: Partial<BinlogServerSettings> = {}): Promise<RelayStack> {
  const up = await startMariaDb({ serverId: 11, ...upstream });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1'`);
  const logger = process.env.DEBUG_SERVER ? createLogger('debug', 'test') : silentLogger;
  const local = await openLocalRelay(logger);
  const settings = syncerStartSchema.parse({ mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  const syncer = new Syncer(settings, local.relay, local.commit, logger, { ...DEFAULT_SYNCER_OPTIONS, heartbeatMs: 200 });
  syncer.start();
  const binlogServer = await BinlogServer.start({
    settings: { addr: '127.0.0.1:0', user: RELAY_USER, password: RELAY_PASSWORD, ...server },
    relay: local.relay, serverId: RELAY_SERVER_ID,
    serverUuid: '00000000-0000-4000-8000-00000000b1a7', logger,
  });
  return {
    up, local, syncer, server: binlogServer, port: binlogServer.address.port, logger,
    async caughtUp(ms = 60_000) {
      const [row] = await up.query('SELECT @@gtid_binlog_pos AS p');
      const pos = String(row!.p);
      await waitFor(`relay to reach ${pos}`, () => local.relay.executedGtids.toString() === pos, ms);
      return pos;
    },
    async stop() {
      await binlogServer.stop();
      await syncer.stop();
      await local.close();
      await up.stop();
    },
  };
}
