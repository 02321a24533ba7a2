// The relay log: the state machine every node applies from committed raft entries. It checks that
// each record continues the file it names (positions never jump or repeat), holds back pieces of a
// transaction until the piece that ends it, then publishes the group: index row, file end, executed
// GTIDs. Replicas are only ever served up to a published boundary (DESIGN.md invariants 1–3).
//
// Persistence: the state is checkpointed only where no transaction is pending, together with the
// index rows, in one LevelDB batch. After a crash the node re-applies the raft log from the
// checkpoint, which rebuilds exactly the same state (everything here is a function of the log).
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Entry } from '../../raft/core/types.js';
import type { Db } from '../../storage/db.js';
import { Table } from '../../storage/keys.js';
import { BinlogEventReader } from '../binlog/event-reader.js';
import type { BinlogEvent } from '../binlog/binlog-event.js';
import { LOG_EVENT_ARTIFICIAL_F, readEventHeader } from '../binlog/event-header.js';
import { FORMAT_DESCRIPTION_EVENT, GTID_LIST_EVENT, PREVIOUS_GTIDS_LOG_EVENT, ROTATE_EVENT } from '../binlog/event-type.js';
import { parseFormatDescription } from '../binlog/format-description.js';
import { ExecutedGtids, fileStartGtids } from './executed-gtids.js';
import { decodeRelayRecord, type BinlogRecord } from './relay-entry.js';
import { encodeIndexRow, type IndexRow } from './relay-index.js';
import type { RelaySpan } from './relay-reader.js';
import { emptyRelayState, type RelayFile, type RelayState } from './relay-files.js';

const STATE_KEY = Buffer.from([Table.relayApplied, 0x02]);

/** A transaction (or group) whose pieces are committed but whose end is not yet. */
interface Pending {
  file: string;
  startPos: number;
  nextPos: number;
  firstIndex: number;
  lastIndex: number;
  reader: BinlogEventReader;
  events: BinlogEvent[];
  gtids: string[];
  /** The group's bytes as views of the committed entries (kept for the recent-span cache). */
  chunks: Uint8Array[];
  bytes: number;
}

/** The newest published groups stay in memory so replicas tailing the relay read them without a
 *  LevelDB scan; bounded in bytes (the entries' buffers they view stay alive that long). */
const RECENT_SPANS_BYTES_MAX = 32 * 1024 * 1024;

export interface RelayAdvance {
  file: string;
  endPos: number;
  index: number;
}

export class RelayLog extends EventEmitter {
  private state: RelayState;
  private executed: ExecutedGtids;
  private pending: Pending | null = null;
  private rows: IndexRow[] = [];
  private readonly recent = new Map<string, RelaySpan>();
  private recentBytes = 0;
  /** Published groups whose index rows are not yet written: announced by flush(). */
  private advances: RelayAdvance[] = [];
  private dirty = false;

  private constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    state: RelayState,
  ) {
    super();
    this.setMaxListeners(0);
    this.state = state;
    this.executed = ExecutedGtids.parse(state.flavor, state.executed);
  }

  static async open(db: Db, logger: Logger): Promise<RelayLog> {
    const raw = await db.get(STATE_KEY);
    const state = raw ? { ...emptyRelayState(), ...(JSON.parse(raw.toString('utf8')) as RelayState) } : emptyRelayState();
    return new RelayLog(db, logger.child({ component: 'relaylog' }), state);
  }

  /** The state as of the last published boundary (not the pending pieces). */
  get view(): Readonly<RelayState> {
    return this.state;
  }

  get executedGtids(): ExecutedGtids {
    return this.executed;
  }

  /** Raft index up to which the state is durable; raft re-delivers entries after it on restart. */
  get checkpointIndex(): number {
    return this.state.checkpointIndex;
  }

  fileBySeq(seq: number): RelayFile | undefined {
    return this.state.files.find((f) => f.seq === seq);
  }

  fileByName(name: string): RelayFile | undefined {
    return this.state.files.find((f) => f.name === name);
  }

  lastFile(): RelayFile | undefined {
    return this.state.files[this.state.files.length - 1];
  }

  /** Applies committed entries in order. Entries at or below the checkpoint are ignored. */
  apply(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.index <= this.state.checkpointIndex) continue;
      if (entry.type !== 'normal' || entry.data.length === 0) {
        this.checkpoint(entry.index);
        continue;
      }
      const record = decodeRelayRecord(entry.data);
      if (record.kind === 'binlog') this.applyBinlog(record, entry.index);
      else if (record.kind === 'abort') {
        if (this.pending) this.logger.warn({ event: 'relay.abort', file: this.pending.file, pos: this.pending.startPos }, 'pending transaction aborted');
        this.pending = null;
        this.checkpoint(entry.index);
      } else if (record.kind === 'format') {
        this.applyFormat(record.file, record.bytes);
        this.checkpoint(entry.index);
      } else {
        if (record.kind === 'syncer') this.state.syncer = record.settings;
        else this.state.members[record.member.id] = record.member;
        this.dirty = true;
        this.checkpoint(entry.index);
      }
    }
  }

  /** Writes the index rows and the checkpointed state in one batch, then announces the new
   *  groups ('advance'): a reader woken by it always finds their index rows. */
  async flush(): Promise<void> {
    if (!this.dirty && this.rows.length === 0) return;
    const advances = this.advances;
    this.advances = [];
    const batch = this.db.batch();
    for (const row of this.rows) {
      const { key, value } = encodeIndexRow(row);
      batch.put(key, value);
    }
    this.state.executed = this.executed.toString();
    batch.put(STATE_KEY, Buffer.from(JSON.stringify(this.state), 'utf8'));
    this.rows = [];
    this.dirty = false;
    await batch.write();
    for (const advance of advances) this.emit('advance', advance);
  }

  /** The FDE of a file held from its middle, optionally followed by the dump's GTID_LIST at the
   *  resume point (the GTID state there): kept for the file, now or when it appears. */
  private applyFormat(name: string, bytes: Uint8Array): void {
    const fdeSize = readEventHeader(bytes).eventSize;
    const fde = Buffer.from(bytes.subarray(0, fdeSize)).toString('base64');
    let gtids: string | null = null;
    if (bytes.length > fdeSize) {
      const [list] = new BinlogEventReader({ expectMagic: false, format: parseFormatDescription(bytes.subarray(0, fdeSize)) }).feed(bytes.subarray(fdeSize));
      if (list) gtids = fileStartGtids(list);
    }
    const file = this.fileByName(name);
    if (file) {
      if (file.fde === null) file.fde = fde;
    } else {
      this.state.nextFormat = { file: name, fde, gtids };
    }
    this.dirty = true;
  }

  private checkpoint(index: number): void {
    if (this.pending) return;
    this.state.checkpointIndex = index;
    this.dirty = true;
  }

  private refuse(record: BinlogRecord, index: number, why: string): void {
    this.state.refused++;
    this.dirty = true;
    this.logger.warn({ event: 'relay.refused', index, file: record.file, pos: record.pos, why }, 'relay record refused');
  }

  private applyBinlog(record: BinlogRecord, index: number): void {
    if (this.pending && (record.file !== this.pending.file || record.pos !== this.pending.nextPos)) {
      this.logger.warn({ event: 'relay.pending.dropped', file: this.pending.file, pos: this.pending.startPos }, 'pending transaction dropped');
      this.pending = null;
    }
    if (!this.pending) {
      const why = this.continuityError(record);
      if (why) {
        this.refuse(record, index, why);
        this.checkpoint(index);
        return;
      }
      const file = this.fileByName(record.file);
      const fde = file?.fde ?? (this.state.nextFormat?.file === record.file ? this.state.nextFormat.fde : null);
      const format = fde ? parseFormatDescription(Buffer.from(fde, 'base64')) : undefined;
      this.pending = {
        file: record.file, startPos: record.pos, nextPos: record.pos, firstIndex: index, lastIndex: index,
        reader: new BinlogEventReader({ expectMagic: false, startOffset: record.pos, format }),
        events: [], gtids: [], chunks: [], bytes: 0,
      };
    }
    const p = this.pending;
    try {
      for (const event of p.reader.feed(record.bytes)) this.noteEvent(p, event);
    } catch (err) {
      this.logger.error({ event: 'relay.corrupt', index, file: p.file, pos: p.nextPos, err }, 'corrupt binlog bytes refused');
      this.pending = null;
      this.refuse(record, index, `corrupt events: ${(err as Error).message}`);
      this.checkpoint(index);
      return;
    }
    p.nextPos += record.bytes.length;
    p.lastIndex = index;
    if (p.bytes + record.bytes.length <= RECENT_SPANS_BYTES_MAX) p.chunks.push(record.bytes);
    p.bytes += record.bytes.length;
    if (!record.endsAtBoundary) return;
    if (p.reader.bufferedBytes !== 0) {
      this.pending = null;
      this.refuse(record, index, 'boundary claimed in the middle of an event');
      this.checkpoint(index);
      return;
    }
    this.publish(p);
    this.pending = null;
    this.checkpoint(index);
  }

  /** Why a record cannot start a new group here, or null when it continues the relay. */
  private continuityError(record: BinlogRecord): string | null {
    const file = this.fileByName(record.file);
    if (file) return record.pos === file.endPos ? null : `expected ${file.name}:${file.endPos}`;
    const last = this.lastFile();
    if (last && record.pos !== 4) return `a new file must start at 4`;
    if (record.pos < 4) return 'position below 4';
    return null;
  }

  private noteEvent(p: Pending, event: BinlogEvent): void {
    const type = event.header.type;
    if (event.header.flags & LOG_EVENT_ARTIFICIAL_F) {
      throw new Error(`artificial event (type ${type}) at ${event.offset} must not be stored`);
    }
    const gtid = this.executed.gtidOf(event);
    if (gtid !== null) p.gtids.push(gtid);
    if (type === FORMAT_DESCRIPTION_EVENT || type === GTID_LIST_EVENT || type === PREVIOUS_GTIDS_LOG_EVENT || type === ROTATE_EVENT) {
      p.events.push({ ...event, bytes: Buffer.from(event.bytes) });
    }
  }

  /** Takes the server id and, for the first file, the flavor from a file's FDE. */
  private adoptFormat(file: RelayFile, fdeBytes: Uint8Array): void {
    file.serverId = readEventHeader(fdeBytes).serverId;
    if (this.state.flavor === null) {
      const fde = parseFormatDescription(fdeBytes);
      this.state.flavor = fde.flavor;
      this.executed = ExecutedGtids.parse(fde.flavor, this.executed.toString());
    }
  }

  private publish(p: Pending): void {
    let file = this.fileByName(p.file);
    if (!file) {
      const seq = (this.lastFile()?.seq ?? 0) + 1;
      const next = this.state.nextFormat?.file === p.file ? this.state.nextFormat : null;
      file = { seq, name: p.file, firstPos: p.startPos, endPos: p.startPos, fde: next?.fde ?? null, startGtids: this.executed.toString(), rotated: false, serverId: 0 };
      if (next) this.adoptFormat(file, Buffer.from(next.fde, 'base64'));
      if (next?.gtids) {
        file.startGtids = next.gtids;
        this.executed.merge(next.gtids);
        if (this.state.files.length === 0) this.state.purged = next.gtids;
      }
      this.state.nextFormat = null;
      this.state.files.push(file);
    }
    for (const event of p.events) {
      const type = event.header.type;
      if (type === FORMAT_DESCRIPTION_EVENT) {
        file.fde = Buffer.from(event.bytes).toString('base64');
        this.adoptFormat(file, event.bytes);
      } else if ((type === GTID_LIST_EVENT || type === PREVIOUS_GTIDS_LOG_EVENT) && event.offset < 4 + 1024 && file.firstPos === 4) {
        file.startGtids = fileStartGtids(event);
        // What the upstream executed before this file counts as executed here too; before the
        // relay's first file it is history the relay cannot serve (MySQL's gtid_purged).
        this.executed.merge(file.startGtids);
        if (file.seq === this.state.files[0]!.seq) this.state.purged = file.startGtids;
      } else if (type === ROTATE_EVENT) {
        file.rotated = true;
      }
    }
    for (const gtid of p.gtids) this.executed.add(gtid);
    file.endPos = p.nextPos;
    this.rows.push({ fileSeq: file.seq, startPos: p.startPos, firstIndex: p.firstIndex, lastIndex: p.lastIndex, endPos: p.nextPos });
    this.dirty = true;
    this.advances.push({ file: file.name, endPos: file.endPos, index: p.lastIndex });
    if (p.bytes <= RECENT_SPANS_BYTES_MAX) this.remember(file.seq, { chunks: p.chunks, startPos: p.startPos, endPos: p.nextPos }, p.bytes);
  }

  private remember(fileSeq: number, span: RelaySpan, bytes: number): void {
    this.recent.set(`${fileSeq}:${span.startPos}`, span);
    this.recentBytes += bytes;
    for (const [key, old] of this.recent) {
      if (this.recentBytes <= RECENT_SPANS_BYTES_MAX) break;
      this.recent.delete(key);
      this.recentBytes -= old.endPos - old.startPos;
    }
  }

  /** A recently published (so committed) group starting exactly at `pos` of file `fileSeq`, if
   *  still cached. Readers that follow the relay's end hit it every time. */
  recentSpan(fileSeq: number, pos: number): RelaySpan | null {
    return this.recent.get(`${fileSeq}:${pos}`) ?? null;
  }
}
