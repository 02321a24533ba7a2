// `binrelay start [--config FILE] [--KEY VALUE …]`: runs one node in the foreground until
// SIGTERM/SIGINT, then shuts down cleanly (leadership handed over, storage closed).
import { ConfigError, loadConfig, redactConfig } from '../config.js';
import { exitOnUncaught } from '../crash-exit.js';
import { createLogger } from '../logger.js';
import { restrictFileCreation } from '../data-dir-permissions.js';
import { RelayNode } from '../node.js';

const USAGE = `usage: binrelay start [--config FILE] [--KEY VALUE ...]

Keys (also BINRELAY_KEY environment variables and YAML file keys; flags win):
  --name NAME                      node name, unique in the cluster (node1)
  --data-dir DIR                   binlog files (binlog/) and LevelDB (leveldb/) (./data/<name>)
  --admin-addr HOST:PORT           admin API (127.0.0.1:9595)
  --peer-addr HOST:PORT            raft traffic (127.0.0.1:9696)
  --initial-cluster n1=H:P,n2=H:P  peer addresses of the initial members (this node alone)
  --initial-cluster-state new|existing
                                   existing: a member added later (POST /members); it learns the
                                   cluster id from the first member that contacts it
  --cluster-name NAME              part of the cluster id, which is derived from initial-cluster
                                   and this name: set it when two clusters have equal initial-cluster
  --peer-tls.cert FILE --peer-tls.key FILE --peer-tls.ca FILE
                                   mutual TLS between nodes: this node's PEM certificate and key,
                                   and the CA that signs every node's (all nodes, or none)
  --cluster-token SECRET           authenticates raft peers; required unless peer-addr is loopback
  --admin-token SECRET             bearer token for the admin API (except /healthz); required
                                   unless admin-addr is loopback. Set tokens through the
                                   environment (BINRELAY_CLUSTER_TOKEN, BINRELAY_ADMIN_TOKEN) or
                                   the --config file: a flag's value is visible to \`ps\`
  --heartbeat-interval 100ms       raft heartbeat
  --election-timeout 1000ms        raft election timeout
  --binlog-server.addr HOST:PORT --binlog-server.user U --binlog-server.password P
                                   start the binlog server at boot (the password in the config
                                   file or BINRELAY_BINLOG_SERVER__PASSWORD; the node keeps
                                   only its hashes)
  --binlog-server.tls.cert FILE --binlog-server.tls.key FILE [--binlog-server.tls.ca FILE]
                                   offer TLS to replicas (every start, the admin API's too)
  --binlog-server.require-secure-transport true
                                   refuse plaintext logins (1045), as MariaDB does
  --admin-tls.cert FILE --admin-tls.key FILE [--admin-tls.ca FILE]
                                   HTTPS admin API; calls to other nodes verify them with the CA
                                   (all nodes, or none)
  --binlog-retention.max-age 7d    purge binlog files older than this: 30s, 15m, 12h, 7d (keep all)
  --binlog-retention.max-bytes 10GB
                                   purge the oldest files beyond this total: 512MiB, 10GB (keep all)
  --binlog-retention.min-files 1   files retention always keeps
  --raft-log-retain.bytes 256MiB --raft-log-retain.entries 100000
                                   raft log kept behind a snapshot for lagging followers
  --log-level info                 pino level
  --log-format json|pretty         json: one JSON object per line (json); pretty: readable lines
                                   for a terminal
  --admin-request-timeout 30s      a request (headers and body) must arrive within this
  --admin-connection-timeout 60s   an idle admin connection is closed (not while handled)
  --admin-max-connections 256      open admin API connections at most
`;

export async function runStart(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfig(args);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`binrelay start: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, config.name, undefined, config.logFormat);
  exitOnUncaught(logger);
  restrictFileCreation();
  logger.info({ event: 'node.starting', config: redactConfig(config) }, 'node starting');
  for (const note of config.notes) logger.info({ event: 'config.kingbus_key', note }, note);
  // Fail-stop: a node that cannot vouch for its state exits non-zero, for a supervisor to see.
  const exitFailed = (err: Error): void => {
    process.stderr.write(`binrelay start: node failed: ${err.message}\n`);
    logger.flush();
    process.exit(1);
  };
  let node: RelayNode;
  try {
    node = await RelayNode.start(config, logger, exitFailed);
  } catch (err) {
    logger.fatal({ event: 'node.start_failed', err }, `node failed to start: ${(err as Error).message}`);
    exitFailed(err instanceof Error ? err : new Error(String(err)));
    return 1;
  }
  logger.info({ event: 'node.started', id: node.id, adminAddr: config.adminAddr, peerAddr: config.peerAddr }, 'node started');
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ event: 'node.signal', signal }, 'shutting down');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await node.stop();
  logger.flush();
  return 0;
}
