// Continuing by GTID from an upstream whose files are not the relay's (an upstream switch): the
// dump's events are moved into the relay's own file sequence before they become records, so the
// records the syncer proposes already carry the relay's file names and positions and every node
// applies them unchanged (apply stays a plain, deterministic write: nothing to recompute there,
// and a restart or snapshot re-applies the same bytes).
//
// The first relay file after the switch is `nextBinlogName(relay's last file)`. It starts like a
// real binlog: the upstream's FORMAT_DESCRIPTION, then the relay's GTID state (a GTID_LIST for
// MariaDB, a PREVIOUS_GTIDS for MySQL), then the upstream's transactions from the resume point.
// Each event's log_pos is shifted by the distance between the two files; the upstream's ROTATE
// names the relay's next file; CRC32s are recomputed wherever bytes change. A later upstream file
// maps to the relay's next file with the same positions (the shift is 0 from its head on).
//
// A reconnect to the same upstream (`continueAt`) goes on in the relay's current file at its end
// instead, when the dump's FORMAT_DESCRIPTION describes the events as the file's own does (an
// upgraded server or another checksum setting starts the next file as above).
//
// BINLOG_CHECKPOINT (MariaDB) names the oldest binlog file crash recovery still needs; the new
// upstream's names its own files, which are not in the relay's sequence. Replicas ignore it, but
// `mariadb-binlog` prints it and a server recovering from these files would open it; every
// transaction in the relay is committed, so the relay's current file is the true value. The
// event is rebuilt with that name, and the shift takes in its change of length.
import { buildEvent } from '../binlog/event-builder.js';
import type { BinlogEvent } from '../binlog/binlog-event.js';
import { writeEventChecksum } from '../binlog/event-checksum.js';
import { LOG_EVENT_ARTIFICIAL_F, LOG_POS_OFFSET, FLAGS_OFFSET, readEventHeader } from '../binlog/event-header.js';
import { BINLOG_CHECKPOINT_EVENT, FORMAT_DESCRIPTION_EVENT, GTID_LIST_EVENT, HEARTBEAT_LOG_EVENT, HEARTBEAT_LOG_EVENT_V2, ROTATE_EVENT } from '../binlog/event-type.js';
import { eventsHaveChecksum, parseFormatDescription, rewriteFormatDescription } from '../binlog/format-description.js';
import { MariaDbGtidSet } from '../binlog/gtid-set-mariadb.js';
import { MysqlGtidSet } from '../binlog/gtid-set-mysql.js';
import { buildFakeMariaDbGtidList } from '../binlog/mariadb-gtid-list-event.js';
import { isMysqlGtidEventType } from '../binlog/mysql-gtid-event.js';
import { buildPreviousGtidsEvent } from '../binlog/previous-gtids-event.js';
import { buildFakeRotate, parseRotateEvent } from '../binlog/rotate-event.js';
import { nextBinlogName } from './binlog-name.js';
import type { UpstreamFlavor } from './upstream.js';

export interface RelayCoordinatesStart {
  flavor: UpstreamFlavor;
  /** The relay's newest file: the translated stream starts in the file after it. */
  lastRelayFile: string;
  /** The GTID state the dump was asked to continue from (written at the new file's head). */
  startState: string;
  /** A reconnect to the same upstream: the end of the relay's last file and that file's FDE. */
  continueAt?: { pos: number; fde: Buffer };
}

export class RelayCoordinates {
  private relayFile: string;
  /** relay position − upstream position, for events of the current upstream file. */
  private shift = 0;
  private anchored = false;
  private headFde: Buffer | null = null;
  /** The upstream file the current events belong to (semi-sync acks name it). */
  upstreamFile: string | null = null;

  constructor(private readonly start: RelayCoordinatesStart) {
    this.relayFile = start.lastRelayFile;
  }

  /** The dump's event in the relay's coordinates: none (the head before the resume point), the
   *  event itself (unchanged or rewritten), or the new file's head followed by the event. */
  translate(event: BinlogEvent): BinlogEvent[] {
    const { type, flags, logPos } = event.header;
    if (type === HEARTBEAT_LOG_EVENT || type === HEARTBEAT_LOG_EVENT_V2) return [event];
    const artificial = (flags & LOG_EVENT_ARTIFICIAL_F) !== 0;
    if (type === ROTATE_EVENT && (artificial || logPos === 0)) return this.fakeRotate(event);
    if (!this.anchored) return this.awaitResumePoint(event);
    if (artificial || logPos === 0) return [event];
    if (type === ROTATE_EVENT) return [this.realRotate(event)];
    if (type === BINLOG_CHECKPOINT_EVENT) return [this.checkpoint(event)];
    return [this.shifted(event)];
  }

  private fakeRotate(event: BinlogEvent): BinlogEvent[] {
    const rotate = parseRotateEvent(event);
    if (rotate.nextFile === this.upstreamFile) return [];
    const first = this.upstreamFile === null;
    this.upstreamFile = rotate.nextFile;
    if (!this.anchored) return [];
    // A later upstream file: the relay's next file, same positions from its head on.
    if (!first) this.relayFile = nextBinlogName(this.relayFile);
    this.shift = 0;
    const checksum = event.checksumLength === 4;
    return [this.rebuilt(buildFakeRotate({ serverId: event.header.serverId, nextFile: this.relayFile, position: rotate.position, checksum }), event, checksum)];
  }

  private awaitResumePoint(event: BinlogEvent): BinlogEvent[] {
    const { type, flags, logPos, serverId } = event.header;
    if (type === FORMAT_DESCRIPTION_EVENT) this.headFde = Buffer.from(event.bytes);
    const mariadbMarker = type === GTID_LIST_EVENT && (flags & LOG_EVENT_ARTIFICIAL_F) !== 0;
    const mysqlFirst = this.start.flavor === 'mysql' && isMysqlGtidEventType(type) && (flags & LOG_EVENT_ARTIFICIAL_F) === 0;
    if (!mariadbMarker && !mysqlFirst) return [];
    if (!this.headFde) throw new Error('GTID resume point before the FORMAT_DESCRIPTION');
    this.anchored = true;
    const resumeAt = mariadbMarker ? logPos : logPos - event.bytes.length;
    const at = this.start.continueAt;
    if (at && sameEventFormat(at.fde, this.headFde)) {
      this.shift = at.pos - resumeAt;
      return mysqlFirst ? [this.shifted(event)] : [];
    }
    this.relayFile = nextBinlogName(this.relayFile);
    const checksum = eventsHaveChecksum(parseFormatDescription(this.headFde));
    const fde = rewriteFormatDescription(this.headFde, { clearInUse: true });
    fde.writeUInt32LE(4 + fde.length, LOG_POS_OFFSET);
    if (checksum) writeEventChecksum(fde);
    const stateAt = 4 + fde.length;
    const timestamp = readEventHeader(this.headFde).timestamp;
    const state = this.start.flavor === 'mysql'
      ? buildPreviousGtidsEvent({ serverId, set: MysqlGtidSet.parse(this.start.startState), checksum, timestamp, logPos: 0 })
      : buildFakeMariaDbGtidList({ serverId, gtids: MariaDbGtidSet.parse(this.start.startState).gtids(), checksum, logPos: 0 });
    // A file's own GTID state event: its real time and end position; a GTID_LIST in a file is
    // not artificial (the builder makes the dump's fake one).
    state.writeUInt32LE(timestamp, 0);
    state.writeUInt32LE(stateAt + state.length, LOG_POS_OFFSET);
    if (this.start.flavor === 'mariadb') state.writeUInt16LE(0, FLAGS_OFFSET);
    if (checksum) writeEventChecksum(state);
    this.shift = stateAt + state.length - resumeAt;
    const head = [
      this.rebuilt(buildFakeRotate({ serverId, nextFile: this.relayFile, position: 4, checksum }), event, checksum),
      this.rebuilt(fde, event, checksum),
      this.rebuilt(state, event, checksum),
    ];
    return mysqlFirst ? [...head, this.shifted(event)] : head;
  }

  /** The upstream's ROTATE at the end of its file, naming the relay's next file instead. */
  private realRotate(event: BinlogEvent): BinlogEvent {
    const next = Buffer.from(nextBinlogName(this.relayFile), 'utf8');
    const body = Buffer.alloc(8 + next.length);
    body.writeBigUInt64LE(4n, 0);
    next.copy(body, 8);
    return this.withBody(event, body);
  }

  /** The upstream's BINLOG_CHECKPOINT naming the relay's current file; later events move by
   *  the change of its length. */
  private checkpoint(event: BinlogEvent): BinlogEvent {
    const name = Buffer.from(this.relayFile, 'utf8');
    const body = Buffer.alloc(4 + name.length);
    body.writeUInt32LE(name.length, 0);
    name.copy(body, 4);
    const rebuilt = this.withBody(event, body);
    this.shift += rebuilt.bytes.length - event.bytes.length;
    return rebuilt;
  }

  /** `event` with another body at its place in the relay file: log_pos and CRC made anew. */
  private withBody(event: BinlogEvent, body: Buffer): BinlogEvent {
    const start = event.header.logPos - event.bytes.length + this.shift;
    const checksum = event.checksumLength === 4;
    const size = 19 + body.length + (checksum ? 4 : 0);
    return this.rebuilt(buildEvent({
      type: event.header.type, serverId: event.header.serverId, body, checksum,
      timestamp: event.header.timestamp, logPos: start + size, flags: event.header.flags,
    }), event, checksum);
  }

  private shifted(event: BinlogEvent): BinlogEvent {
    if (this.shift === 0) return event;
    const bytes = Buffer.from(event.bytes);
    bytes.writeUInt32LE(event.header.logPos + this.shift, LOG_POS_OFFSET);
    if (event.checksumLength === 4) writeEventChecksum(bytes);
    return this.rebuilt(bytes, event, event.checksumLength === 4);
  }

  private rebuilt(bytes: Buffer, like: BinlogEvent, checksum: boolean): BinlogEvent {
    return { offset: like.offset, header: readEventHeader(bytes), bytes, checksumLength: checksum ? 4 : 0 };
  }
}

/** Two FORMAT_DESCRIPTIONs describe events alike (server, header and post-header lengths,
 *  checksum), whatever their creation time, position and flags. */
export function sameEventFormat(a: Uint8Array, b: Uint8Array): boolean {
  const x = parseFormatDescription(a);
  const y = parseFormatDescription(b);
  return x.binlogVersion === y.binlogVersion && x.serverVersion === y.serverVersion && x.flavor === y.flavor
    && x.headerLength === y.headerLength && x.checksumAlg === y.checksumAlg && Buffer.from(x.postHeaderLengths).equals(y.postHeaderLengths);
}
