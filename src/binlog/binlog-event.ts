// One event as the reader hands it out: where it sits, its header, and its raw bytes.
import type { EventHeader } from './event-header.js';
import { LOG_EVENT_HEADER_LEN } from './event-header.js';

export interface BinlogEvent {
  /** Offset of the event's first byte in the stream (the file offset when reading a file). */
  offset: number;
  header: EventHeader;
  /** The whole event: header, body and checksum if any. A view into the input, not a copy:
   *  copy it (`Buffer.from(bytes)`) before keeping it beyond the chunk it came from. */
  bytes: Uint8Array;
  /** 4 when the event ends with a CRC32 under the governing FORMAT_DESCRIPTION, else 0. */
  checksumLength: 0 | 4;
}

/** The event body: between the 19-byte header and the checksum (a view, no copy). */
export function eventBody(event: Pick<BinlogEvent, 'bytes' | 'checksumLength'>): Uint8Array {
  return event.bytes.subarray(LOG_EVENT_HEADER_LEN, event.bytes.length - event.checksumLength);
}
