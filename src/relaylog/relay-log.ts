// The relay log: the state machine every node applies from committed raft entries. It checks that
// each record continues the file it names (positions never jump or repeat), writes its bytes into
// the real binlog file at their position, holds the group back from readers until the piece that
// ends the transaction, then publishes it: the file's served end moves, GTIDs count as executed,
// readers are woken. Replicas are only ever served up to a published end (DESIGN.md invariants 1–3).
// The group held back is a pending group (pending-group.ts).
//
// Persistence: checkpoint() stages the state as of the last applied entry into the raft store's
// next batch, beside the applied index and the conf state (one atomic write). Binlog bytes alone
// wait until the driver asks (RaftNodeOptions.checkpoint: a moment later, before a conf state, a
// compaction or a clean stop); any other record wants one at once (checkpointDue). A pending
// group's bytes are already in its file, past the served end, so a restart rebuilds it from there.
// At open the files are made to match the checkpoint (file-reconcile.ts: a tail written after it
// is cut, and applied again from the raft log). Files leave disk, and an aborted group's bytes
// their file, only once the checkpoint without them is written.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Entry } from '../../raft/core/types.js';
import type { Db } from '../../storage/db.js';
import { readEventHeader } from '../binlog/event-header.js';
import { FORMAT_DESCRIPTION_EVENT, GTID_LIST_EVENT, PREVIOUS_GTIDS_LOG_EVENT, ROTATE_EVENT } from '../binlog/event-type.js';
import { parseFormatDescription } from '../binlog/format-description.js';
import type { BinlogDir } from './binlog-dir.js';
import { readFormatRecord, writeFileHead } from './file-head.js';
import { ExecutedGtids, fileStartGtids } from './executed-gtids.js';
import { decodeRelayRecord, type BinlogRecord } from './relay-entry.js';
import { notePendingEvent, readPendingBack, startPending, type Pending } from './pending-group.js';
import { loadRelayState, stageFile, stageFileRemoval, stageHead, type RelayCheckpointSink } from './relay-checkpoint.js';
import { RelayCorruptError } from './relay-errors.js';
import { reconcileFiles } from './file-reconcile.js';
import type { FileRangeFetcher, RelayFile, RelayHead, RelayState } from './relay-files.js';

export interface RelayAdvance {
  file: string;
  endPos: number;
  index: number;
}

export class RelayLog extends EventEmitter {
  private head: RelayHead;
  private files: RelayFile[];
  private executed: ExecutedGtids;
  private pending: Pending | null = null;
  /** Refusals of the apply() running now (index → why). */
  private refusals: Map<number, string> | null = null;
  /** File records to write with the next checkpoint. */
  private readonly changedFiles = new Set<RelayFile>();
  private removedSeqs: number[] = [];
  /** File changes that wait until the state without what they remove is written: until then the
   *  checkpoint on disk may still count it. Purged files are deleted, an aborted group's bytes cut
   *  (a restart rebuilds the group from them). */
  private afterCheckpoint: (() => void)[] = [];
  /** Something other than binlog bytes was applied since the last checkpoint. */
  private wantsCheckpoint = false;

  private constructor(
    readonly dir: BinlogDir,
    private readonly sink: RelayCheckpointSink,
    private readonly logger: Logger,
    state: RelayState,
  ) {
    super();
    this.setMaxListeners(0);
    this.head = state.head;
    this.files = state.files;
    this.executed = ExecutedGtids.parse(state.head.flavor, state.head.executed);
  }

  /**
   * Opens the relay at its last checkpoint, which must be at `appliedIndex` (both are written in
   * one batch). Below `snapshotIndex` the node will install the snapshot instead: files are left
   * for installSnapshot() to reconcile.
   */
  static async open(db: Db, dir: BinlogDir, sink: RelayCheckpointSink, logger: Logger, at: { appliedIndex: number; snapshotIndex: number }): Promise<RelayLog> {
    const state = await loadRelayState(db);
    const log = logger.child({ component: 'relaylog' });
    if (state.head.checkpointIndex !== at.appliedIndex && state.head.checkpointIndex >= at.snapshotIndex) {
      throw new RelayCorruptError(`relay checkpoint at index ${state.head.checkpointIndex} but the applied index record says ${at.appliedIndex}`);
    }
    const relay = new RelayLog(dir, sink, log, state);
    if (state.head.checkpointIndex >= at.snapshotIndex) await relay.reconcile(null);
    return relay;
  }

  // ---- reading the state ----------------------------------------------------------------------

  get flavor(): 'mariadb' | 'mysql' | null {
    return this.head.flavor;
  }

  get purgedGtids(): string {
    return this.head.purged;
  }

  get members(): Readonly<RelayHead['members']> {
    return this.head.members;
  }

  get syncerRecord(): unknown {
    return this.head.syncer;
  }

  /** The latest UPSTREAM record's body (null: none applied yet). */
  get upstreamRecord(): unknown {
    return this.head.upstream;
  }

  get refused(): number {
    return this.head.refused;
  }

  get executedGtids(): ExecutedGtids {
    return this.executed;
  }

  /** Raft index up to which the state is applied (and, once written, durable). */
  get checkpointIndex(): number {
    return this.head.checkpointIndex;
  }

  /** Pieces of a transaction are applied and wait for their end. */
  get hasPending(): boolean {
    return this.pending !== null;
  }

  allFiles(): readonly RelayFile[] {
    return this.files;
  }

  fileBySeq(seq: number): RelayFile | undefined {
    return this.files.find((f) => f.seq === seq);
  }

  fileByName(name: string): RelayFile | undefined {
    return this.files.find((f) => f.name === name);
  }

  lastFile(): RelayFile | undefined {
    return this.files[this.files.length - 1];
  }

  /** The file after `file` (by seq), even when `file` itself was purged meanwhile. */
  nextFile(file: RelayFile): RelayFile | undefined {
    return this.files.find((f) => f.seq > file.seq);
  }

  /** Bytes the relay's files hold (served ends), for retention and status. */
  heldBytes(): number {
    let total = 0;
    for (const f of this.files) total += f.endPos;
    return total;
  }

  /** The whole state at the applied index: the data of a raft snapshot taken now. */
  snapshotState(): RelayState {
    return structuredClone({ head: this.headForDisk(), files: this.files });
  }

  // ---- applying -------------------------------------------------------------------------------

  /** Applies committed entries in order. Entries at or below the checkpoint are ignored.
   *  Returns the records it refused (index → why): their proposers must not count them. */
  apply(entries: readonly Entry[]): Map<number, string> {
    const refusals = new Map<number, string>();
    this.refusals = refusals;
    for (const entry of entries) {
      if (entry.index <= this.head.checkpointIndex) continue;
      this.head.checkpointIndex = entry.index;
      if (entry.type !== 'normal' || entry.data.length === 0) continue;
      const record = decodeRelayRecord(entry.data);
      if (record.kind === 'binlog') {
        this.applyBinlog(record, entry.index);
        continue;
      }
      this.wantsCheckpoint = true;
      if (record.kind === 'abort') {
        if (this.pending) this.logger.warn({ event: 'relay.abort', file: this.pending.file, pos: this.pending.startPos }, 'pending transaction aborted');
        this.dropPending();
      } else if (record.kind === 'format') {
        this.applyFormat(record.file, record.bytes);
      } else if (record.kind === 'purge') {
        this.applyPurge(record.to, entry.index);
      } else if (record.kind === 'syncer') {
        this.head.syncer = record.settings;
      } else if (record.kind === 'upstream') {
        this.head.upstream = record.identity;
      } else {
        this.head.members[record.member.id] = record.member;
        this.emit('member', record.member);
      }
    }
    this.refusals = null;
    return refusals;
  }

  /** A checkpoint should go with the next batch: a purge or an abort waits for it to touch the
   *  files, and settings and members are rare. Binlog bytes alone may wait for a later one. */
  get checkpointDue(): boolean {
    return this.wantsCheckpoint;
  }

  /** Stages the state as of the last applied entry into the raft store's next batch. */
  checkpoint(): void {
    this.wantsCheckpoint = false;
    for (const seq of this.removedSeqs) stageFileRemoval(this.sink, seq);
    this.removedSeqs = [];
    for (const file of this.changedFiles) if (this.files.includes(file)) stageFile(this.sink, file);
    this.changedFiles.clear();
    stageHead(this.sink, this.headForDisk());
    if (this.afterCheckpoint.length > 0) {
      const actions = this.afterCheckpoint;
      this.afterCheckpoint = [];
      this.sink.onceWritten(() => {
        for (const action of actions) action();
      });
    }
  }

  /** Cuts `name` to what the state holds of it now (removes it when the state holds none). */
  private trimToState(name: string): void {
    const expected = this.pending?.file === name ? this.pending.nextPos : this.fileByName(name)?.endPos;
    if (expected === undefined) this.dir.remove(name);
    else if (this.dir.size(name) > expected) this.dir.truncate(name, expected);
  }

  private headForDisk(): RelayHead {
    const p = this.pending;
    const last = this.lastFile();
    return {
      ...this.head,
      executed: this.executed.toString(),
      lastEnd: last?.endPos ?? 0,
      pending: p ? { file: p.file, startPos: p.startPos, nextPos: p.nextPos, firstIndex: p.firstIndex } : null,
    };
  }

  private unlink(names: string[]): void {
    for (const name of names) {
      const waits = this.dir.remove(name);
      this.logger.info({ event: waits ? 'relay.file.held_back' : 'relay.file.deleted', file: name },
        waits ? 'purged file still read by a replica: deleted when it moves on' : 'purged file deleted');
    }
  }

  /** The FDE of a file held from its middle, optionally followed by the dump's GTID_LIST at the
   *  resume point (the GTID state there): kept for the file, now or when it appears. */
  private applyFormat(name: string, bytes: Uint8Array): void {
    if (this.skipsGone(name)) return;
    const { fde, gtids } = readFormatRecord(bytes);
    const file = this.fileByName(name);
    if (file) {
      if (file.fde === null) {
        file.fde = fde;
        this.changedFiles.add(file);
      }
    } else {
      this.head.nextFormat = { file: name, fde, gtids };
    }
  }

  private refuse(record: BinlogRecord, index: number, why: string): void {
    this.head.refused++;
    this.refusals?.set(index, why);
    this.logger.warn({ event: 'relay.refused', index, file: record.file, pos: record.pos, why }, 'relay record refused');
  }

  /** Forgets the pending group; its bytes leave the file once the state without them is written
   *  (a write of the same positions meanwhile replaces them). */
  private dropPending(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.dir.forgetRecent();
    this.afterCheckpoint.push(() => this.trimToState(p.file));
  }

  /** The FORMAT_DESCRIPTION (base64) in force in `file`: its own, or the one held for it. */
  private fdeOf(file: string): string | null {
    return this.fileByName(file)?.fde ?? (this.head.nextFormat?.file === file ? this.head.nextFormat.fde : null);
  }

  /** A record for a file the snapshot installed here could not bring (purged meanwhile): its
   *  bytes are skipped, as the purge ahead in the log drops them on every node. Without this, a
   *  piece continuing a transaction in such a file would start a group in mid-event. */
  private skipsGone(file: string): boolean {
    if (this.head.gone.length === 0) return false;
    if (this.head.gone.includes(file)) return true;
    this.head.gone = [];
    return false;
  }

  private applyBinlog(record: BinlogRecord, index: number): void {
    if (this.skipsGone(record.file)) return;
    if (this.pending && (record.file !== this.pending.file || record.pos !== this.pending.nextPos)) {
      this.logger.warn({ event: 'relay.pending.dropped', file: this.pending.file, pos: this.pending.startPos }, 'pending transaction dropped');
      this.dropPending();
    }
    if (!this.pending) {
      const why = this.continuityError(record);
      if (why) {
        this.refuse(record, index, why);
        return;
      }
      if (!this.fileByName(record.file)) {
        const next = this.head.nextFormat?.file === record.file ? this.head.nextFormat : null;
        writeFileHead(this.dir, record.file, record.pos, next ? Buffer.from(next.fde, 'base64') : null);
      }
      this.pending = startPending(record.file, record.pos, index, this.fdeOf(record.file));
    }
    const p = this.pending;
    try {
      for (const event of p.reader.feed(record.bytes)) notePendingEvent(p, event, this.executed);
    } catch (err) {
      this.logger.error({ event: 'relay.corrupt', index, file: p.file, pos: p.nextPos, err }, 'corrupt binlog bytes refused');
      this.dropPending();
      this.refuse(record, index, `corrupt events: ${(err as Error).message}`);
      return;
    }
    this.dir.write(p.file, p.nextPos, record.bytes);
    p.nextPos += record.bytes.length;
    if (!record.endsAtBoundary) return;
    if (p.reader.bufferedBytes !== 0) {
      this.dropPending();
      this.refuse(record, index, 'boundary claimed in the middle of an event');
      return;
    }
    this.pending = null;
    this.publish(p, index);
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

  /** Takes the server id and, for the first file, the flavor from a file's FDE. */
  private adoptFormat(file: RelayFile, fdeBytes: Uint8Array): void {
    file.serverId = readEventHeader(fdeBytes).serverId;
    if (this.head.flavor === null) {
      const fde = parseFormatDescription(fdeBytes);
      this.head.flavor = fde.flavor;
      this.executed = ExecutedGtids.parse(fde.flavor, this.executed.toString());
    }
  }

  private publish(p: Pending, index: number): void {
    let file = this.fileByName(p.file);
    if (!file) {
      const seq = (this.lastFile()?.seq ?? 0) + 1;
      const next = this.head.nextFormat?.file === p.file ? this.head.nextFormat : null;
      file = {
        seq, name: p.file, firstPos: p.startPos, endPos: p.startPos, fde: next?.fde ?? null, startGtids: this.executed.toString(),
        rotated: false, serverId: 0, lastEventTime: 0,
      };
      if (next) this.adoptFormat(file, Buffer.from(next.fde, 'base64'));
      if (next?.gtids) {
        file.startGtids = next.gtids;
        this.executed.merge(next.gtids);
        if (this.files.length === 0) this.head.purged = next.gtids;
      }
      this.head.nextFormat = null;
      // The previous newest file's record now needs its final end.
      const previous = this.lastFile();
      if (previous) this.changedFiles.add(previous);
      this.files.push(file);
      this.changedFiles.add(file);
    }
    for (const event of p.events) {
      const type = event.header.type;
      if (type === FORMAT_DESCRIPTION_EVENT) {
        file.fde = Buffer.from(event.bytes).toString('base64');
        this.adoptFormat(file, event.bytes);
        this.changedFiles.add(file);
      } else if ((type === GTID_LIST_EVENT || type === PREVIOUS_GTIDS_LOG_EVENT) && event.offset < 4 + 1024 && file.firstPos === 4) {
        file.startGtids = fileStartGtids(event);
        // What the upstream executed before this file counts as executed here too; before the
        // relay's first file it is history the relay cannot serve (MySQL's gtid_purged).
        this.executed.merge(file.startGtids);
        if (file.seq === this.files[0]!.seq) this.head.purged = file.startGtids;
        this.changedFiles.add(file);
      } else if (type === ROTATE_EVENT) {
        file.rotated = true;
        this.changedFiles.add(file);
      }
    }
    for (const gtid of p.gtids) this.executed.add(gtid);
    file.endPos = p.nextPos;
    if (p.lastEventTime > 0) file.lastEventTime = p.lastEventTime;
    this.emit('advance', { file: file.name, endPos: file.endPos, index } satisfies RelayAdvance);
  }

  /** Drops every file before `to` from the relay (the same on every node); the bytes leave disk
   *  after the checkpoint, or once a replica of this node stops reading them. */
  private applyPurge(to: string, index: number): void {
    const at = this.files.findIndex((f) => f.name === to);
    if (at < 0) {
      this.logger.warn({ event: 'relay.purge.refused', index, to }, 'purge target not held: ignored');
      return;
    }
    if (at === 0) return;
    const gone = this.files.splice(0, at);
    for (const f of gone) {
      this.removedSeqs.push(f.seq);
      this.changedFiles.delete(f);
    }
    const names = gone.map((f) => f.name);
    this.afterCheckpoint.push(() => this.unlink(names));
    this.head.purged = this.files[0]!.startGtids;
    this.logger.info({ event: 'relay.purged', index, files: names, first: to }, 'binlog files purged');
    this.emit('purged', names);
  }

  // ---- recovery and snapshots -----------------------------------------------------------------

  /** Makes the files on disk match this state (file-reconcile.ts), then rebuilds the pending
   *  group from its file. */
  private async reconcile(fetch: FileRangeFetcher | null): Promise<void> {
    await reconcileFiles({ head: this.head, files: this.files }, this.dir, this.logger, fetch);
    this.pending = null;
    const p = this.head.pending;
    if (p) this.pending = await readPendingBack(this.dir, p, this.fdeOf(p.file), this.executed);
  }

  /**
   * Replaces the state with a snapshot's (a follower behind the leader's compacted log, or a
   * restart whose checkpoint is older than the snapshot): files missing locally are fetched,
   * files it does not hold are deleted, then the whole state is staged.
   */
  async installSnapshot(state: RelayState, fetch: FileRangeFetcher): Promise<void> {
    const oldSeqs = this.files.map((f) => f.seq);
    this.dir.forgetRecent();
    // The state moves only once its files are in: until then status and readers see the old one
    // (a new state's files may not be on disk yet). Its members come first: the files are
    // fetched from them.
    const next = new RelayLog(this.dir, this.sink, this.logger, structuredClone(state));
    this.head.members = next.head.members;
    for (const member of Object.values(this.head.members)) this.emit('member', member);
    await next.reconcile(fetch);
    await this.dir.syncAll();
    this.head = next.head;
    this.files = next.files;
    this.executed = next.executed;
    this.pending = next.pending;
    this.afterCheckpoint = [];
    const kept = new Set(this.files.map((f) => f.seq));
    this.removedSeqs = oldSeqs.filter((s) => !kept.has(s));
    for (const f of this.files) this.changedFiles.add(f);
    this.logger.info({ event: 'relay.snapshot.installed', index: this.head.checkpointIndex, files: this.files.length }, 'relay state installed from a snapshot');
    const last = this.lastFile();
    if (last) this.emit('advance', { file: last.name, endPos: last.endPos, index: this.head.checkpointIndex } satisfies RelayAdvance);
  }
}
