// The last resort of the `binrelay start` process: an exception or a rejection that nothing
// handled leaves the node's state unknown. It is logged as one structured line (with where it
// came from) and the process exits non-zero at once, for a supervisor to restart the node from
// its data dir — fail-stop (DESIGN.md invariant 7), never limping on.
import type { Logger } from 'pino';
import { errorChainText } from './error-chain.js';

export type CrashOrigin = 'uncaughtException' | 'unhandledRejection';

/** Installs the handlers; returns a function that removes them. */
export function exitOnUncaught(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  let crashed = false;
  const crash = (reason: unknown, origin: CrashOrigin): void => {
    if (crashed) return;
    crashed = true;
    const err = reason instanceof Error ? reason : new Error(`non-error value: ${String(reason)}`);
    try {
      logger.fatal({ event: 'node.crashed', origin, err }, `node crashed (${origin}): ${errorChainText(err)}`);
      logger.flush();
      process.stderr.write(`binrelay start: node crashed (${origin}): ${errorChainText(err)}\n`);
    } finally {
      exit(1);
    }
  };
  const onException = (err: Error, origin: string): void => crash(err, origin === 'unhandledRejection' ? 'unhandledRejection' : 'uncaughtException');
  const onRejection = (reason: unknown): void => crash(reason, 'unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
