// What the binlog server reads from the relay log: its files, their FORMAT_DESCRIPTION and
// GTID_LIST events, committed bytes, and a wake-up when new bytes are committed. One instance
// serves every session: it keeps one 'advance' listener and caches what never changes once
// published (a file's FDE, its GTID_LIST).
import { performance } from 'node:perf_hooks';
import { BINLOG_CHECKSUM_ALG_CRC32 } from '../binlog/event-checksum.js';
import { EVENT_LEN_OFFSET, eventLengthAt, LOG_EVENT_HEADER_LEN, readEventHeader } from '../binlog/event-header.js';
import { FORMAT_DESCRIPTION_EVENT, GTID_EVENT, GTID_LIST_EVENT } from '../binlog/event-type.js';
import { eventsHaveChecksum, parseFormatDescription, type FormatDescription } from '../binlog/format-description.js';
import { MariaDbGtidSet, type MariaDbGtid } from '../binlog/gtid-set-mariadb.js';
import { parseMariaDbGtidEvent } from '../binlog/mariadb-gtid-event.js';
import { parseMariaDbGtidListEvent } from '../binlog/mariadb-gtid-list-event.js';
import type { RelayFile } from '../relaylog/relay-files.js';
import type { RelayLog } from '../relaylog/relay-log.js';
import type { BinlogFileReader } from '../relaylog/binlog-dir.js';
import { readFileSpan, type RelaySpan } from '../relaylog/file-span.js';
import { RelayCorruptError, RelayReadError } from '../relaylog/relay-errors.js';
import { hasValidChecksum } from '../binlog/event-checksum.js';
import { VerifiedRanges } from './verified-ranges.js';
import { ChunkCursor } from './chunk-cursor.js';
import { BinlogState } from './gtid-start.js';

export interface FileFormat {
  /** The FDE as the relay holds it (IN_USE already cleared by the upstream's dump). */
  bytes: Buffer;
  format: FormatDescription;
  /** Events of the file end with a CRC32. */
  checksum: boolean;
}


export class RelaySource {
  readonly relay: RelayLog;
  /** Byte ranges of each file whose CRCs were checked since start, by file seq. */
  readonly #verified = new Map<number, VerifiedRanges>();
  /** Corruption already reported (an error passes through several catch sites). */
  readonly #reported = new WeakSet<Error>();
  #waiters: (() => void)[] = [];
  #formats = new Map<number, FileFormat | null>();
  #gtidLists = new Map<number, MariaDbGtid[]>();
  #stateScan: { fileSeq: number; pos: number; state: BinlogState } | null = null;
  #scanning: Promise<BinlogState> | null = null;
  readonly #onAdvance = (): void => {
    this.lastAdvanceAtMs = performance.now();
    this.#wakeAll();
  };
  /** When the relay last published a commit (performance.now()). */
  lastAdvanceAtMs = 0;
  /** Told, in seconds, how long a commit took from its publication to a replica's socket. */
  onCommitServed: ((seconds: number) => void) | undefined;
  /** This node may hold more than it has applied (restarted and not yet told what is committed,
   *  no leader, entries not yet applied): a request past its end waits instead of failing. */
  catchingUp: () => boolean = () => false;

  constructor(relay: RelayLog) {
    this.relay = relay;
    relay.on('advance', this.#onAdvance);
  }

  close(): void {
    this.relay.off('advance', this.#onAdvance);
    this.#wakeAll();
  }

  #wakeAll(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves at the next commit that makes bytes servable (or when the source closes). */
  nextAdvance(): { promise: Promise<void>; cancel: () => void } {
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.#waiters.push(wake);
    return {
      promise,
      cancel: () => {
        const i = this.#waiters.indexOf(wake);
        if (i >= 0) this.#waiters.splice(i, 1);
      },
    };
  }

  get flavor(): 'mariadb' | 'mysql' | null {
    return this.relay.flavor;
  }

  files(): readonly RelayFile[] {
    return this.relay.allFiles();
  }

  fileBySeq(seq: number): RelayFile | undefined {
    return this.relay.fileBySeq(seq);
  }

  fileByName(name: string): RelayFile | undefined {
    return this.relay.fileByName(name);
  }

  /** The file after `file` in the relay's order, once it exists. */
  nextFile(file: RelayFile): RelayFile | undefined {
    return this.relay.nextFile(file);
  }

  format(file: RelayFile): FileFormat | null {
    const cached = this.#formats.get(file.seq);
    if (cached) return cached;
    if (!file.fde) return null;
    const bytes = Buffer.from(file.fde, 'base64');
    const format = parseFormatDescription(bytes);
    const entry: FileFormat = { bytes, format, checksum: eventsHaveChecksum(format) };
    this.#formats.set(file.seq, entry);
    return entry;
  }

  /** @@binlog_checksum as the relay's newest file has it (CRC32 before any file). */
  binlogChecksum(): 'CRC32' | 'NONE' {
    const last = this.relay.lastFile();
    const f = last ? this.format(last) : null;
    return !f || f.format.checksumAlg === BINLOG_CHECKSUM_ALG_CRC32 ? 'CRC32' : 'NONE';
  }

  /** A read found bytes the relay cannot vouch for: the node must stop (fail-stop), and the
   *  reader gets the error. Other errors pass through untouched. */
  failOn(err: unknown): unknown {
    if (err instanceof RelayCorruptError && !this.#reported.has(err)) {
      this.#reported.add(err);
      this.relay.emit('corrupt', err);
    }
    return err;
  }

  /** Opens `file` for reading (held against deletion until released). */
  openFile(file: RelayFile): Promise<BinlogFileReader> {
    return this.relay.dir.openReader(file.name);
  }

  /** Committed bytes of `file` from `pos` (an event start), one read's worth, null at the
   *  served end. For the scans of this class; dumps stream through SpanReader. */
  async readSpan(file: RelayFile, pos: number): Promise<RelaySpan | null> {
    const handle = await this.openFile(file);
    try {
      const span = await readFileSpan(handle, file.name, pos, file.endPos);
      if (span) this.verify(file, span);
      return span;
    } catch (err) {
      throw this.failOn(err);
    } finally {
      await handle.release();
    }
  }

  /**
   * Checks the CRC32 of every event of `span` the first time its bytes are read since start
   * (readers following each other share the work). A mismatch is corruption: the relay is told
   * (the node stops) and the read fails, so wrong bytes are never served.
   */
  verify(file: RelayFile, span: RelaySpan): void {
    const ranges = this.#verified.get(file.seq) ?? new VerifiedRanges();
    this.#verified.set(file.seq, ranges);
    if (ranges.covers(span.startPos, span.endPos)) return;
    const fmt = this.format(file);
    let at = span.startPos;
    for (const chunk of span.chunks) {
      let o = 0;
      while (o < chunk.length) {
        const length = eventLengthAt(chunk, o);
        const event = chunk.subarray(o, o + length);
        if (fmt?.checksum && at + o >= 4 + fmt.bytes.length && !hasValidChecksum(event)) {
          throw this.failOn(new RelayCorruptError(`binlog file ${this.relay.dir.filePath(file.name)}: event at ${at + o} fails its CRC32`));
        }
        o += length;
      }
      at += chunk.length;
    }
    ranges.add(span.startPos, span.endPos);
  }

  /** Throws RELAY_POSITION_MID_EVENT unless `pos` starts an event of `file` (or is its end):
   *  walks event headers from the nearest known event start before it. */
  async checkEventStart(file: RelayFile, pos: number, handle: BinlogFileReader): Promise<void> {
    if (pos < file.firstPos) throw new RelayReadError('RELAY_POSITION_UNKNOWN', `${file.name}:${pos} is before the relay's first position ${file.firstPos}`);
    const ranges = this.#verified.get(file.seq);
    if (pos === file.firstPos || pos === file.endPos || ranges?.isBoundary(pos)) return;
    let at = Math.max(file.firstPos, ranges?.boundaryBefore(pos) ?? file.firstPos);
    while (at < pos) {
      const span = await readFileSpan(handle, file.name, at, file.endPos).catch((err: unknown) => {
        throw this.failOn(err);
      });
      if (!span) break;
      const chunk = span.chunks[0]!;
      let o = 0;
      while (o < chunk.length && at + o < pos) o += eventLengthAt(chunk, o);
      at += o;
    }
    if (at !== pos) throw new RelayReadError('RELAY_POSITION_MID_EVENT', `${file.name}:${pos} is in the middle of an event`);
  }

  /** The GTID_LIST a MariaDB file starts with (its binlog state), from the relay's bytes; the
   *  file's starting GTID state when the relay does not hold the file's start. */
  async gtidList(file: RelayFile): Promise<MariaDbGtid[]> {
    const cached = this.#gtidLists.get(file.seq);
    if (cached) return cached;
    let list: MariaDbGtid[] | null = null;
    if (file.firstPos === 4) {
      const span = await this.readSpan(file, 4);
      if (span) {
        const fmt = this.format(file);
        const cursor = new ChunkCursor(span.chunks);
        // FDE, then (MariaDB) the GTID_LIST; a few events at most.
        for (let n = 0; n < 4 && cursor.remaining >= LOG_EVENT_HEADER_LEN; n++) {
          const length = cursor.peekU32(EVENT_LEN_OFFSET);
          const bytes = cursor.peek(length);
          const header = readEventHeader(bytes);
          if (header.type === GTID_LIST_EVENT) {
            list = parseMariaDbGtidListEvent({ offset: 0, header, bytes, checksumLength: fmt?.checksum ? 4 : 0 }).gtids;
            break;
          }
          if (header.type !== FORMAT_DESCRIPTION_EVENT && n > 0) break;
          cursor.skip(length);
        }
      }
    }
    if (list === null) list = MariaDbGtidSet.parse(file.startGtids).gtids();
    if (file.endPos > file.firstPos) this.#gtidLists.set(file.seq, list);
    return list;
  }

  /** A subset of the binlog state known without scanning: the newest file's GTID_LIST and the
   *  last GTID of each domain. */
  async quickBinlogState(): Promise<BinlogState> {
    const last = this.relay.lastFile();
    const state = new BinlogState(last ? await this.gtidList(last) : []);
    for (const g of this.relay.executedGtids.mariadbSet.gtids()) state.update(g);
    return state;
  }

  /**
   * MariaDB's binlog state (the last GTID of each domain and server_id): the newest file's
   * GTID_LIST plus the GTID events of that file, scanned once and then incrementally.
   */
  binlogState(): Promise<BinlogState> {
    const run = (this.#scanning ?? Promise.resolve(null)).then(() => this.#scanState());
    this.#scanning = run.catch(() => new BinlogState([]));
    return run;
  }

  async #scanState(): Promise<BinlogState> {
    const last = this.relay.lastFile();
    if (!last) return new BinlogState([]);
    if (!this.#stateScan || this.#stateScan.fileSeq !== last.seq) {
      this.#stateScan = { fileSeq: last.seq, pos: last.firstPos, state: new BinlogState(await this.gtidList(last)) };
    }
    const scan = this.#stateScan;
    const fmt = this.format(last);
    while (scan.pos < last.endPos) {
      const span = await this.readSpan(last, scan.pos);
      if (!span) break;
      const cursor = new ChunkCursor(span.chunks);
      let at = span.startPos;
      while (cursor.remaining > 0) {
        const length = cursor.peekU32(EVENT_LEN_OFFSET);
        if (cursor.peek(LOG_EVENT_HEADER_LEN)[4] === GTID_EVENT) {
          const bytes = cursor.peek(length);
          scan.state.update(parseMariaDbGtidEvent({ offset: at, header: readEventHeader(bytes), bytes, checksumLength: fmt?.checksum ? 4 : 0 }).gtid);
        }
        cursor.skip(length);
        at += length;
      }
      scan.pos = span.endPos;
    }
    return scan.state;
  }

  /**
   * BINLOG_GTID_POS(name, pos): the GTID position of a replica that stopped at `pos` of `name`:
   * the file's starting state plus every GTID event before `pos`. Null when the file is unknown
   * or `pos` is not the start of an event (as MariaDB answers NULL).
   */
  async binlogGtidPos(name: string, pos: number): Promise<string | null> {
    const file = name === '' ? this.relay.allFiles()[0] : this.fileByName(name);
    if (!file) return null;
    const target = Math.max(pos, 4);
    if (target > file.endPos || target < file.firstPos) return null;
    const fmt = this.format(file);
    const state = MariaDbGtidSet.parse(this.relay.flavor === 'mariadb' ? file.startGtids : '');
    let at = file.firstPos;
    while (at < target) {
      const span = await this.readSpan(file, at);
      if (!span) return null;
      const cursor = new ChunkCursor(span.chunks);
      while (cursor.remaining > 0 && at < target) {
        const length = cursor.peekU32(EVENT_LEN_OFFSET);
        if (cursor.peek(LOG_EVENT_HEADER_LEN)[4] === GTID_EVENT) {
          const bytes = cursor.peek(length);
          const event = { offset: at, header: readEventHeader(bytes), bytes, checksumLength: (fmt?.checksum ? 4 : 0) as 0 | 4 };
          state.update(parseMariaDbGtidEvent(event).gtid);
        }
        cursor.skip(length);
        at += length;
      }
    }
    return at === target ? state.toString() : null;
  }
}
