// observeRaftPersists: fsync latency from synced batches, commit latency from an entry's write to
// the batch whose hard state commits it; rewritten entries are not counted twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistBatch } from '../../../raft/ports.js';
import { observeRaftPersists } from '../../../src/metrics/raft-persist-observer.js';

function batch(first: number, count: number, commit: number | null, sync = true): PersistBatch {
  const entries = Array.from({ length: count }, (_, k) => ({ index: first + k, term: 1, type: 'normal', data: new Uint8Array(0) }));
  return { entries, hardState: commit === null ? null : { term: 1, vote: 0, commit }, snapshot: null, sync } as unknown as PersistBatch;
}

test('synced batches are timed as fsyncs, and entries as committed once a hard state covers them', async () => {
  const written: PersistBatch[] = [];
  const store = { persist: async (b: PersistBatch): Promise<void> => void written.push(b) };
  const synced: number[] = [];
  const committed: number[] = [];
  const undo = observeRaftPersists(store, { synced: (s) => synced.push(s), committed: (s) => committed.push(s) });
  await store.persist(batch(1, 3, null));
  await store.persist(batch(4, 2, null, false));
  assert.equal(committed.length, 0);
  await store.persist(batch(6, 0, 3));
  assert.equal(committed.length, 1, 'entries 1-3 committed');
  // 4-5 rewritten by a new leader before commit: counted once, from the rewrite.
  await store.persist(batch(4, 1, null));
  await store.persist(batch(5, 0, 4));
  assert.equal(committed.length, 2);
  assert.equal(synced.length, 4, 'the unsynced batch is no fsync');
  assert.ok([...synced, ...committed].every((s) => s >= 0 && s < 5));
  assert.equal(written.length, 5, 'every batch reached the store');
  undo();
  await store.persist(batch(5, 1, 5));
  assert.equal(synced.length, 4, 'undone: nothing observed');
});

test('a failed persist is not observed and still rejects', async () => {
  const store = { persist: (): Promise<void> => Promise.reject(new Error('disk gone')) };
  const synced: number[] = [];
  observeRaftPersists(store, { synced: (s) => synced.push(s), committed: () => undefined });
  await assert.rejects(store.persist(), /disk gone/);
  assert.equal(synced.length, 0);
});
