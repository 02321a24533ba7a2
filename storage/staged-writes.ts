// Writes other modules (the relay) hand to the raft store to ride in its next batch, so their
// records commit atomically with the raft state they derive from. They may touch any table but
// the raft ones (0x01 log, 0x02 raft state): those are the store's alone.
import type { BatchWriter } from './db.js';
import { Table } from './keys.js';
import { StorageError } from './storage-error.js';

export function assertNotRaftKey(key: Buffer): void {
  if (key.length === 0 || key[0] === Table.raftLog || key[0] === Table.raftState) {
    throw new StorageError('ERR_STORAGE_INVALID_ARGUMENT', 'extra batch operations must not touch the raft tables');
  }
}

/** A BatchWriter over `w` that refuses raft-table keys. */
export function guardedWriter(w: BatchWriter): BatchWriter {
  return {
    put(key, value) {
      assertNotRaftKey(key);
      w.put(key, value);
    },
    del(key) {
      assertNotRaftKey(key);
      w.del(key);
    },
  };
}

/** Pending puts (or deletes, value null) keyed by key bytes; a later stage of a key wins. */
export class StagedWrites {
  private readonly pending = new Map<string, { key: Buffer; value: Buffer | null }>();
  private callbacks: (() => void)[] = [];
  /** Stagers run once each right before the next take (see stageBeforeTake). */
  private readonly deferred = new Set<() => void>();

  /** Writes staged, or stagers waiting for the next take. */
  get size(): number {
    return this.pending.size + this.deferred.size;
  }

  /** Runs `stager` (once, however often it is passed) right before the next take, to stage
   *  records that are cheaper to build once per batch than once per change: the relay's
   *  checkpoint, which would otherwise be encoded after every apply, before a replica is served. */
  stageBeforeTake(stager: () => void): void {
    this.deferred.add(stager);
  }

  /** Runs `fn` once the batch carrying what is staged now has been written. */
  onceWritten(fn: () => void): void {
    this.callbacks.push(fn);
  }

  stage(key: Buffer, value: Buffer | null): void {
    assertNotRaftKey(key);
    this.pending.set(key.toString('hex'), { key, value });
  }

  /** Returns writes a refused batch took, under what was staged since (a later stage wins). */
  putBack(taken: TakenWrites): void {
    const later = new Map(this.pending);
    this.pending.clear();
    for (const w of taken.writes) this.pending.set(w.key.toString('hex'), w);
    for (const [k, w] of later) this.pending.set(k, w);
    this.callbacks = [...taken.callbacks, ...this.callbacks];
  }

  /** Takes every pending write (and the callbacks waiting for them) out, to go into one batch. */
  take(): TakenWrites {
    for (const stager of this.deferred) stager();
    this.deferred.clear();
    const taken = new TakenWrites([...this.pending.values()], this.callbacks);
    this.pending.clear();
    this.callbacks = [];
    return taken;
  }
}

/** Writes taken out of StagedWrites at one moment: what a batch carries is what was staged when
 *  it was asked for, whatever is staged while it is being written. */
export class TakenWrites {
  constructor(
    readonly writes: readonly { key: Buffer; value: Buffer | null }[],
    /** To run once the batch carrying the writes is written. */
    readonly callbacks: readonly (() => void)[],
  ) {}

  get hasWrites(): boolean {
    return this.writes.length > 0;
  }

  writeInto(w: BatchWriter): void {
    for (const { key, value } of this.writes) {
      if (value === null) w.del(key);
      else w.put(key, value);
    }
  }
}
