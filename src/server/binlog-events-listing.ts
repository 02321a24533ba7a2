// SHOW BINLOG EVENTS on the relay's files: one row per event of a file's published bytes (each
// CRC-checked as a dump's would be), read a span at a time so a long file is never held whole.
// Refusals carry MariaDB's 1220 texts; a failure after the first rows ends the set with one.
import { setImmediate } from 'node:timers/promises';
import { BinlogError } from '../binlog/binlog-error.js';
import { EVENT_LEN_OFFSET, LOG_EVENT_HEADER_LEN, readEventHeader } from '../binlog/event-header.js';
import type { ServerFlavor } from '../binlog/format-description.js';
import { showEventInfo, showEventType } from '../binlog/show-events-info.js';
import { ER_ERROR_WHEN_EXECUTING_COMMAND, errorMessage } from '../mysql/error-codes.js';
import type { ResultValue } from '../mysql/result-set.js';
import type { RelayFile } from '../relaylog/relay-files.js';
import { RelayReadError } from '../relaylog/relay-errors.js';
import { ChunkCursor } from './chunk-cursor.js';
import type { RelaySource } from './relay-source.js';

export interface BinlogEventsRequest {
  /** null: the first file the relay holds. */
  file: string | null;
  from: number;
  offset: number;
  limit: number | null;
}

/** A refusal of SHOW BINLOG EVENTS: errno 1220 with the server's reason. */
export class BinlogEventsError extends Error {
  readonly errno = ER_ERROR_WHEN_EXECUTING_COMMAND;

  constructor(reason: string) {
    super(errorMessage(ER_ERROR_WHEN_EXECUTING_COMMAND, 'SHOW BINLOG EVENTS', reason));
  }
}

const WRONG_OFFSET = 'Wrong offset or I/O error';

/** Rows listed before the event loop runs again. A span of small events holds thousands, at
 *  several µs each: listed in one go, 30,000 events held the node's loop (its raft heartbeats,
 *  its other sessions) for 90–150 ms. */
const ROWS_PER_BATCH = 256;

/** Checks the request against the relay (failing before any row, as the server does) and
 *  returns the rows, in batches of at most ROWS_PER_BATCH. */
export async function listBinlogEvents(source: RelaySource, flavor: ServerFlavor, request: BinlogEventsRequest): Promise<AsyncIterable<ResultValue[][]>> {
  const file = request.file === null ? source.files()[0] : source.fileByName(request.file);
  if (!file) throw new BinlogEventsError('Could not find target log');
  const from = Math.max(request.from, 4);
  if (from > file.endPos) throw new BinlogEventsError(`Invalid pos specified. Requested from pos:${from} is greater than actual file size:${file.endPos}`);
  // The head of a file held from its middle is the FDE and a filler over bytes the relay never
  // had: listed from 4, its FDE is shown, then the events from where the relay's bytes begin.
  const headOnly = file.firstPos > 4 && from < file.firstPos;
  if (headOnly && from !== 4) throw new BinlogEventsError(WRONG_OFFSET);
  if (!headOnly) {
    const handle = await source.openFile(file);
    try {
      await source.checkEventStart(file, from, handle);
    } catch (err) {
      if (err instanceof RelayReadError) throw new BinlogEventsError(WRONG_OFFSET);
      throw source.failOn(err);
    } finally {
      await handle.release();
    }
  }
  return rows(source, flavor, file, headOnly ? file.firstPos : from, headOnly, request);
}

/** An event whose detail does not decode (a short body) still gets its row, with no Info. */
function infoOf(...args: Parameters<typeof showEventInfo>): string {
  try {
    return showEventInfo(...args);
  } catch (err) {
    if (err instanceof BinlogError || err instanceof RangeError) return '';
    throw err;
  }
}

async function* rows(source: RelaySource, flavor: ServerFlavor, file: RelayFile, from: number, withFde: boolean, request: BinlogEventsRequest): AsyncIterable<ResultValue[][]> {
  const format = source.format(file);
  const checksumLength = format?.checksum ? 4 : 0;
  let skip = request.offset;
  // MariaDB lists one event for LIMIT 0 (its loop tests the count after a row): so does this.
  let left = request.limit === null ? Infinity : Math.max(request.limit, 1);
  const row = (at: number, bytes: Uint8Array): ResultValue[] | null => {
    if (skip > 0) {
      skip--;
      return null;
    }
    left--;
    const header = readEventHeader(bytes);
    const event = { offset: at, header, bytes, checksumLength: checksumLength as 0 | 4 };
    return [file.name, at, showEventType(header.type), header.serverId, header.logPos, infoOf(event, format?.format, flavor)];
  };
  if (withFde && format) {
    const r = row(4, format.bytes);
    if (r) yield [r];
  }
  let at = from;
  while (left > 0 && at < file.endPos) {
    let span;
    try {
      span = await source.readSpan(file, at);
    } catch (err) {
      // A file purged under the listing ends it as a failed read ends the server's.
      if (err instanceof RelayReadError || (err as NodeJS.ErrnoException).code === 'ENOENT') throw new BinlogEventsError(WRONG_OFFSET);
      throw err;
    }
    if (!span) break;
    let batch: ResultValue[][] = [];
    const cursor = new ChunkCursor(span.chunks);
    while (cursor.remaining >= LOG_EVENT_HEADER_LEN && left > 0) {
      const length = cursor.peekU32(EVENT_LEN_OFFSET);
      const r = row(at, cursor.peek(length));
      if (r) batch.push(r);
      cursor.skip(length);
      at += length;
      if (batch.length === ROWS_PER_BATCH || (r === null && (skip & 0xfff) === 0)) {
        if (batch.length > 0) yield batch;
        batch = [];
        await setImmediate();
      }
    }
    if (left > 0) at = span.endPos;
    if (batch.length > 0) yield batch;
  }
}
