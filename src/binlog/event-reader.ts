// Streaming event reader: feed it chunks of a binlog/relay-log file (magic, then events) or of a
// dump stream (events only), cut anywhere; it hands out whole events with their offsets.
// An event that lies inside one chunk is handed out as a view of that chunk (no copy); only an
// event split across chunks is assembled, in one buffer of exactly its size — so the reader never
// holds more than one event beyond the current chunk.
// It also tracks the governing FORMAT_DESCRIPTION to know whether events carry a CRC32, and
// verifies each CRC. Any inconsistency is a typed BinlogError, never a guess.
import { BinlogError } from './binlog-error.js';
import type { BinlogEvent } from './binlog-event.js';
import { BINLOG_CHECKSUM_LEN, hasValidChecksum, verifyEventChecksum } from './event-checksum.js';
import { BIN_LOG_HEADER_SIZE, BINLOG_MAGIC, EVENT_LEN_OFFSET, LOG_EVENT_HEADER_LEN, readEventHeader } from './event-header.js';
import { FORMAT_DESCRIPTION_EVENT, ROTATE_EVENT } from './event-type.js';
import { eventsHaveChecksum, parseFormatDescription, type FormatDescription } from './format-description.js';

/** Largest event accepted by default: max_allowed_packet's ceiling (1 GiB) plus headroom. */
export const DEFAULT_MAX_EVENT_SIZE = 1024 * 1024 * 1024 + 64 * 1024;

export interface EventReaderOptions {
  /** The input starts with the 4-byte binlog magic, as files do (default true). False for a dump
   *  stream or for a file read from an offset past the magic. */
  expectMagic?: boolean;
  /** Offset of the first byte fed (default 0): events are reported at startOffset + bytes before them. */
  startOffset?: number;
  /** Verify the CRC32 of every event that carries one (default true). */
  verifyChecksums?: boolean;
  /** The FORMAT_DESCRIPTION already in force, when reading from the middle of a file. */
  format?: FormatDescription;
  /** Whether events before the first FORMAT_DESCRIPTION carry a CRC32. A dump's first fake ROTATE
   *  has one only if the client declared CRC32; 'detect' (default) accepts a ROTATE in either form
   *  (a damaged one then cannot be told from a CRC-less one: pass the declared form when known)
   *  and requires a CRC on anything else. */
  checksumBeforeFde?: 'crc32' | 'none' | 'detect';
  maxEventSize?: number;
}

export class BinlogEventReader {
  private readonly verify: boolean;
  private readonly beforeFde: 'crc32' | 'none' | 'detect';
  private readonly maxEventSize: number;
  private magicSeen: number;
  /** Files must open with a FORMAT_DESCRIPTION: anything else means a damaged or foreign file. */
  private fdeRequiredNext: boolean;
  /** Stream offset of the next byte not yet consumed. */
  private pos: number;
  private fde: FormatDescription | undefined;
  // Assembly of one event split across chunks.
  private readonly headerBuf = Buffer.alloc(LOG_EVENT_HEADER_LEN);
  private headerFill = 0;
  private partial: Buffer | null = null;
  private partialFill = 0;
  private partialOffset = 0;
  private complete: Buffer | null = null;

  constructor(options: EventReaderOptions = {}) {
    this.verify = options.verifyChecksums ?? true;
    this.beforeFde = options.checksumBeforeFde ?? 'detect';
    this.maxEventSize = options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;
    this.magicSeen = options.expectMagic === false ? BIN_LOG_HEADER_SIZE : 0;
    this.fdeRequiredNext = options.expectMagic !== false && !options.format;
    this.pos = options.startOffset ?? 0;
    this.fde = options.format;
  }

  /** The FORMAT_DESCRIPTION governing the events read so far, if one was seen or given. */
  get format(): FormatDescription | undefined {
    return this.fde;
  }

  /** Stream offset of the next byte not yet consumed. */
  get offset(): number {
    return this.pos;
  }

  /** Bytes held for an event not yet complete. */
  get bufferedBytes(): number {
    return this.partial ? this.partialFill : this.headerFill;
  }

  /** Consumes a chunk; returns the events it completes, in order. On an error the events of
   *  this chunk before the bad one are lost with the exception: use events() to get them first. */
  feed(chunk: Uint8Array): BinlogEvent[] {
    return [...this.events(chunk)];
  }

  /** Consumes a chunk, yielding each event as soon as it is complete; an error is thrown only
   *  after every good event before it was yielded. Iterate it to the end: bytes of the chunk
   *  after an early `break` are never consumed. */
  *events(chunk: Uint8Array): Generator<BinlogEvent, void, undefined> {
    let i = 0;
    const len = chunk.length;
    while (this.magicSeen < BIN_LOG_HEADER_SIZE && i < len) {
      if (chunk[i] !== BINLOG_MAGIC[this.magicSeen]) {
        throw new BinlogError('BINLOG_BAD_MAGIC', 'not a binlog file: it does not start with \\xfebin', this.pos);
      }
      this.magicSeen++;
      this.pos++;
      i++;
    }
    while (i < len) {
      if (this.headerFill > 0 || this.partial) {
        i = this.continuePartial(chunk, i);
        if (this.complete) {
          const bytes = this.complete;
          this.complete = null;
          yield this.finish(bytes, this.partialOffset);
        }
        continue;
      }
      const avail = len - i;
      if (avail < LOG_EVENT_HEADER_LEN) {
        this.headerBuf.set(chunk.subarray(i, len), 0);
        this.headerFill = avail;
        this.partialOffset = this.pos;
        this.pos += avail;
        break;
      }
      const size = this.checkSize(readU32(chunk, i + EVENT_LEN_OFFSET), this.pos);
      if (avail >= size) {
        const at = this.pos;
        this.pos += size;
        i += size;
        yield this.finish(chunk.subarray(i - size, i), at);
      } else {
        this.partial = Buffer.allocUnsafe(size);
        this.partial.set(chunk.subarray(i, len), 0);
        this.partialFill = avail;
        this.partialOffset = this.pos;
        this.pos += avail;
        i = len;
      }
    }
  }

  /** Declares the end of input: throws BINLOG_TRUNCATED if it stopped inside an event or the magic. */
  end(): void {
    if (this.magicSeen > 0 && this.magicSeen < BIN_LOG_HEADER_SIZE) {
      throw new BinlogError('BINLOG_TRUNCATED', 'input ends inside the binlog magic', this.pos);
    }
    if (this.partial) {
      throw new BinlogError('BINLOG_TRUNCATED', `input ends inside an event: ${this.partialFill} of ${this.partial.length} bytes present`, this.partialOffset);
    }
    if (this.headerFill > 0) {
      throw new BinlogError('BINLOG_TRUNCATED', `input ends inside an event header: ${this.headerFill} of ${LOG_EVENT_HEADER_LEN} bytes present`, this.partialOffset);
    }
  }

  /** Copies from the chunk into the event being assembled; sets `complete` when it is whole. */
  private continuePartial(chunk: Uint8Array, i: number): number {
    const len = chunk.length;
    if (!this.partial) {
      const take = Math.min(LOG_EVENT_HEADER_LEN - this.headerFill, len - i);
      this.headerBuf.set(chunk.subarray(i, i + take), this.headerFill);
      this.headerFill += take;
      this.pos += take;
      i += take;
      if (this.headerFill < LOG_EVENT_HEADER_LEN) return i;
      const size = this.checkSize(readU32(this.headerBuf, EVENT_LEN_OFFSET), this.partialOffset);
      this.partial = Buffer.allocUnsafe(size);
      this.partial.set(this.headerBuf, 0);
      this.partialFill = LOG_EVENT_HEADER_LEN;
      this.headerFill = 0;
    }
    const take = Math.min(this.partial.length - this.partialFill, len - i);
    this.partial.set(chunk.subarray(i, i + take), this.partialFill);
    this.partialFill += take;
    this.pos += take;
    i += take;
    if (this.partialFill === this.partial.length) {
      this.complete = this.partial;
      this.partial = null;
      this.partialFill = 0;
    }
    return i;
  }

  private checkSize(size: number, at: number): number {
    if (size < LOG_EVENT_HEADER_LEN) {
      throw new BinlogError('BINLOG_BAD_EVENT_LENGTH', `event length ${size} is shorter than the ${LOG_EVENT_HEADER_LEN}-byte header`, at);
    }
    if (size > this.maxEventSize) {
      throw new BinlogError('BINLOG_BAD_EVENT_LENGTH', `event length ${size} exceeds the limit of ${this.maxEventSize} bytes`, at);
    }
    return size;
  }

  private finish(bytes: Uint8Array, offset: number): BinlogEvent {
    const header = readEventHeader(bytes, 0, offset);
    let checksumLength: 0 | 4;
    if (this.fdeRequiredNext && header.type !== FORMAT_DESCRIPTION_EVENT) {
      if (bytes.length >= LOG_EVENT_HEADER_LEN + BINLOG_CHECKSUM_LEN && !hasValidChecksum(bytes)) verifyEventChecksum(bytes, offset);
      throw new BinlogError('BINLOG_BAD_EVENT', `a binlog file must start with FORMAT_DESCRIPTION, found type ${header.type}`, offset);
    }
    this.fdeRequiredNext = false;
    if (header.type === FORMAT_DESCRIPTION_EVENT) {
      let fde: FormatDescription;
      try {
        fde = parseFormatDescription(bytes);
      } catch (err) {
        // A damaged FDE usually shows first as a bad CRC; report that when it is the case.
        if (bytes.length >= LOG_EVENT_HEADER_LEN + BINLOG_CHECKSUM_LEN && !hasValidChecksum(bytes)) {
          verifyEventChecksum(bytes, offset);
        }
        throw rethrowAt(err, offset);
      }
      checksumLength = fde.hasChecksumField ? BINLOG_CHECKSUM_LEN : 0;
      if (checksumLength && this.verify) verifyEventChecksum(bytes, offset);
      this.fde = fde;
      return { offset, header, bytes, checksumLength };
    }
    if (this.fde) {
      checksumLength = eventsHaveChecksum(this.fde) ? BINLOG_CHECKSUM_LEN : 0;
    } else if (this.beforeFde === 'detect' && header.type === ROTATE_EVENT) {
      // Only a dump's first fake ROTATE may lack the CRC (client declared NONE); anything else
      // before the FDE must carry one.
      checksumLength = hasValidChecksum(bytes) ? BINLOG_CHECKSUM_LEN : 0;
      return { offset, header, bytes, checksumLength };
    } else if (this.beforeFde === 'detect') {
      checksumLength = BINLOG_CHECKSUM_LEN;
    } else {
      checksumLength = this.beforeFde === 'crc32' ? BINLOG_CHECKSUM_LEN : 0;
    }
    if (checksumLength) {
      if (bytes.length < LOG_EVENT_HEADER_LEN + BINLOG_CHECKSUM_LEN) {
        throw new BinlogError('BINLOG_BAD_EVENT_LENGTH', `event of ${bytes.length} bytes has no room for its CRC32`, offset);
      }
      if (this.verify) verifyEventChecksum(bytes, offset);
    }
    return { offset, header, bytes, checksumLength };
  }
}

/** Reads every event of an async byte source (a file read stream, a socket); ends with a
 *  BINLOG_TRUNCATED error if the source stops inside an event. */
export async function* readBinlogEvents(
  source: AsyncIterable<Uint8Array | string>,
  options: EventReaderOptions = {},
): AsyncGenerator<BinlogEvent, void, undefined> {
  const reader = new BinlogEventReader(options);
  for await (const chunk of source) {
    if (typeof chunk === 'string') throw new TypeError('binlog source must yield bytes, not strings');
    yield* reader.events(chunk);
  }
  reader.end();
}

function readU32(buf: Uint8Array, o: number): number {
  return (buf[o]! | (buf[o + 1]! << 8) | (buf[o + 2]! << 16)) + buf[o + 3]! * 0x1000000;
}

function rethrowAt(err: unknown, offset: number): unknown {
  if (err instanceof BinlogError && err.offset === undefined) return new BinlogError(err.code, err.message, offset);
  return err;
}
