// One binlog file's events as the upstream's dump would deliver them, read from disk in bounded
// memory (1 MiB reads; only an event split across reads is assembled). The dump sends the file's
// bytes unchanged except the FORMAT_DESCRIPTION: a file still open (or never closed cleanly) has
// LOG_EVENT_BINLOG_IN_USE_F set on disk, and the server clears it before sending. Its CRC32 was
// computed with the flag clear, so it stays valid; we recompute it anyway, as the server does.
// Every event's CRC32 is verified (when the FDE says CRC32) and every damage is refused with the
// file and offset named.
import { createReadStream } from 'node:fs';
import { BinlogError } from '../binlog/binlog-error.js';
import type { BinlogEvent } from '../binlog/binlog-event.js';
import { BINLOG_READ_CHUNK } from '../binlog/binlog-file.js';
import { BinlogEventReader } from '../binlog/event-reader.js';
import { LOG_EVENT_BINLOG_IN_USE_F } from '../binlog/event-header.js';
import { FORMAT_DESCRIPTION_EVENT, START_ENCRYPTION_EVENT } from '../binlog/event-type.js';
import { rewriteFormatDescription } from '../binlog/format-description.js';
import type { BinlogImportFile } from './binlog-import-files.js';
import { BinlogImportError } from './binlog-import-error.js';

export interface DumpedEventsOptions {
  /** Stop reading at this file offset (a transaction boundary found before). */
  end?: number;
  /** The file may end inside an event (it is being written): the cut event is left out. */
  tailMayBeCut?: boolean;
}

/** Yields the events of each read, in order. They are views into that read (a fresh buffer per
 *  read, never reused). */
export async function* dumpedFileEvents(file: BinlogImportFile, options: DumpedEventsOptions = {}): AsyncGenerator<BinlogEvent[], void, undefined> {
  const reader = new BinlogEventReader({ expectMagic: true, verifyChecksums: true });
  const stream = createReadStream(file.path, {
    highWaterMark: BINLOG_READ_CHUNK,
    ...(options.end !== undefined ? { end: options.end - 1 } : {}),
  });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const events: BinlogEvent[] = [];
      for (const event of reader.events(chunk)) events.push(asDumped(event, file));
      yield events;
    }
    if (!options.tailMayBeCut) reader.end();
  } catch (err) {
    throw asImportError(err, file);
  } finally {
    stream.destroy();
  }
}

function asDumped(event: BinlogEvent, file: BinlogImportFile): BinlogEvent {
  const { type, flags, logPos } = event.header;
  if (type === START_ENCRYPTION_EVENT) {
    throw new BinlogImportError('IMPORT_ENCRYPTED', `${file.path} is encrypted (START_ENCRYPTION at ${event.offset}): import it through the upstream's dump instead`, file.path, event.offset);
  }
  // The relay files events by the upstream's positions: in a binlog each event's log_pos is its
  // end in the file. A relay log or a damaged header breaks that; never import it silently.
  if (logPos !== event.offset + event.bytes.length) {
    throw new BinlogImportError('IMPORT_CORRUPT', `${file.path}: event at ${event.offset} says it ends at ${logPos}, not ${event.offset + event.bytes.length} (not an upstream binlog?)`, file.path, event.offset);
  }
  if (type !== FORMAT_DESCRIPTION_EVENT || (flags & LOG_EVENT_BINLOG_IN_USE_F) === 0) return event;
  return {
    ...event,
    header: { ...event.header, flags: flags & ~LOG_EVENT_BINLOG_IN_USE_F },
    bytes: rewriteFormatDescription(event.bytes, { clearInUse: true }),
  };
}

/** A codec error while reading `file`, as the import's typed refusal naming the file. */
export function asImportError(err: unknown, file: BinlogImportFile): unknown {
  if (err instanceof BinlogImportError) return err;
  if (err instanceof BinlogError) {
    const at = err.offset ?? null;
    if (err.code === 'BINLOG_TRUNCATED') {
      return new BinlogImportError('IMPORT_INCOMPLETE_FILE', `${file.path} ends inside an event: only the last file may be cut short`, file.path, at, { cause: err });
    }
    if (err.code === 'BINLOG_BAD_MAGIC') {
      return new BinlogImportError('IMPORT_BAD_MAGIC', `${file.path} is not a binlog file: it does not start with \\xfebin`, file.path, 0, { cause: err });
    }
    return new BinlogImportError('IMPORT_CORRUPT', `${file.path}: ${err.message}`, file.path, at, { cause: err });
  }
  return err;
}
