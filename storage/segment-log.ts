// The raft log's entries in append-only segment files, `<dir>/<epoch>-<first index>.seg`, each a
// 24-byte header (magic, epoch, first index) then entry records (raft/codec.ts), written through
// an O_DSYNC handle, so one write makes a whole Ready's entries durable (LevelDB copied every value
// on the event loop, wrote it to its own log, then rewrote it in compactions). The handle is also
// O_DIRECT where the file system allows (direct-append.ts: the log skips the page cache, which
// it never reads back); then the file may end in zero padding up to a 4 KiB boundary, which
// open() cuts. Otherwise the entries' own buffers go out in one writev.
//
// Invariants: the segments of the current epoch hold one contiguous run of entries; a segment's
// records are whole and CRC-clean, except that the newest one may end in a torn record after a
// crash, which open() cuts when it is past the commit index (a synced write is never torn, and
// an entry is acknowledged only after its sync). The log is cut from the newest segment down, so
// a crash mid-truncation never leaves a gap. Installing a snapshot starts a new epoch: the store
// records the epoch in LevelDB atomically with the snapshot, and files of any other epoch are
// leftovers that open() deletes.
import { constants } from 'node:fs';
import { mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  decodeEntryRecord, ENTRY_RECORD_HEADER_BYTES, encodeEntryRecordHeader, entryRecordLength,
} from '../raft/codec.js';
import type { Entry } from '../raft/core/types.js';
import { DIRECT_BLOCK, SyncedAppends, type AppendFile } from './direct-append.js';
import { StorageError } from './storage-error.js';
import { syncDirectory } from './sync-directory.js';
import { TermRuns } from './term-runs.js';

const MAGIC = Buffer.from('BRRAFT01', 'latin1');
const FILE_HEADER_BYTES = 24;
const NAME = /^(\d{10})-(\d{20})\.seg$/;
const SCAN_WINDOW = 4 * 1024 * 1024;

interface Segment {
  readonly epoch: number;
  readonly first: number;
  readonly path: string;
  /** File offset of the record of entry first + k. */
  readonly offsets: number[];
  /** End of the last whole record. */
  size: number;
  /** Bumped when the segment is cut or deleted: a read that raced it drops its result. */
  changes: number;
  removed: boolean;
}

export interface SegmentLogOptions {
  /** The epoch the store recorded; files of other epochs are deleted. */
  readonly epoch: number;
  /** First index the store keeps (snapshot index + 1): older entries are not part of the log. */
  readonly firstIndex: number;
  /** Entries up to here are committed: a bad record among them is corruption, never a torn tail. */
  readonly commit: number;
  /** A segment is closed once it holds this many bytes. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Appends bypass the page cache (O_DIRECT) where the file system allows. Default true. */
  readonly directIo?: boolean;
  readonly logger: Logger;
}

export interface OpenedSegmentLog {
  readonly log: SegmentLog;
  /** Terms of the entries from firstIndex on. */
  readonly runs: TermRuns;
  /** The last entry's index, or firstIndex - 1 when the log holds none from firstIndex on. */
  readonly lastIndex: number;
}

function corrupt(message: string, cause?: unknown): StorageError {
  return new StorageError('ERR_STORAGE_CORRUPT', message, cause === undefined ? {} : { cause });
}

function segmentName(epoch: number, first: number): string {
  return `${String(epoch).padStart(10, '0')}-${String(first).padStart(20, '0')}.seg`;
}

function fileHeader(epoch: number, first: number): Buffer {
  const b = Buffer.alloc(FILE_HEADER_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt32BE(epoch, 8);
  b.writeUInt32BE(Math.floor(first / 0x1_0000_0000), 16);
  b.writeUInt32BE(first % 0x1_0000_0000, 20);
  return b;
}

interface Writer extends AppendFile {
  readonly segment: Segment;
}

export class SegmentLog {
  private writer: Writer | null = null;

  private constructor(
    private readonly dir: string,
    private epoch: number,
    private segments: Segment[],
    private readonly segmentBytes: number,
    private readonly log: Logger,
    private readonly appends: SyncedAppends,
  ) {}

  /** Opens (creating) the directory, deletes leftovers, scans every kept record (CRC and
   *  contiguity) and cuts a torn tail. */
  static async open(dir: string, options: SegmentLogOptions): Promise<OpenedSegmentLog> {
    await mkdir(dir, { recursive: true });
    const found: Segment[] = [];
    for (const name of (await readdir(dir)).sort()) {
      const m = NAME.exec(name);
      if (m === null) continue;
      const epoch = Number(m[1]);
      const path = join(dir, name);
      if (epoch !== options.epoch) {
        options.logger.info({ event: 'storage.segment.stale_epoch', file: name, epoch: options.epoch }, 'deleting a raft log segment of an older epoch');
        await unlink(path);
        continue;
      }
      found.push({ epoch, first: Number(m[2]), path, offsets: [], size: 0, changes: 0, removed: false });
    }
    found.sort((a, b) => a.first - b.first);
    // Whole segments before the first kept index are compaction leftovers.
    while (found.length > 1 && found[1]!.first <= options.firstIndex) {
      await unlink(found.shift()!.path);
    }
    const runs = TermRuns.empty();
    let next = found[0]?.first ?? options.firstIndex;
    for (let k = 0; k < found.length; k++) {
      const seg = found[k]!;
      const newest = k === found.length - 1;
      if (seg.first !== next) throw corrupt(`raft log segment ${seg.path} starts at ${seg.first}, expected ${next}`);
      await scanSegment(seg, newest ? options.commit : Number.POSITIVE_INFINITY, options.logger, (index, term) => {
        if (index < options.firstIndex) return;
        try {
          runs.append(index, term);
        } catch (err) {
          throw corrupt(`raft log entry ${index} in ${seg.path}: ${(err as Error).message}`);
        }
      });
      next = seg.first + seg.offsets.length;
    }
    if (found.length > 0 && found[found.length - 1]!.offsets.length === 0 && found.length > 1) {
      // A segment created just before a crash, with no record in it yet.
      await unlink(found.pop()!.path);
    }
    const lastIndex = found.length === 0 ? options.firstIndex - 1 : next - 1;
    if (found.length > 0 && found[0]!.first > options.firstIndex && found[0]!.offsets.length > 0) {
      throw corrupt(`raft log starts at ${found[0]!.first}, but the snapshot ends at ${options.firstIndex - 1}`);
    }
    if (lastIndex < options.firstIndex - 1 && found.some((s) => s.offsets.length > 0)) {
      throw corrupt(`raft log ends at ${lastIndex}, before the snapshot index ${options.firstIndex - 1}`);
    }
    const log = new SegmentLog(dir, options.epoch, found, options.segmentBytes ?? 64 * 1024 * 1024, options.logger,
      new SyncedAppends(options.directIo ?? true, options.logger));
    return { log, runs, lastIndex: Math.max(lastIndex, options.firstIndex - 1) };
  }

  /** Index of the newest entry on disk, or null when the current epoch has none. */
  lastEntry(): number | null {
    const seg = this.segments[this.segments.length - 1];
    return seg === undefined || seg.offsets.length === 0 ? null : seg.first + seg.offsets.length - 1;
  }

  /** Appends contiguous entries after the newest one (any index when the epoch has none). */
  async append(entries: readonly Entry[], sync: boolean): Promise<void> {
    if (entries.length === 0) return;
    const last = this.lastEntry();
    if (last !== null && entries[0]!.index !== last + 1) {
      throw new StorageError('ERR_STORAGE_INVALID_ARGUMENT', `segment append at ${entries[0]!.index} after ${last}`);
    }
    let w = this.writer;
    const active = this.segments[this.segments.length - 1];
    if (active === undefined || active.offsets.length === 0 && active.first !== entries[0]!.index || active.size >= this.segmentBytes) {
      w = await this.startSegment(entries[0]!.index);
    } else if (w === null || w.segment !== active) {
      w = await this.openWriter(active);
    }
    const seg = w.segment;
    const buffers: Uint8Array[] = [];
    const offsets: number[] = [];
    let pos = seg.size;
    for (const e of entries) {
      const header = encodeEntryRecordHeader(e);
      buffers.push(header);
      if (e.data.length > 0) buffers.push(e.data);
      offsets.push(pos);
      pos += header.length + e.data.length;
    }
    // The write handle is O_DSYNC: the write returns durable (one trip to the thread pool instead
    // of a write and an fdatasync; `sync` is kept for callers, every append is synced).
    void sync;
    this.writer = await this.write(w, seg.size, buffers);
    for (const o of offsets) seg.offsets.push(o);
    seg.size = pos;
  }

  /** Removes the entries from `index` on: newer segments are deleted newest first, then the one
   *  holding `index` is cut. */
  async truncateFrom(index: number): Promise<void> {
    while (this.segments.length > 0 && this.segments[this.segments.length - 1]!.first >= index) {
      await this.remove([this.segments.pop()!]);
    }
    const seg = this.segments[this.segments.length - 1];
    if (seg === undefined || index >= seg.first + seg.offsets.length) return;
    const k = index - seg.first;
    const w = this.writer?.segment === seg ? this.writer : await this.openWriter(seg);
    seg.size = seg.offsets[k]!;
    seg.offsets.length = k;
    seg.changes++;
    this.appends.forget();
    await w.handle.truncate(seg.size);
  }

  /** Deletes every segment but the newest whose entries all lie before `index` (compaction). */
  async dropBefore(index: number): Promise<void> {
    let n = 0;
    while (n < this.segments.length - 1 && this.segments[n + 1]!.first <= index) n++;
    if (n > 0) await this.remove(this.segments.splice(0, n));
  }

  /** Starts an empty log in `epoch` (a snapshot replaced it) and returns the old segments; the
   *  caller deletes them with remove() once the new epoch is recorded. */
  async startEpoch(epoch: number): Promise<Segment[]> {
    await this.closeWriter();
    const old = this.segments;
    this.segments = [];
    this.epoch = epoch;
    return old;
  }

  /** Deletes segments (their reads in flight drop their results). */
  async remove(segments: readonly Segment[]): Promise<void> {
    for (const seg of segments) {
      if (this.writer?.segment === seg) await this.closeWriter();
      seg.removed = true;
      seg.changes++;
      await unlink(seg.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }

  /**
   * Reads entries from `lo` (below `hi`) within one segment until about `bytesMax` of payload
   * (at least one entry). A truncation or deletion racing the read may shorten the result (to
   * nothing): the caller drops what it replaced anyway.
   */
  async read(lo: number, hi: number, bytesMax: number): Promise<Entry[]> {
    const seg = this.segmentOf(lo);
    if (seg === null) throw corrupt(`raft log entry ${lo} is in no segment`);
    const changes = seg.changes;
    const k0 = lo - seg.first;
    let k1 = k0 + 1;
    let bytes = this.recordEnd(seg, k0) - seg.offsets[k0]!;
    while (k1 < seg.offsets.length && seg.first + k1 < hi && bytes < bytesMax) {
      bytes += this.recordEnd(seg, k1) - seg.offsets[k1]!;
      k1++;
    }
    // The bounds are taken now: a truncation during the read changes seg.offsets.
    const offsets = seg.offsets.slice(k0, k1);
    const start = offsets[0]!;
    const end = this.recordEnd(seg, k1 - 1);
    const buf = Buffer.allocUnsafe(end - start);
    try {
      await readFully(seg.path, buf, start);
    } catch (err) {
      if (seg.changes !== changes) return [];
      throw corrupt(`cannot read raft log entries ${lo}… from ${seg.path}`, err);
    }
    const out: Entry[] = [];
    let at = start;
    for (let k = k0; k < k1; k++) {
      const length = k + 1 < k1 ? offsets[k + 1 - k0]! - at : end - at;
      try {
        out.push(decodeEntryRecord(buf.subarray(at - start, at - start + length), seg.first + k));
      } catch (err) {
        // A truncation that raced the read leaves what was before its cut intact: keep that
        // (the store drops entries from the cut on).
        if (seg.changes !== changes) return out;
        throw corrupt(`raft log entry ${seg.first + k} in ${seg.path} does not decode`, err);
      }
      at += length;
    }
    return out;
  }

  /** The lowest index from which the newest entries add up to at least `bytesMax` bytes on disk
   *  (never below `floor`). */
  tailStart(bytesMax: number, floor: number): number {
    let bytes = 0;
    for (let s = this.segments.length - 1; s >= 0; s--) {
      const seg = this.segments[s]!;
      for (let k = seg.offsets.length - 1; k >= 0; k--) {
        if (seg.first + k < floor) return floor;
        bytes += this.recordEnd(seg, k) - seg.offsets[k]!;
        if (bytes >= bytesMax) return seg.first + k;
      }
    }
    return Math.max(floor, this.segments[0]?.first ?? floor);
  }

  /** The segment files, oldest first (for status and tests). */
  files(): { path: string; first: number; entries: number; bytes: number }[] {
    return this.segments.map((s) => ({ path: s.path, first: s.first, entries: s.offsets.length, bytes: s.size }));
  }

  async close(): Promise<void> {
    await this.closeWriter();
  }

  // ---- internals ----

  private segmentOf(index: number): Segment | null {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const seg = this.segments[mid]!;
      if (index < seg.first) hi = mid - 1;
      else if (index >= seg.first + seg.offsets.length) lo = mid + 1;
      else return seg;
    }
    return null;
  }

  private recordEnd(seg: Segment, k: number): number {
    return k + 1 < seg.offsets.length ? seg.offsets[k + 1]! : seg.size;
  }

  private async startSegment(first: number): Promise<Writer> {
    await this.closeWriter();
    const active = this.segments[this.segments.length - 1];
    if (active !== undefined && active.offsets.length === 0) await this.remove([this.segments.pop()!]);
    const path = join(this.dir, segmentName(this.epoch, first));
    const segment: Segment = { epoch: this.epoch, first, path, offsets: [], size: 0, changes: 0, removed: false };
    let w = await this.openHandle(segment, constants.O_CREAT | constants.O_TRUNC);
    try {
      w = await this.write(w, 0, [fileHeader(this.epoch, first)]);
      await syncDirectory(this.dir);
    } catch (err) {
      await w.handle.close();
      throw err;
    }
    segment.size = FILE_HEADER_BYTES;
    this.segments.push(segment);
    this.writer = w;
    this.log.debug({ event: 'storage.segment.started', file: path, first, direct: w.direct }, 'raft log segment started');
    return w;
  }

  private async openWriter(segment: Segment): Promise<Writer> {
    await this.closeWriter();
    this.writer = await this.openHandle(segment, 0);
    return this.writer;
  }

  private async openHandle(segment: Segment, flags: number): Promise<Writer> {
    return { segment, ...(await this.appends.open(segment.path, flags)) };
  }

  /** Writes `buffers` at `position`, durably; returns the writer to use from now on. */
  private async write(w: Writer, position: number, buffers: readonly Uint8Array[]): Promise<Writer> {
    const file = await this.appends.write(w, w.segment.path, position, buffers);
    return file === w ? w : { segment: w.segment, ...file };
  }

  /** Closes the write handle (O_DSYNC: everything written through it is durable already), cutting
   *  the zero padding of direct writes so that a cleanly closed file ends with its last record. */
  private async closeWriter(): Promise<void> {
    const w = this.writer;
    if (w === null) return;
    this.writer = null;
    try {
      if (w.direct && !w.segment.removed && w.segment.size % DIRECT_BLOCK !== 0) await w.handle.truncate(w.segment.size);
    } finally {
      await w.handle.close();
    }
  }
}

/** Reads a segment's records, checking each one's CRC and index, and fills its offsets. A bad
 *  record past `commit` is a torn tail: the file is cut there. Anything else bad is corruption. */
async function scanSegment(seg: Segment, commit: number, log: Logger, onEntry: (index: number, term: number) => void): Promise<void> {
  const handle = await open(seg.path, 'r+');
  try {
    const fileSize = (await handle.stat()).size;
    const reader = new WindowReader(handle, fileSize);
    const head = await reader.bytes(0, FILE_HEADER_BYTES);
    if (head === null) {
      // Created just before a crash: nothing in it was ever acknowledged.
      seg.size = FILE_HEADER_BYTES;
      await handle.truncate(0);
      await handle.writeFile(fileHeader(seg.epoch, seg.first));
      return;
    }
    if (!head.subarray(0, 8).equals(MAGIC) || head.readUInt32BE(8) !== seg.epoch
      || head.readUInt32BE(16) * 0x1_0000_0000 + head.readUInt32BE(20) !== seg.first) {
      throw corrupt(`raft log segment ${seg.path} has a bad header`);
    }
    let pos = FILE_HEADER_BYTES;
    while (pos < fileSize) {
      const index = seg.first + seg.offsets.length;
      let problem: string | null = null;
      let cause: unknown;
      const prefix = await reader.bytes(pos, 8);
      const length = prefix === null ? 0 : entryRecordLength(prefix);
      if (prefix === null || length < ENTRY_RECORD_HEADER_BYTES || pos + length > fileSize) {
        problem = `a record cut short at offset ${pos}`;
      } else {
        const rec = (await reader.bytes(pos, length))!;
        try {
          const e = decodeEntryRecord(rec, index);
          onEntry(e.index, e.term);
        } catch (err) {
          if (err instanceof StorageError) throw err;
          problem = `a bad record at offset ${pos}`;
          cause = err;
        }
      }
      if (problem !== null && await isPadding(reader, pos, fileSize)) {
        // The zero padding of a direct write's last block (direct-append.ts), not a record.
        await handle.truncate(pos);
        break;
      }
      if (problem !== null) {
        if (index <= commit) throw corrupt(`raft log entry ${index} in ${seg.path}: ${problem} (committed up to ${commit})`, cause);
        log.warn({ event: 'storage.segment.torn_tail', file: seg.path, index, offset: pos, cutBytes: fileSize - pos }, 'cutting a torn raft log tail');
        await handle.truncate(pos);
        await handle.datasync();
        break;
      }
      seg.offsets.push(pos);
      pos += length;
    }
    seg.size = pos;
  } finally {
    await handle.close();
  }
}

/** The file holds only zeros from `pos` on, less than one block of them. */
async function isPadding(reader: WindowReader, pos: number, fileSize: number): Promise<boolean> {
  if (fileSize - pos >= DIRECT_BLOCK) return false;
  const rest = await reader.bytes(pos, fileSize - pos);
  return rest !== null && rest.every((b) => b === 0);
}

/** Sequential reads through a window of SCAN_WINDOW bytes (or one record, if larger). */
class WindowReader {
  private window = Buffer.alloc(0);
  private windowStart = 0;
  private windowEnd = 0;

  constructor(private readonly handle: FileHandle, private readonly fileSize: number) {}

  /** Bytes [pos, pos + n), or null past the end of the file. Valid until the next call. */
  async bytes(pos: number, n: number): Promise<Buffer | null> {
    if (pos + n > this.fileSize) return null;
    if (pos < this.windowStart || pos + n > this.windowEnd) {
      const size = Math.min(Math.max(n, SCAN_WINDOW), this.fileSize - pos);
      if (this.window.length < size) this.window = Buffer.allocUnsafe(Math.max(size, SCAN_WINDOW));
      this.windowEnd = this.windowStart;
      let got = 0;
      while (got < size) {
        const { bytesRead } = await this.handle.read(this.window, got, size - got, pos + got);
        if (bytesRead === 0) return null;
        got += bytesRead;
      }
      this.windowStart = pos;
      this.windowEnd = pos + size;
    }
    return this.window.subarray(pos - this.windowStart, pos - this.windowStart + n);
  }
}

async function readFully(path: string, buf: Buffer, position: number): Promise<void> {
  const handle = await open(path, 'r');
  try {
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await handle.read(buf, got, buf.length - got, position + got);
      if (bytesRead === 0) throw new Error(`${path} ends at ${position + got}, expected ${position + buf.length}`);
      got += bytesRead;
    }
  } finally {
    await handle.close();
  }
}
