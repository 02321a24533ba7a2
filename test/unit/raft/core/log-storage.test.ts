import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompactedError, LogTemporarilyUnavailableError, RaftUsageError, UnavailableError } from '../../../../raft/core/errors.js';
import { MemoryLogStorage } from '../../../../raft/core/log-storage.js';
import { entry, ents, it, snap } from './helpers.js';

test('MemoryLogStorage serves terms for [firstIndex-1, lastIndex] and entries in [lo, hi)', () => {
  const s = MemoryLogStorage.bootstrap([1, 2, 3]);
  assert.equal(s.firstIndex(), 1);
  assert.equal(s.lastIndex(), 0);
  assert.equal(s.term(0), 0);
  s.append(ents([1, 1, 2, 3]));
  assert.deepEqual(it(s.entries(2, 4, Infinity)), ['2/1', '3/2']);
  assert.throws(() => s.term(5), UnavailableError);
  assert.throws(() => s.entries(1, 6, Infinity), UnavailableError);
  s.compact(snap(2, 1));
  assert.equal(s.firstIndex(), 3);
  assert.equal(s.term(2), 1);
  assert.throws(() => s.term(1), CompactedError);
  assert.throws(() => s.entries(2, 4, Infinity), CompactedError);
  assert.deepEqual(it(s.entries(3, 5, Infinity)), ['3/2', '4/3']);
});

test('MemoryLogStorage.append replaces a conflicting suffix and rejects gaps', () => {
  const s = MemoryLogStorage.bootstrap([1]);
  s.append(ents([1, 1, 1]));
  s.append(ents([2, 2], 2));
  assert.deepEqual(it(s.entries(1, 4, Infinity)), ['1/1', '2/2', '3/2']);
  assert.throws(() => s.append(ents([2], 5)), RaftUsageError);
});

test('MemoryLogStorage entries honour maxBytes but return at least one entry', () => {
  const s = MemoryLogStorage.bootstrap([1]);
  s.append([entry(1, 1, 100), entry(2, 1, 100), entry(3, 1, 100)]);
  assert.equal(s.entries(1, 4, 0).length, 1);
  assert.equal(s.entries(1, 4, 200).length, 2);
  assert.equal(s.entries(1, 4, 299).length, 2);
});

test('MemoryLogStorage.applySnapshot empties the log at the snapshot and adopts its membership', () => {
  const s = MemoryLogStorage.bootstrap([1]);
  s.append(ents([1, 1]));
  s.applySnapshot(snap(10, 3, [1, 2], [4]));
  assert.equal(s.firstIndex(), 11);
  assert.equal(s.lastIndex(), 10);
  assert.deepEqual(s.initialState().confState, { voters: [1, 2], learners: [4] });
  assert.throws(() => s.applySnapshot(snap(5, 1)), RaftUsageError);
});

test('an evicted range throws LogTemporarilyUnavailableError naming the range to load', () => {
  const s = MemoryLogStorage.bootstrap([1]);
  s.append(ents([1, 1, 1, 1]));
  s.evictBelow(3);
  assert.throws(() => s.entries(1, 5, Infinity), (err: unknown) =>
    err instanceof LogTemporarilyUnavailableError && err.lo === 1 && err.hi === 3 &&
    err.code === 'RAFT_LOG_TEMPORARILY_UNAVAILABLE');
  s.loadIntoCache(1);
  assert.equal(s.entries(1, 5, Infinity).length, 4);
});
