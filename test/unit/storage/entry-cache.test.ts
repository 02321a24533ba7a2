import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Entry } from '../../../raft/core/types.js';
import { cachedEntryBytes, EntryCache } from '../../../storage/entry-cache.js';

function ents(lo: number, hi: number, size = 100, term = 1): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i < hi; i++) out.push({ index: i, term, type: 'normal', data: new Uint8Array(size) });
  return out;
}
const idx = (es: readonly Entry[] | null): number[] | null => es?.map((e) => e.index) ?? null;
const PER = cachedEntryBytes(ents(1, 2)[0]!);

test('the tail keeps the newest entries within its byte bound', () => {
  const c = new EntryCache(10 * PER, 0);
  c.appendTail(ents(1, 6));
  c.appendTail(ents(6, 21));
  assert.equal(c.stats().tailEntries, 10);
  assert.ok(c.stats().tailBytes <= 10 * PER);
  assert.equal(c.get(10, 21, Infinity), null);
  assert.deepEqual(idx(c.get(11, 21, Infinity)), [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
});

test('one entry larger than the whole bound is still kept', () => {
  const c = new EntryCache(PER, 0);
  c.appendTail(ents(1, 3, 10_000));
  assert.deepEqual(idx(c.get(2, 3, 0)), [2]);
});

test('maxBytes limits the result but at least one entry is returned', () => {
  const c = new EntryCache(1e9, 0);
  c.appendTail(ents(1, 11, 100));
  assert.deepEqual(idx(c.get(1, 11, 0)), [1]);
  assert.deepEqual(idx(c.get(1, 11, 250)), [1, 2]);
  assert.deepEqual(idx(c.get(3, 5, 1e9)), [3, 4]);
});

test('truncating from an index forgets it and everything after, in tail and windows', () => {
  const c = new EntryCache(1e9, 1e9);
  c.appendTail(ents(50, 60));
  c.addFetched(ents(10, 20));
  c.truncateFrom(55);
  c.truncateFrom(15);
  assert.deepEqual(idx(c.get(10, 100, Infinity)), [10, 11, 12, 13, 14]);
  assert.equal(c.get(50, 60, Infinity), null);
  c.appendTail(ents(15, 17, 100, 2));
  assert.deepEqual(c.get(14, 17, Infinity)?.map((e) => [e.index, e.term]), [[14, 1], [15, 2], [16, 2]]);
});

test('appended entries that do not continue the tail replace it', () => {
  const c = new EntryCache(1e9, 0);
  c.appendTail(ents(1, 5));
  c.appendTail(ents(100, 102));
  assert.equal(c.get(1, 2, Infinity), null);
  assert.deepEqual(idx(c.get(100, 102, Infinity)), [100, 101]);
});

test('a fetched window and the tail are stitched when contiguous; a gap cuts the result short', () => {
  const c = new EntryCache(1e9, 1e9);
  c.appendTail(ents(20, 30));
  c.addFetched(ents(10, 20));
  assert.deepEqual(idx(c.get(15, 25, Infinity)), [15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  c.addFetched(ents(1, 5));
  assert.deepEqual(idx(c.get(3, 25, Infinity)), [3, 4]);
});

test('fetched windows are bounded in bytes, least recently used evicted first', () => {
  const c = new EntryCache(0, 20 * PER);
  c.addFetched(ents(1, 11));
  c.addFetched(ents(100, 110));
  assert.notEqual(c.get(1, 2, Infinity), null); // touch: 1..10 is now most recent
  c.addFetched(ents(200, 210));
  assert.equal(c.stats().windows, 2);
  assert.ok(c.stats().windowBytes <= 20 * PER);
  assert.equal(c.get(100, 101, Infinity), null);
  assert.notEqual(c.get(1, 2, Infinity), null);
});

test('dropping a compacted prefix keeps the rest', () => {
  const c = new EntryCache(1e9, 1e9);
  c.appendTail(ents(1, 11));
  c.addFetched(ents(1, 4));
  c.dropBefore(6);
  assert.equal(c.has(5), false);
  assert.deepEqual(idx(c.get(6, 8, Infinity)), [6, 7]);
  assert.equal(c.stats().windows, 0);
});
