// Turns the upstream's dump stream into relay records (src/relaylog/relay-entry.ts): it follows
// the file and position from the dump's ROTATE events, drops what the upstream made up for the
// dump (fake ROTATE and GTID_LIST, heartbeats, a FORMAT_DESCRIPTION that is not at its place in
// the file), skips events the relay already holds, and cuts the bytes into records:
//   - at transaction boundaries, batching whole transactions up to `batchBytes`;
//   - inside a transaction larger than `maxRecordBytes`, into pieces without the boundary flag
//     (the relay log holds them back until the piece that ends the transaction).
// A MariaDB GTID start (start.file null) streams the resume file's head (FDE, GTID_LIST, …)
// before skipping to the resume point, marked by a fake GTID_LIST: the relay's file starts there,
// and the FDE with that GTID_LIST travels in a FORMAT record. A MySQL GTID start
// (COM_BINLOG_DUMP_GTID) skips what the relay was asked to start after without such a marker: the
// relay's file starts at the first transaction sent, with a PREVIOUS_GTIDS of the start set.
import type { BinlogEvent } from '../binlog/binlog-event.js';
import { LOG_EVENT_ARTIFICIAL_F } from '../binlog/event-header.js';
import { FORMAT_DESCRIPTION_EVENT, GTID_LIST_EVENT, HEARTBEAT_LOG_EVENT, HEARTBEAT_LOG_EVENT_V2, ROTATE_EVENT } from '../binlog/event-type.js';
import { parseRotateEvent } from '../binlog/rotate-event.js';
import { isMysqlGtidEventType } from '../binlog/mysql-gtid-event.js';
import { MysqlGtidSet } from '../binlog/gtid-set-mysql.js';
import { buildPreviousGtidsEvent } from '../binlog/previous-gtids-event.js';
import { eventsHaveChecksum, parseFormatDescription } from '../binlog/format-description.js';
import { TransactionBoundaryTracker } from '../binlog/transaction-boundary.js';
import { binlogRecordFromParts, type RelayRecord } from '../relaylog/relay-entry.js';

export class SyncerStreamError extends Error {
  constructor(readonly code: 'SYNCER_GAP' | 'SYNCER_NO_FILE', message: string) {
    super(message);
  }
}

export interface RecordBuilderOptions {
  /** Whole transactions are batched into one record up to about this many bytes. */
  batchBytes: number;
  /** Pieces of a large transaction are at most this many bytes. */
  maxRecordBytes: number;
}

export class RecordBuilder {
  private file: string | null;
  private nextPos: number;
  /** File position of buffered[0]'s first byte. */
  private bufferPos = 0;
  private buffered: Uint8Array[] = [];
  private bufferedBytes = 0;
  /** Bytes of the buffer up to the last transaction boundary. */
  private boundaryBytes = 0;
  private readonly tracker = new TransactionBoundaryTracker();
  /** Pieces of the current transaction were emitted without the boundary flag. */
  private piecesOut = false;
  /** GTID start: no event is stored until the dump's fake GTID_LIST marks the resume point. */
  private anchored: boolean;
  private headFde: Buffer | null = null;
  /** Timestamp (s) of the last real event, for lag. */
  lastEventTimestamp = 0;
  /** The upstream sent a heartbeat since the last event: it had nothing newer (idle). */
  idle = false;

  constructor(
    private readonly options: RecordBuilderOptions,
    private readonly emitRecord: (record: RelayRecord) => void,
    start: { file: string | null; pos: number; mysqlStartGtids?: string; translated?: boolean },
  ) {
    this.file = start.file;
    this.nextPos = start.pos;
    // A translated stream (relay-coordinates.ts) names the relay's new file in its first event.
    this.anchored = start.file !== null || start.translated === true;
    this.mysqlStartGtids = start.mysqlStartGtids ?? null;
  }

  private readonly mysqlStartGtids: string | null;

  /** Where the next event is expected: the relay's end plus what was handed out since. */
  get position(): { file: string | null; pos: number } {
    return { file: this.file, pos: this.nextPos };
  }

  /** Pieces of an unfinished transaction were handed out (an ABORT is owed if the stream dies). */
  get owesAbort(): boolean {
    return this.piecesOut;
  }

  push(event: BinlogEvent): void {
    const { type, flags, logPos } = event.header;
    if (type === HEARTBEAT_LOG_EVENT || type === HEARTBEAT_LOG_EVENT_V2) {
      this.idle = true;
      return;
    }
    if (type === ROTATE_EVENT && ((flags & LOG_EVENT_ARTIFICIAL_F) !== 0 || logPos === 0)) {
      const rotate = parseRotateEvent(event);
      if (rotate.nextFile !== this.file) {
        this.flushBoundary();
        if (this.bufferedBytes !== 0) throw new SyncerStreamError('SYNCER_GAP', `file changed to ${rotate.nextFile} inside a transaction`);
        this.file = rotate.nextFile;
        this.nextPos = rotate.position;
        this.bufferPos = rotate.position;
      }
      return;
    }
    if (!this.anchored) {
      this.awaitResumePoint(event);
      if (!this.anchored) return;
      if (type === GTID_LIST_EVENT) return;
    }
    if ((flags & LOG_EVENT_ARTIFICIAL_F) !== 0) return;
    const start = logPos - event.bytes.length;
    if (type === FORMAT_DESCRIPTION_EVENT && (logPos === 0 || start !== this.nextPos)) return;
    if (this.file === null) throw new SyncerStreamError('SYNCER_NO_FILE', 'event before any ROTATE named the file');
    if (start < this.nextPos) return;
    if (start > this.nextPos) {
      throw new SyncerStreamError('SYNCER_GAP', `expected ${this.file}:${this.nextPos}, got an event at ${start}`);
    }
    if (this.bufferedBytes === 0) this.bufferPos = start;
    this.buffered.push(event.bytes); // a view: the callers' event buffers are never reused
    this.bufferedBytes += event.bytes.length;
    this.nextPos = logPos;
    if (event.header.timestamp !== 0) this.lastEventTimestamp = event.header.timestamp;
    this.idle = false;
    this.tracker.feed(event);
    if (!this.tracker.inTransaction) {
      this.boundaryBytes = this.bufferedBytes;
      if (this.bufferedBytes >= this.options.batchBytes) this.flushBoundary();
    } else if (this.bufferedBytes - this.boundaryBytes > this.options.maxRecordBytes) {
      this.flushBoundary();
      this.emitPieces();
    }
  }

  private awaitResumePoint(event: BinlogEvent): void {
    const { type, flags, logPos } = event.header;
    if (type === FORMAT_DESCRIPTION_EVENT) this.headFde = Buffer.from(event.bytes);
    const mariadbMarker = type === GTID_LIST_EVENT && (flags & LOG_EVENT_ARTIFICIAL_F) !== 0;
    const mysqlFirst = this.mysqlStartGtids !== null && isMysqlGtidEventType(type) && (flags & LOG_EVENT_ARTIFICIAL_F) === 0;
    if (!mariadbMarker && !mysqlFirst) return;
    if (this.file === null || this.headFde === null) throw new SyncerStreamError('SYNCER_NO_FILE', 'GTID resume point before the file and its FORMAT_DESCRIPTION');
    const at = mariadbMarker ? logPos : logPos - event.bytes.length;
    this.anchored = true;
    this.nextPos = at;
    this.bufferPos = at;
    const state = mariadbMarker ? event.bytes : buildPreviousGtidsEvent({
      serverId: event.header.serverId, set: MysqlGtidSet.parse(this.mysqlStartGtids!),
      checksum: eventsHaveChecksum(parseFormatDescription(this.headFde)),
    });
    this.emitRecord({ kind: 'format', file: this.file, pos: at, bytes: Buffer.concat([this.headFde, state]) });
  }

  /** Hands out everything up to the last transaction boundary as one record. */
  flushBoundary(): void {
    if (this.boundaryBytes === 0) return;
    const length = this.boundaryBytes;
    this.emitRecord(binlogRecordFromParts(this.file!, this.bufferPos, true, this.take(length), length));
    this.bufferPos += length;
    this.boundaryBytes = 0;
    this.piecesOut = false;
  }

  /** Hands out full pieces of the open transaction, keeping the remainder. */
  private emitPieces(): void {
    const max = this.options.maxRecordBytes;
    while (this.bufferedBytes > max) {
      this.emitRecord(binlogRecordFromParts(this.file!, this.bufferPos, false, this.take(max), max));
      this.bufferPos += max;
      this.piecesOut = true;
    }
  }

  /** Removes the first n buffered bytes, as views (the event buffer straddling n is split). */
  private take(n: number): Uint8Array[] {
    let left = n;
    let i = 0;
    while (left > 0 && this.buffered[i]!.length <= left) left -= this.buffered[i++]!.length;
    const parts = this.buffered.splice(0, i);
    if (left > 0) {
      const head = this.buffered[0]!;
      parts.push(head.subarray(0, left));
      this.buffered[0] = head.subarray(left);
    }
    this.bufferedBytes -= n;
    return parts;
  }
}
