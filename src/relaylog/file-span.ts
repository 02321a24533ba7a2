// Reads committed binlog bytes back out of the relay's files for serving: one large positional
// read from an event start, cut back to the last whole event, never past the file's served end.
// An event larger than the read is read whole on its own. The bytes are handed out as one view
// (no copy, no per-event allocation).
import type { FileHandle } from 'node:fs/promises';
import { eventLengthAt, LOG_EVENT_HEADER_LEN } from '../binlog/event-header.js';
import { RelayCorruptError } from './relay-errors.js';

export interface RelaySpan {
  /** Views of the file's bytes [startPos, endPos), in order; they hold whole events only. */
  chunks: Uint8Array[];
  startPos: number;
  endPos: number;
}

/** Default size of one read: 512 KiB measured as fast as 1 MiB and keeps 16 copies' memory
 *  (three pooled read buffers per dump) smaller. */
export const SPAN_READ_BYTES = 512 * 1024;


async function readFully(handle: FileHandle, name: string, buf: Buffer, pos: number): Promise<void> {
  let filled = 0;
  while (filled < buf.length) {
    const { bytesRead } = await handle.read(buf, filled, buf.length - filled, pos + filled);
    if (bytesRead <= 0) throw new RelayCorruptError(`binlog file ${name} ends at ${pos + filled}, before its served end ${pos + buf.length}`);
    filled += bytesRead;
  }
}

/**
 * Whole events of `name` from `pos` (an event start) up to `endPos`: about a read's worth (the
 * size of `into` when given, which then holds the bytes), at least one event. Null when `pos` is
 * the served end.
 */
export async function readFileSpan(handle: FileHandle, name: string, pos: number, endPos: number, into?: Buffer): Promise<RelaySpan | null> {
  if (pos >= endPos) return null;
  const want = Math.max(Math.min(endPos - pos, into?.length ?? SPAN_READ_BYTES), Math.min(LOG_EVENT_HEADER_LEN, endPos - pos));
  const buf = into && into.length >= want ? into.subarray(0, want) : Buffer.allocUnsafe(want);
  await readFully(handle, name, buf, pos);
  let at = 0;
  while (at + LOG_EVENT_HEADER_LEN <= buf.length) {
    const length = eventLengthAt(buf, at);
    if (length < LOG_EVENT_HEADER_LEN || pos + at + length > endPos) {
      throw new RelayCorruptError(`binlog file ${name}: event at ${pos + at} claims ${length} bytes (served end ${endPos}): a damaged event length`);
    }
    if (at + length > buf.length) break;
    at += length;
  }
  if (at > 0) return { chunks: [buf.subarray(0, at)], startPos: pos, endPos: pos + at };
  if (buf.length < LOG_EVENT_HEADER_LEN) throw new RelayCorruptError(`binlog file ${name}: ${buf.length} bytes at ${pos} before the served end ${endPos} are no event`);
  // One event larger than a read: read it whole.
  const whole = Buffer.allocUnsafe(eventLengthAt(buf, 0));
  await readFully(handle, name, whole, pos);
  return { chunks: [whole], startPos: pos, endPos: pos + whole.length };
}
