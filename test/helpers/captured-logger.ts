// A pino logger whose lines a test can read back (parsed JSON objects, in order).
import { Writable } from 'node:stream';
import { pino, type Logger, type LoggerOptions } from 'pino';

export interface CapturedLogger {
  logger: Logger;
  lines: Record<string, unknown>[];
  /** The lines of one event. */
  events(event: string): Record<string, unknown>[];
}

export function capturedLogger(options: LoggerOptions = {}): CapturedLogger {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'debug', ...options }, sink);
  return { logger, lines, events: (event) => lines.filter((l) => l.event === event) };
}
