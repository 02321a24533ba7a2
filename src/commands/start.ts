// `binrelay start [--config FILE] [--KEY VALUE …]`: runs one node in the foreground until
// SIGTERM/SIGINT, then shuts down cleanly (leadership handed over, storage closed).
import { ConfigError, loadConfig, redactConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { RelayNode } from '../node.js';

const USAGE = `usage: binrelay start [--config FILE] [--KEY VALUE ...]

Keys (also BINRELAY_KEY environment variables and YAML file keys; flags win):
  --name NAME                      node name, unique in the cluster (node1)
  --data-dir DIR                   LevelDB directory (./data/<name>)
  --admin-addr HOST:PORT           admin API (127.0.0.1:9595)
  --peer-addr HOST:PORT            raft traffic (127.0.0.1:9696)
  --initial-cluster n1=H:P,n2=H:P  peer addresses of the initial members (this node alone)
  --initial-cluster-state new|existing
  --cluster-token SECRET           authenticates raft peers
  --admin-token SECRET             bearer token for the admin API (except /healthz)
  --heartbeat-interval 100ms       raft heartbeat
  --election-timeout 1000ms        raft election timeout
  --binlog-server.addr HOST:PORT --binlog-server.user U --binlog-server.password P
                                   start the binlog server at boot
  --log-level info                 pino level
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
  const logger = createLogger(config.logLevel, config.name);
  logger.info({ event: 'node.starting', config: redactConfig(config) }, 'node starting');
  const node = await RelayNode.start(config, logger);
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
