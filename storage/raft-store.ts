// RaftStore on LevelDB: the raft log, hard state, conf state and snapshot metadata of one node.
//
// Reads are synchronous (LogStorage): `term(i)` comes from the in-memory term runs, `entries()`
// from the bounded entry cache; a miss throws LogTemporarilyUnavailableError and the driver calls
// fetchEntries() then retries. Nothing here reads the disk synchronously.
//
// Writes: every persist() is ONE chained LevelDB batch (entries, deletes of a replaced suffix,
// hard state, conf state, snapshot meta, term runs when they change, staged relay records),
// written with {sync} as asked. Memory is updated only after the batch is durable, so the
// synchronous view is always "what is on disk". Writes are serialised in call order.
//
// Invariants (checked at open, kept by every write):
//   - the log holds exactly the keys [firstIndex, lastIndex], firstIndex = snapshot.index + 1;
//     keys below firstIndex are garbage a background clear removes (idempotent, redone at open)
//   - term runs give the term of every index in [firstIndex, lastIndex]
//   - hardState.commit <= lastIndex
import type { Logger } from 'pino';
import { pino } from 'pino';
import {
  encodeConfState, encodeEntryRecord, encodeHardState, encodeSnapshotMeta,
} from '../raft/codec.js';
import type { InitialState } from '../raft/core/log-storage.js';
import { CompactedError, LogTemporarilyUnavailableError, UnavailableError } from '../raft/core/errors.js';
import type { ConfState, Entry, HardState, SnapshotMeta } from '../raft/core/types.js';
import type { PersistBatch, RaftStore } from '../raft/ports.js';
import type { BatchWriter, Db } from './db.js';
import { EntryCache, type EntryCacheStats } from './entry-cache.js';
import { appliedIndexKey, raftLogKey, RaftStateField, raftStateKey } from './keys.js';
import { readRange, readTail, recoverRaftState } from './raft-log-reader.js';
import { guardedWriter, StagedWrites } from './staged-writes.js';
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
  /** Re-read every entry at open, checking CRCs and terms (reads the whole log: slow). */
  readonly verifyOnOpen?: boolean;
  readonly logger?: Logger;
}

const MiB = 1024 * 1024;
const HARD_STATE_KEY = raftStateKey(RaftStateField.hardState);
const CONF_STATE_KEY = raftStateKey(RaftStateField.confState);
const SNAPSHOT_KEY = raftStateKey(RaftStateField.snapshotMeta);
const TERM_RUNS_KEY = raftStateKey(RaftStateField.termRuns);

/** A fetch in flight: truncations that happen meanwhile make part of its result stale. */
interface FetchToken {
  staleFrom: number;
}

export class LevelRaftStore implements RaftStore {
  private hard: HardState;
  private conf: ConfState;
  private snap: SnapshotMeta;
  private runs: TermRuns;
  private first: number;
  private last: number;
  private applied: number;
  private readonly cache: EntryCache;
  private readonly fetches = new Set<FetchToken>();
  private readonly staged = new StagedWrites();
  private writeChain: Promise<void> = Promise.resolve();
  private clearChain: Promise<void> = Promise.resolve();
  private failure: StorageError | null = null;
  private closed = false;

  private constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly fetchBytesMax: number,
    state: Awaited<ReturnType<typeof recoverRaftState>>,
    cache: EntryCache,
  ) {
    this.hard = state.hardState;
    this.conf = state.confState;
    this.snap = state.snapshot;
    this.runs = state.runs;
    this.first = state.firstIndex;
    this.last = state.lastIndex;
    this.applied = state.appliedIndex;
    this.cache = cache;
  }

  /** Recovers the raft state from `db` (which the caller opened and will close). */
  static async open(db: Db, options: RaftStoreOptions = {}): Promise<LevelRaftStore> {
    const started = performance.now();
    const log = options.logger ?? pino({ level: 'silent' });
    const state = await recoverRaftState(db, log, options.verifyOnOpen ?? false);
    const cache = new EntryCache(options.tailCacheBytesMax ?? 64 * MiB, options.fetchCacheBytesMax ?? 16 * MiB);
    const warm = Math.min(options.warmBytesMax ?? 8 * MiB, options.tailCacheBytesMax ?? 64 * MiB);
    cache.appendTail(await readTail(db, state.firstIndex, state.lastIndex, warm));
    const store = new LevelRaftStore(db, log, options.fetchBytesMax ?? 8 * MiB, state, cache);
    if (state.runsRebuilt) await db.put(TERM_RUNS_KEY, state.runs.encode(), { sync: true });
    if (state.staleFrom !== null) store.clearPrefix(state.staleFrom, state.firstIndex);
    log.info({
      event: 'storage.raft.opened', firstIndex: state.firstIndex, lastIndex: state.lastIndex,
      term: state.hardState.term, commit: state.hardState.commit, termRuns: state.runs.length,
      cachedEntries: cache.stats().tailEntries, openMs: Math.round(performance.now() - started),
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
    return this.serialized(() => this.doPersist(batch, extra));
  }

  private async doPersist(batch: PersistBatch, extra?: (w: BatchWriter) => void): Promise<void> {
    const oldFirst = this.first;
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

    const w = this.db.batch();
    if (s !== null) w.put(SNAPSHOT_KEY, encodeSnapshotMeta(s));
    const cs = batch.confState ?? (s !== null ? s.confState : null);
    if (cs !== null) w.put(CONF_STATE_KEY, encodeConfState(cs));
    for (const e of entries) w.put(raftLogKey(e.index), encodeEntryRecord(e));
    for (let i = Math.max(last + 1, first); i <= oldLast; i++) w.del(raftLogKey(i));
    if (runsChanged) w.put(TERM_RUNS_KEY, runs.encode());
    if (hs !== null) w.put(HARD_STATE_KEY, encodeHardState(hs));
    const written = this.staged.drainInto(w);
    for (const [key, value] of extraOps) {
      if (value === null) w.del(key);
      else w.put(key, value);
    }
    await this.write(w, batch.sync);
    runAll(written);

    // Durable: now the synchronous view moves.
    this.snap = snap;
    this.first = first;
    this.last = last;
    this.runs = runs;
    if (hs !== null) this.hard = hs;
    if (cs !== null) this.conf = cs;
    if (s !== null) {
      this.cache.clear();
      this.markStale(0);
      if (oldFirst < first) this.clearPrefix(oldFirst, Math.min(first, oldLast + 1));
    }
    if (entries.length > 0) {
      this.cache.truncateFrom(start);
      this.markStale(start);
      this.cache.appendTail(entries);
    } else if (last < oldLast) {
      this.markStale(last + 1);
    }
  }

  /**
   * Compacts the log up to `snapshot.index`: records the snapshot meta (and trimmed term runs)
   * durably, then deletes the old prefix in the background. Idempotent: a snapshot not newer
   * than the stored one is a no-op. The conf state record is left alone (it is newer).
   */
  compact(snapshot: SnapshotMeta): Promise<void> {
    return this.serialized(async () => {
      if (snapshot.index <= this.snap.index) return;
      if (snapshot.index > this.last) invalid(`cannot compact to ${snapshot.index} beyond the last index ${this.last}`);
      const term = this.term(snapshot.index);
      if (term !== snapshot.term) invalid(`snapshot term ${snapshot.term} != log term ${term} at ${snapshot.index}`);
      const runs = this.runs.clone();
      runs.trimBefore(snapshot.index + 1);
      const w = this.db.batch();
      w.put(SNAPSHOT_KEY, encodeSnapshotMeta(snapshot));
      w.put(TERM_RUNS_KEY, runs.encode());
      await this.write(w, true);
      const oldFirst = this.first;
      this.snap = snapshot;
      this.first = snapshot.index + 1;
      this.runs = runs;
      this.cache.dropBefore(this.first);
      this.clearPrefix(oldFirst, this.first);
      this.log.info({ event: 'storage.raft.compacted', firstIndex: this.first }, 'raft log compacted');
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
      loaded = await readRange(this.db, from, to, this.fetchBytesMax);
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
    return this.serialized(async () => {
      if (this.staged.size === 0) return;
      const w = this.db.batch();
      const written = this.staged.drainInto(w);
      await this.write(w, sync);
      runAll(written);
    });
  }

  // ---- lifecycle ----

  /** Resolves when every background prefix clear scheduled so far has finished. */
  whenCompacted(): Promise<void> {
    return this.clearChain;
  }

  /** Waits for pending writes and background clears. Does not close the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeChain.catch(() => undefined);
    await this.clearChain;
  }

  stats(): EntryCacheStats & { readonly termRuns: number } {
    return { ...this.cache.stats(), termRuns: this.runs.length };
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

  private async write(w: ReturnType<Db['batch']>, sync: boolean): Promise<void> {
    try {
      await w.write({ sync });
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

  /** Deletes log keys [from, to) in the background; safe to repeat, redone at open if cut short. */
  private clearPrefix(from: number, to: number): void {
    if (from >= to) return;
    this.clearChain = this.clearChain.then(async () => {
      const started = performance.now();
      try {
        await this.db.clear({ gte: raftLogKey(from), lt: raftLogKey(to) });
        this.log.debug({ event: 'storage.raft.prefix_cleared', from, to, ms: Math.round(performance.now() - started) }, 'log prefix cleared');
      } catch (err) {
        this.log.warn({ event: 'storage.raft.prefix_clear_failed', from, to, err }, 'log prefix clear failed; retried at next open');
      }
    });
  }
}

function runAll(callbacks: readonly (() => void)[]): void {
  for (const fn of callbacks) fn();
}

function invalid(message: string): never {
  throw new StorageError('ERR_STORAGE_INVALID_ARGUMENT', message);
}
