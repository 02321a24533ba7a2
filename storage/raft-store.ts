// RaftStore: the raft log's entries in segment files (segment-log.ts), its hard state, conf state,
// snapshot meta and segment epoch in LevelDB, beside the relay's records staged into the same
// LevelDB batch.
//
// Reads are synchronous (LogStorage): `term(i)` comes from the in-memory term runs, `entries()`
// from the bounded entry cache; a miss throws LogTemporarilyUnavailableError and the driver calls
// fetchEntries() then retries. Nothing here reads the disk synchronously.
//
// Writes: persist() appends the entries to the segment files with one synced write, then writes ONE
// LevelDB batch (hard state, conf state, snapshot meta and epoch, staged relay records): atomic,
// so the conf state and the relay's applied index always agree. That batch is synced when it
// must survive a power loss on its own (a new term or vote, a snapshot); otherwise it rides the
// OS cache, and a lost commit index is re-learned from the leader. Memory moves only after both
// writes resolved, so the synchronous view is always "what is on disk". Writes run one at a time
// in call order.
//
// Invariants (checked at open, kept by every write):
//   - the log holds exactly [firstIndex, lastIndex], firstIndex = snapshot.index + 1
//   - term runs give the term of every index in [firstIndex, lastIndex]
//   - hardState.commit <= lastIndex (entries are written before the batch that commits them)
import type { Logger } from 'pino';
import { pino } from 'pino';
import { encodeConfState, encodeHardState, encodeSnapshotMeta } from '../raft/codec.js';
import type { InitialState } from '../raft/core/log-storage.js';
import { CompactedError, LogTemporarilyUnavailableError, UnavailableError } from '../raft/core/errors.js';
import type { ConfState, Entry, HardState, SnapshotMeta } from '../raft/core/types.js';
import type { PersistBatch, RaftStore } from '../raft/ports.js';
import type { BatchWriter, Db } from './db.js';
import { EntryCache, type EntryCacheStats } from './entry-cache.js';
import { appliedIndexKey, RaftStateField, raftStateKey } from './keys.js';
import { readRaftStateRecords } from './raft-state-records.js';
import { SegmentLog } from './segment-log.js';
import { guardedWriter, StagedWrites, type TakenWrites } from './staged-writes.js';
import { StorageError } from './storage-error.js';
import { TermRuns } from './term-runs.js';
import { u64Bytes } from './u64.js';

export interface RaftStoreOptions {
  /** Payload bytes of recent entries kept in memory. Default 64 MiB. */
  readonly tailCacheBytesMax?: number;
  /** Payload bytes of older ranges kept after fetchEntries(). Default 16 MiB. */
  readonly fetchCacheBytesMax?: number;
  /** One fetchEntries() call reads at most about this many payload bytes. Default 8 MiB. */
  readonly fetchBytesMax?: number;
  /** Payload bytes of the log tail loaded into the cache at open. Default 8 MiB. */
  readonly warmBytesMax?: number;
  /** A segment file is closed once it holds this many bytes. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Segment appends bypass the page cache where the file system allows. Default true. */
  readonly directIo?: boolean;
  readonly logger?: Logger;
}

const MiB = 1024 * 1024;
const HARD_STATE_KEY = raftStateKey(RaftStateField.hardState);
const CONF_STATE_KEY = raftStateKey(RaftStateField.confState);
const SNAPSHOT_KEY = raftStateKey(RaftStateField.snapshotMeta);
const EPOCH_KEY = raftStateKey(RaftStateField.logEpoch);

/** A fetch in flight: truncations that happen meanwhile make part of its result stale. */
interface FetchToken {
  staleFrom: number;
}

export class SegmentRaftStore implements RaftStore {
  private readonly fetches = new Set<FetchToken>();
  private readonly staged = new StagedWrites();
  private writeChain: Promise<void> = Promise.resolve();
  private failure: StorageError | null = null;
  private closed = false;

  private constructor(
    private readonly db: Db,
    private readonly segments: SegmentLog,
    private readonly cache: EntryCache,
    private readonly log: Logger,
    private readonly fetchBytesMax: number,
    private hard: HardState,
    private conf: ConfState,
    private snap: SnapshotMeta,
    private epoch: number,
    private runs: TermRuns,
    private first: number,
    private last: number,
    private applied: number,
  ) {}

  /**
   * Recovers the raft state: the records from `db` (which the caller opened and will close), the
   * entries from the segment files in `logDir` — every record is read and its CRC, index and
   * term checked, and a torn tail past the commit index is cut.
   */
  static async open(db: Db, logDir: string, options: RaftStoreOptions = {}): Promise<SegmentRaftStore> {
    const started = performance.now();
    const log = options.logger ?? pino({ level: 'silent' });
    const rec = await readRaftStateRecords(db);
    const firstIndex = rec.snapshot.index + 1;
    const { log: segments, runs, lastIndex } = await SegmentLog.open(logDir, {
      epoch: rec.epoch, firstIndex, commit: rec.hardState.commit, logger: log,
      ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }),
      ...(options.directIo === undefined ? {} : { directIo: options.directIo }),
    });
    if (rec.hardState.commit > lastIndex) {
      await segments.close();
      throw new StorageError('ERR_STORAGE_CORRUPT', `commit ${rec.hardState.commit} is beyond the last index ${lastIndex} in ${logDir}`);
    }
    // Entries reach their segment before the batch with their term's hard state: after a crash
    // between the two, the log holds a term the hard state lacks. No vote was sent in that term
    // (a vote is sent only after its record is durable), so the term is raised with none.
    let hardState = rec.hardState;
    const lastTerm = runs.lastTerm();
    if (lastTerm > hardState.term) {
      log.warn({ event: 'storage.raft.term_raised', from: hardState.term, to: lastTerm }, 'the log holds a newer term than the hard state: raising it');
      hardState = { term: lastTerm, vote: 0, commit: hardState.commit };
    }
    const cache = new EntryCache(options.tailCacheBytesMax ?? 64 * MiB, options.fetchCacheBytesMax ?? 16 * MiB);
    const warm = Math.min(options.warmBytesMax ?? 8 * MiB, options.tailCacheBytesMax ?? 64 * MiB);
    if (warm > 0 && lastIndex >= firstIndex) cache.appendTail(await readAll(segments, segments.tailStart(warm, firstIndex), lastIndex + 1));
    const store = new SegmentRaftStore(db, segments, cache, log, options.fetchBytesMax ?? 8 * MiB,
      hardState, rec.confState, rec.snapshot, rec.epoch, runs, firstIndex, lastIndex, rec.appliedIndex);
    log.info({
      event: 'storage.raft.opened', firstIndex, lastIndex, term: rec.hardState.term, commit: rec.hardState.commit,
      termRuns: runs.length, segments: segments.files().length, cachedEntries: cache.stats().tailEntries,
      openMs: Math.round(performance.now() - started),
    }, 'raft store opened');
    return store;
  }

  // ---- LogStorage (synchronous) ----

  initialState(): InitialState {
    return { hardState: this.hard, confState: this.conf };
  }

  firstIndex(): number {
    return this.first;
  }

  lastIndex(): number {
    return this.last;
  }

  snapshotMeta(): SnapshotMeta {
    return this.snap;
  }

  term(i: number): number {
    if (i === this.snap.index) return this.snap.term;
    if (i < this.snap.index) throw new CompactedError(i, this.first);
    if (i > this.last) throw new UnavailableError(i, this.last);
    const t = this.runs.termAt(i);
    if (t === undefined) throw new StorageError('ERR_STORAGE_CORRUPT', `no term run covers index ${i}`);
    return t;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < this.first) throw new CompactedError(lo, this.first);
    if (hi > this.last + 1) throw new UnavailableError(hi - 1, this.last);
    if (lo >= hi) return [];
    const got = this.cache.get(lo, hi, maxBytes);
    if (got === null) throw new LogTemporarilyUnavailableError(lo, hi);
    return got;
  }

  // ---- writes ----

  /**
   * Makes one Ready's state durable in one atomic batch. `extra` may add puts/deletes of other
   * tables (never 0x01/0x02) to the same batch. Rejects with StorageError; after a failed write
   * the store refuses further writes (the node must restart and recover from disk).
   */
  persist(batch: PersistBatch, extra?: (w: BatchWriter) => void): Promise<void> {
    // What is staged now goes with this batch: the caller pairs it with the batch's conf state.
    const staged = this.staged.take();
    return this.serialized(() => this.doPersist(batch, staged, extra)).catch((err: unknown) => {
      // A refused batch wrote nothing and the store stays usable: the records wait for the next.
      if ((err as { code?: unknown }).code === 'ERR_STORAGE_INVALID_ARGUMENT') this.staged.putBack(staged);
      throw err;
    });
  }

  private async doPersist(batch: PersistBatch, staged: TakenWrites, extra?: (w: BatchWriter) => void): Promise<void> {
    const oldLast = this.last;
    let first = this.first;
    let last = this.last;
    let snap = this.snap;
    let runs = this.runs;
    let runsChanged = false;
    const s = batch.snapshot;
    if (s !== null) {
      if (s.index < this.snap.index) invalid(`snapshot ${s.index} is older than the stored one (${this.snap.index})`);
      snap = s;
      first = s.index + 1;
      last = s.index;
      runs = TermRuns.empty();
      runsChanged = true;
    }
    const entries = batch.entries;
    const start = entries.length === 0 ? last + 1 : entries[0]!.index;
    if (entries.length > 0) {
      if (start < first || start > last + 1) invalid(`entries start at ${start}, log is [${first}, ${last}]`);
      const prevTerm = start - 1 === snap.index ? snap.term : runs.termAt(start - 1) ?? 0;
      if (entries[0]!.term < prevTerm) invalid(`entry ${start} has term ${entries[0]!.term} below its predecessor's ${prevTerm}`);
      if (runsChanged || start <= last || runs.length === 0 || entries.some((e) => e.term !== runs.lastTerm())) {
        if (runs === this.runs) runs = runs.clone();
        runs.truncateFrom(start);
        runsChanged = true;
      }
      for (let k = 0; k < entries.length; k++) {
        const e = entries[k]!;
        if (e.index !== start + k) invalid(`entries are not contiguous at ${e.index}`);
        if (runsChanged) {
          try {
            runs.append(e.index, e.term);
          } catch (err) {
            invalid(`entry ${e.index}: ${(err as Error).message}`);
          }
        }
      }
      last = start + entries.length - 1;
    }
    const hs = batch.hardState;
    if (hs !== null && hs.commit > last) invalid(`commit ${hs.commit} is beyond the last index ${last}`);

    const extraOps: Array<[Buffer, Buffer | null]> = [];
    extra?.(guardedWriter({ put: (k, v) => extraOps.push([k, v]), del: (k) => extraOps.push([k, null]) }));

    await this.guarded(async () => {
      // Entries first: the batch below may commit them.
      const epoch = s === null ? this.epoch : this.epoch + 1;
      const replaced = s === null ? [] : await this.segments.startEpoch(epoch);
      if (s === null && entries.length > 0 && start <= oldLast) await this.segments.truncateFrom(start);
      await this.segments.append(entries, batch.sync);

      const w = this.db.batch();
      if (s !== null) {
        w.put(SNAPSHOT_KEY, encodeSnapshotMeta(s));
        w.put(EPOCH_KEY, u64Bytes(epoch));
      }
      const cs = batch.confState ?? (s !== null ? s.confState : null);
      if (cs !== null) w.put(CONF_STATE_KEY, encodeConfState(cs));
      if (hs !== null) w.put(HARD_STATE_KEY, encodeHardState(hs));
      staged.writeInto(w);
      for (const [key, value] of extraOps) {
        if (value === null) w.del(key);
        else w.put(key, value);
      }
      const voteChanged = hs !== null && (hs.term !== this.hard.term || hs.vote !== this.hard.vote);
      // Entries alone need no LevelDB write (the segment append made them durable).
      if (s !== null || cs !== null || hs !== null || staged.hasWrites || extraOps.length > 0) {
        await w.write({ sync: batch.sync && (entries.length === 0 || s !== null || voteChanged) });
      } else {
        await w.close();
      }
      runAll(staged.callbacks);

      // Durable: now the synchronous view moves.
      this.epoch = epoch;
      this.snap = snap;
      this.first = first;
      this.last = last;
      this.runs = runs;
      if (hs !== null) this.hard = hs;
      if (cs !== null) this.conf = cs;
      if (s !== null) {
        this.cache.clear();
        this.markStale(0);
      }
      if (entries.length > 0) {
        this.cache.truncateFrom(start);
        this.markStale(start);
        this.cache.appendTail(entries);
      } else if (last < oldLast) {
        this.markStale(last + 1);
      }
      await this.removeQuietly(replaced);
    });
  }

  /**
   * Compacts the log up to `snapshot.index`: records the snapshot meta durably, then deletes the
   * segment files that hold only older entries. Idempotent: a snapshot not newer than the
   * stored one is a no-op. The conf state record is left alone (it is newer).
   */
  compact(snapshot: SnapshotMeta): Promise<void> {
    return this.serialized(async () => {
      if (snapshot.index <= this.snap.index) return;
      if (snapshot.index > this.last) invalid(`cannot compact to ${snapshot.index} beyond the last index ${this.last}`);
      const term = this.term(snapshot.index);
      if (term !== snapshot.term) invalid(`snapshot term ${snapshot.term} != log term ${term} at ${snapshot.index}`);
      const runs = this.runs.clone();
      runs.trimBefore(snapshot.index + 1);
      await this.guarded(() => this.db.put(SNAPSHOT_KEY, encodeSnapshotMeta(snapshot), { sync: true }));
      this.snap = snapshot;
      this.first = snapshot.index + 1;
      this.runs = runs;
      this.cache.dropBefore(this.first);
      try {
        await this.segments.dropBefore(this.first);
      } catch (err) {
        this.log.warn({ event: 'storage.raft.segment_delete_failed', err }, 'deleting compacted raft log segments failed; retried at the next compaction or open');
      }
      this.log.info({ event: 'storage.raft.compacted', firstIndex: this.first, segments: this.segments.files().length }, 'raft log compacted');
    });
  }

  /** Loads entries from lo (below hi, about fetchBytesMax of payload) into the cache. */
  async fetchEntries(lo: number, hi: number): Promise<void> {
    this.checkUsable();
    const from = Math.max(lo, this.first);
    const to = Math.min(hi, this.last + 1);
    if (from >= to || this.cache.has(from)) return;
    const token: FetchToken = { staleFrom: Number.POSITIVE_INFINITY };
    this.fetches.add(token);
    let loaded: Entry[];
    try {
      loaded = await this.segments.read(from, to, this.fetchBytesMax);
    } finally {
      this.fetches.delete(token);
    }
    const fresh = loaded.filter((e) => e.index >= this.first && e.index < token.staleFrom && e.index <= this.last);
    this.cache.addFetched(fresh);
  }

  // ---- staged relay records ----

  /** Adds a put (or, with null, a delete) to the next persist() batch, atomic with it. A later
   *  stage of the same key replaces an earlier one. Raft tables (0x01, 0x02) are refused. */
  stage(key: Buffer, value: Buffer | null): void {
    this.staged.stage(key, value);
  }

  /** Runs `fn` once the batch carrying what is staged now is written. */
  onceWritten(fn: () => void): void {
    this.staged.onceWritten(fn);
  }

  /** Runs `stager` (once) right before the next persist() takes the staged records: it stages
   *  the state as of that moment, in the same batch. */
  stageBeforeTake(stager: () => void): void {
    this.staged.stageBeforeTake(stager);
  }

  /** Records are staged for the next batch. */
  hasStaged(): boolean {
    return this.staged.size > 0;
  }

  /** Stages the relay's applied index (monotone) for the next persist() batch. */
  stageAppliedIndex(index: number): void {
    if (index < this.applied) invalid(`applied index ${index} goes back from ${this.applied}`);
    this.applied = index;
    this.stage(appliedIndexKey(), u64Bytes(index));
  }

  /** The applied index recovered at open, or the last one staged since. */
  appliedIndex(): number {
    return this.applied;
  }

  /** Writes staged records now, for when no Ready is coming to carry them. */
  flushStaged(sync: boolean): Promise<void> {
    const staged = this.staged.take();
    return this.serialized(async () => {
      if (!staged.hasWrites) {
        runAll(staged.callbacks); // whatever they waited for went in an earlier batch
        return;
      }
      const w = this.db.batch();
      staged.writeInto(w);
      await this.guarded(() => w.write({ sync }));
      runAll(staged.callbacks);
    });
  }

  // ---- lifecycle ----

  /** Resolves when the writes and segment deletions asked for so far have finished. */
  whenCompacted(): Promise<void> {
    return this.writeChain;
  }

  /** Waits for pending writes and closes the segment files. Does not close the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeChain;
    await this.segments.close();
  }

  stats(): EntryCacheStats & { readonly termRuns: number; readonly segments: number } {
    return { ...this.cache.stats(), termRuns: this.runs.length, segments: this.segments.files().length };
  }

  /** Reads [lo, hi) from the segment files, past the cache (every record's CRC is checked). */
  readLog(lo: number, hi: number): Promise<Entry[]> {
    this.checkUsable();
    if (lo < this.first || hi > this.last + 1) invalid(`[${lo}, ${hi}) is outside the log [${this.first}, ${this.last}]`);
    return readAll(this.segments, lo, hi);
  }

  /** The segment files of the log, oldest first. */
  segmentFiles(): { path: string; first: number; entries: number; bytes: number }[] {
    return this.segments.files();
  }

  // ---- internals ----

  private serialized(fn: () => Promise<void>): Promise<void> {
    try {
      this.checkUsable();
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.writeChain.then(() => {
      this.checkUsable(true);
      return fn();
    });
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private checkUsable(ignoreClosed = false): void {
    if (this.failure !== null) throw this.failure;
    if (this.closed && !ignoreClosed) throw new StorageError('ERR_STORAGE_CLOSED', 'raft store is closed');
  }

  /** Runs a write; if it fails, the store refuses every later write (what is on disk is no
   *  longer known: the node must restart and recover). */
  private async guarded<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      this.failure = new StorageError('ERR_STORAGE_WRITE_FAILED', 'raft store write failed', { cause: err });
      this.log.error({ event: 'storage.raft.write_failed', err }, 'raft store write failed');
      throw this.failure;
    }
  }

  /** Entries >= index changed on disk: fetches in flight must not cache older copies. */
  private markStale(index: number): void {
    for (const t of this.fetches) t.staleFrom = Math.min(t.staleFrom, index);
  }

  /** Deletes replaced segments; a failure only leaves files that open() deletes. */
  private async removeQuietly(replaced: Parameters<SegmentLog['remove']>[0]): Promise<void> {
    if (replaced.length === 0) return;
    try {
      await this.segments.remove(replaced);
    } catch (err) {
      this.log.warn({ event: 'storage.raft.segment_delete_failed', err }, 'deleting replaced raft log segments failed; open() deletes them');
    }
  }
}

async function readAll(segments: SegmentLog, lo: number, hi: number): Promise<Entry[]> {
  const out: Entry[] = [];
  while (lo < hi) {
    const got = await segments.read(lo, hi, Number.POSITIVE_INFINITY);
    if (got.length === 0) throw new StorageError('ERR_STORAGE_CORRUPT', `raft log entry ${lo} changed while it was read`);
    out.push(...got);
    lo += got.length;
  }
  return out;
}

function runAll(callbacks: readonly (() => void)[]): void {
  for (const fn of callbacks) fn();
}

function invalid(message: string): never {
  throw new StorageError('ERR_STORAGE_INVALID_ARGUMENT', message);
}
