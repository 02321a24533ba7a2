// Structured logs: one JSON line per event with a stable `event` key, e.g.
// log.info({ event: 'syncer.reconnect', attempt, delayMs }). Secrets never reach a log line:
// the redact paths below cover every field that could carry one.
import { pino, type Logger } from 'pino';
import { prettyLogStream } from './pretty-log-stream.js';
import { recordProblem } from './recent-problems.js';

export type { Logger };

const REDACT = [
  'password', '*.password', '*.*.password', 'mysql_password', '*.mysql_password',
  'token', '*.token', 'clusterToken', 'adminToken', '*.clusterToken', '*.adminToken',
  'req.headers.authorization',
];

/** `format` pretty: readable lines for a terminal (pretty-log-stream.ts) instead of JSON lines. */
export function createLogger(level: string, name: string, destination?: NodeJS.WritableStream, format: 'json' | 'pretty' = 'json'): Logger {
  const out = format === 'pretty' ? prettyLogStream(destination ?? process.stdout) : destination ?? pino.destination({ fd: 1, sync: false });
  return pino({
    level, base: { node: name }, redact: { paths: REDACT, censor: '***' }, timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      // Warnings and errors also go to the dashboard's "recent errors" (recent-problems.ts).
      logMethod(args, method, levelValue) {
        recordProblem(levelValue, args);
        method.apply(this, args);
      },
    },
  }, out);
}

/** A logger that drops everything: for tests and library defaults. */
export const silentLogger: Logger = pino({ level: 'silent' });
