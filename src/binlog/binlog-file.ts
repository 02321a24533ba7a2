// Reading a binlog or relay-log file from disk as a stream of events, in bounded memory.
import { createReadStream } from 'node:fs';
import type { BinlogEvent } from './binlog-event.js';
import { readBinlogEvents, type EventReaderOptions } from './event-reader.js';

/** Read size: large sequential reads are what makes parsing run at disk speed. */
export const BINLOG_READ_CHUNK = 1024 * 1024;

export function readBinlogFile(path: string, options: EventReaderOptions = {}): AsyncGenerator<BinlogEvent, void, undefined> {
  const stream = createReadStream(path, { highWaterMark: BINLOG_READ_CHUNK, start: options.startOffset ?? 0 });
  return readBinlogEvents(stream, { ...options, expectMagic: options.expectMagic ?? (options.startOffset ?? 0) === 0 });
}
