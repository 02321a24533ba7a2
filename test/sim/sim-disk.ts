// SimStore: the RaftStore port (raft/ports.ts) over a simulated LevelDB.
//
// Model (LevelDB semantics, see notes §C.6):
//   - every persist()/compact() is one atomic record, applied in submission order after a
//     simulated latency; a record is visible to reads once its write completes;
//   - a synced record makes itself and every earlier record durable (one log file, one fsync);
//   - a crash keeps the durable image plus a random prefix of the unsynced (or still in flight)
//     records: each survives with probability `unsyncedSurvivalProbability`, stopping at the
//     first lost one, since later writes cannot reach the disk before earlier ones;
//   - a synced write may fail (fsync error): persist() rejects with SimDiskError and the record's
//     fate is decided by the crash that must follow;
//   - an optional bounded tail cache: entries() below it throws LogTemporarilyUnavailableError
//     until fetchEntries() loads the range.
import {
  CompactedError,
  LogTemporarilyUnavailableError,
  UnavailableError,
} from '../../raft/core/errors.js';
import { limitBytes } from '../../raft/core/entry-size.js';
import type { InitialState } from '../../raft/core/log-storage.js';
import type { Entry, SnapshotMeta } from '../../raft/core/types.js';
import type { PersistBatch, RaftStore } from '../../raft/ports.js';
import { DiskImage, DiskImageError, type DiskRecord } from './disk-image.js';
import type { NodeGate } from './node-gate.js';
import type { SimRandom } from './prng.js';
import type { Scheduler } from './scheduler.js';

export interface DiskFaults {
  readonly writeLatencyMinMs: number;
  readonly writeLatencyMeanMs: number;
  /** Extra latency of a synced write (fsync). */
  readonly syncLatencyMeanMs: number;
  readonly fsyncErrorProbability: number;
  readonly unsyncedSurvivalProbability: number;
  /** Entries kept in memory behind lastIndex; Infinity disables cache misses. */
  readonly tailCacheEntries: number;
  /** Unsafe on purpose: synced writes are not made durable (a disk that acknowledges flushes
   *  it does not do). Off in every normal run; shows what the checkers catch. */
  readonly lyingFsync?: boolean;
}

export const QUIET_DISK: DiskFaults = {
  writeLatencyMinMs: 0.05,
  writeLatencyMeanMs: 0.1,
  syncLatencyMeanMs: 0.4,
  fsyncErrorProbability: 0,
  unsyncedSurvivalProbability: 0.5,
  tailCacheEntries: Infinity,
};

export type SimDiskErrorCode = 'SIM_DISK_FSYNC_FAILED' | 'SIM_DISK_CLOSED';

export class SimDiskError extends Error {
  constructor(readonly code: SimDiskErrorCode, message: string) {
    super(message);
    this.name = 'SimDiskError';
  }
}

interface PendingWrite {
  readonly record: DiskRecord;
  readonly sync: boolean;
}

export class SimStore implements RaftStore {
  private visible = new DiskImage();
  private durable = new DiskImage();
  /** Completed but not yet synced records, oldest first. */
  private unsynced: DiskRecord[] = [];
  /** Submitted, not yet completed, in submission order. */
  private inFlight: PendingWrite[] = [];
  private gate: NodeGate | null = null;
  private busyUntilMs = 0;
  private fetched: { lo: number; hi: number } = { lo: 0, hi: 0 };
  /** Applied index staged for the next batch (null: nothing staged). */
  private staged: number | null = null;
  readonly counts = { batches: 0, syncs: 0, fsyncErrors: 0, crashes: 0, cacheMisses: 0 };

  constructor(
    readonly nodeId: number,
    private readonly sched: Scheduler,
    private readonly rand: SimRandom,
    private faults: DiskFaults = QUIET_DISK,
  ) {}

  setFaults(faults: DiskFaults): void {
    this.faults = faults;
  }

  get currentFaults(): DiskFaults {
    return this.faults;
  }

  /** Binds the store to a node incarnation: completions run through its gate. */
  attach(gate: NodeGate): void {
    this.gate = gate;
  }

  // ---- LogStorage (synchronous reads of the visible image) ----

  initialState(): InitialState {
    return { hardState: this.visible.hardState, confState: this.visible.confState };
  }

  /** The application's applied index recovered from disk, or the last one staged since (the
   *  relay's store has the same pair: storage/raft-store.ts). */
  appliedIndex(): number {
    return this.staged ?? this.visible.appliedIndex;
  }

  /** The application's applied index in what persist() has written (what is staged left out). */
  writtenAppliedIndex(): number {
    return this.visible.appliedIndex;
  }

  /** Stages the application's applied index for the next persist() batch, atomic with it. */
  stageAppliedIndex(index: number): void {
    const current = this.appliedIndex();
    if (index < current) throw new DiskImageError(`applied index ${index} goes back from ${current}`);
    this.staged = index;
  }

  hasStaged(): boolean {
    return this.staged !== null;
  }

  firstIndex(): number {
    return this.visible.firstIndex;
  }

  lastIndex(): number {
    return this.visible.lastIndex;
  }

  term(i: number): number {
    const t = this.visible.termAt(i);
    if (t !== undefined) return t;
    if (i < this.visible.snapshot.index) throw new CompactedError(i, this.visible.firstIndex);
    throw new UnavailableError(i, this.visible.lastIndex);
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const v = this.visible;
    if (lo < v.firstIndex) throw new CompactedError(lo, v.firstIndex);
    if (hi > v.lastIndex + 1) throw new UnavailableError(hi - 1, v.lastIndex);
    if (lo >= hi) return [];
    const cacheFloor = v.lastIndex + 1 - this.faults.tailCacheEntries;
    let end = hi;
    if (lo < cacheFloor) {
      if (lo >= this.fetched.lo && lo < this.fetched.hi) {
        // The fetched range serves up to its end; if it reaches the cached tail, so does the read.
        end = this.fetched.hi >= cacheFloor ? hi : Math.min(hi, this.fetched.hi);
      } else {
        this.counts.cacheMisses++;
        throw new LogTemporarilyUnavailableError(lo, Math.min(hi, cacheFloor));
      }
    }
    const base = v.snapshot.index + 1;
    return limitBytes(v.entries.slice(lo - base, end - base), maxBytes);
  }

  snapshotMeta(): SnapshotMeta {
    return this.visible.snapshot;
  }

  // ---- writes ----

  persist(batch: PersistBatch): Promise<void> {
    const appliedIndex = this.staged;
    this.staged = null;
    return this.write({ kind: 'batch', batch, appliedIndex }, batch.sync);
  }

  /** Compaction is recorded with a synced write (so the hard state it relies on is durable). */
  compact(snapshot: SnapshotMeta): Promise<void> {
    return this.write({ kind: 'compact', snapshot }, true);
  }

  fetchEntries(lo: number, hi: number): Promise<void> {
    const gate = this.requireGate();
    return new Promise((resolve) => {
      const delay = this.faults.writeLatencyMinMs + this.rand.exponential(this.faults.writeLatencyMeanMs);
      gate.after(delay, `n${this.nodeId} disk fetched [${lo},${hi})`, () => {
        this.fetched = { lo, hi };
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private requireGate(): NodeGate {
    if (this.gate === null || !this.gate.alive) throw new SimDiskError('SIM_DISK_CLOSED', `n${this.nodeId}: store has no live node`);
    return this.gate;
  }

  private write(record: DiskRecord, sync: boolean): Promise<void> {
    const gate = this.requireGate();
    const pending: PendingWrite = { record, sync };
    this.inFlight.push(pending);
    let latency = this.faults.writeLatencyMinMs + this.rand.exponential(this.faults.writeLatencyMeanMs);
    if (sync) latency += this.rand.exponential(this.faults.syncLatencyMeanMs);
    const fail = sync && this.rand.chance(this.faults.fsyncErrorProbability);
    // One writer queue: completions happen in submission order.
    const at = Math.max(this.sched.nowMs + latency, this.busyUntilMs);
    this.busyUntilMs = at;
    return new Promise((resolve, reject) => {
      gate.after(at - this.sched.nowMs, `n${this.nodeId} disk ${describeRecord(record, sync)}${fail ? ' FSYNC-ERROR' : ''}`, () => {
        this.inFlight.shift();
        this.visible.apply(record);
        this.counts.batches++;
        if (fail) {
          this.counts.fsyncErrors++;
          this.unsynced.push(record);
          reject(new SimDiskError('SIM_DISK_FSYNC_FAILED', `n${this.nodeId}: fsync failed`));
          return;
        }
        if (sync && this.faults.lyingFsync !== true) {
          this.counts.syncs++;
          for (const r of this.unsynced) this.durable.apply(r);
          this.durable.apply(record);
          this.unsynced = [];
        } else {
          this.unsynced.push(record);
        }
        resolve();
      });
    });
  }

  /** Power loss: keeps the durable image plus a random prefix of the unsynced and in-flight
   *  records. The caller kills the node's gate, so pending promises never settle. */
  crash(): { survived: number; lost: number } {
    this.counts.crashes++;
    const candidates = [...this.unsynced, ...this.inFlight.map((p) => p.record)];
    let survived = 0;
    while (survived < candidates.length && this.rand.chance(this.faults.unsyncedSurvivalProbability)) {
      this.durable.apply(candidates[survived]!);
      survived++;
    }
    this.unsynced = [];
    this.inFlight = [];
    this.busyUntilMs = 0;
    this.fetched = { lo: 0, hi: 0 };
    this.staged = null;
    this.visible = this.durable.clone();
    this.gate = null;
    return { survived, lost: candidates.length - survived };
  }

  /** The state reads see (for checkers). */
  get image(): DiskImage {
    return this.visible;
  }

  /** The state a crash right now would keep at least (for checkers). */
  get durableImage(): DiskImage {
    return this.durable;
  }
}

function describeRecord(r: DiskRecord, sync: boolean): string {
  if (r.kind === 'compact') return `compact@${r.snapshot.index}`;
  const b = r.batch;
  const parts: string[] = [];
  if (b.confState !== undefined && b.confState !== null) parts.push(`conf{v${b.confState.voters.join(',')} l${b.confState.learners.join(',')}}`);
  if (r.appliedIndex !== null) parts.push(`applied=${r.appliedIndex}`);
  if (b.snapshot !== null) parts.push(`snap@${b.snapshot.index}`);
  if (b.entries.length > 0) parts.push(`ents[${b.entries[0]!.index}..${b.entries[b.entries.length - 1]!.index}]`);
  if (b.hardState !== null) parts.push(`hs{t${b.hardState.term} v${b.hardState.vote} c${b.hardState.commit}}`);
  return `${parts.join(' ')}${sync ? ' sync' : ''}`;
}
