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

  get size(): number {
    return this.pending.size;
  }

  /** Runs `fn` once the batch carrying what is staged now has been written. */
  onceWritten(fn: () => void): void {
    this.callbacks.push(fn);
  }

  stage(key: Buffer, value: Buffer | null): void {
    assertNotRaftKey(key);
    this.pending.set(key.toString('hex'), { key, value });
  }

  /** Adds every pending write to `w` and forgets them; returns the callbacks to run once `w`
   *  is written. */
  drainInto(w: BatchWriter): (() => void)[] {
    for (const { key, value } of this.pending.values()) {
      if (value === null) w.del(key);
      else w.put(key, value);
    }
    this.pending.clear();
    const callbacks = this.callbacks;
    this.callbacks = [];
    return callbacks;
  }
}
