// `binrelay start [--config FILE] [--KEY VALUE …]`: runs one node in the foreground until
// SIGTERM/SIGINT, then shuts down cleanly (leadership handed over, storage closed).
import { ConfigError, loadConfig, redactConfig } from '../config.js';
import { startHelp } from '../config-help.js';
import { exitOnUncaught } from '../crash-exit.js';
import { errorChainText } from '../error-chain.js';
import { createLogger } from '../logger.js';
import { restrictFileCreation } from '../data-dir-permissions.js';
import { RelayNode } from '../node.js';
import { MemberRemovedError } from '../member-removed.js';

export async function runStart(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(startHelp());
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
    process.stderr.write(`binrelay start: node failed: ${errorChainText(err)}\n`);
    logger.flush();
    process.exit(1);
  };
  let removed!: () => void;
  const wasRemoved = new Promise<void>((resolve) => (removed = resolve));
  let node: RelayNode;
  try {
    node = await RelayNode.start(config, logger, exitFailed, () => removed());
  } catch (err) {
    if (err instanceof MemberRemovedError) {
      logger.warn({ event: 'node.removed', err }, err.message);
      logger.flush();
      process.stderr.write(`binrelay start: ${err.message}\n`);
      return 0;
    }
    logger.fatal({ event: 'node.start_failed', err }, `node failed to start: ${errorChainText(err)}`);
    exitFailed(err instanceof Error ? err : new Error(String(err)));
    return 1;
  }
  logger.info({
    event: 'node.started', id: node.id, adminAddr: config.adminAddr, peerAddr: config.peerAddr,
    advertiseAdminAddr: config.advertiseAdminAddr, advertisePeerAddr: config.advertisePeerAddr,
  }, 'node started');
  // Until a signal, or until the cluster removes this member: either way a clean stop, exit 0.
  let onSignal!: (signal: NodeJS.Signals) => void;
  const signalled = new Promise<void>((resolve) => {
    onSignal = (signal) => {
      logger.info({ event: 'node.signal', signal }, 'shutting down');
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await Promise.race([signalled, wasRemoved]);
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await node.stop();
  logger.flush();
  return 0;
}
