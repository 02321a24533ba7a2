import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftInvariantError } from '../../../../raft/core/errors.js';
import { Inflights } from '../../../../raft/core/inflights.js';

test('inflights fill up by count and free everything at or below an acked index', () => {
  const inf = new Inflights(10, 0);
  for (let i = 0; i < 10; i++) inf.add(i, 100);
  assert.equal(inf.count, 10);
  assert.equal(inf.full(), true);
  inf.freeLE(4);
  assert.equal(inf.count, 5);
  assert.equal(inf.bytes, 500);
  assert.equal(inf.full(), false);
  inf.freeLE(8);
  assert.equal(inf.count, 1);
  // wrap around the ring
  for (let i = 10; i < 19; i++) inf.add(i, 1);
  assert.equal(inf.full(), true);
  inf.freeLE(3); // stale ack: nothing freed
  assert.equal(inf.count, 10);
  inf.freeLE(18);
  assert.equal(inf.count, 0);
  assert.equal(inf.bytes, 0);
});

test('inflights are full once the byte budget is reached, even below the count limit', () => {
  const cases: { maxBytes: number; sizes: number[]; full: boolean }[] = [
    { maxBytes: 0, sizes: [1000, 1000], full: false },
    { maxBytes: 1000, sizes: [999], full: false },
    { maxBytes: 1000, sizes: [1000], full: true },
    { maxBytes: 1000, sizes: [600, 600], full: true },
    { maxBytes: 1000, sizes: [300, 300, 300], full: false },
  ];
  for (const c of cases) {
    const inf = new Inflights(100, c.maxBytes);
    c.sizes.forEach((s, i) => inf.add(i + 1, s));
    assert.equal(inf.full(), c.full, JSON.stringify(c));
  }
});

test('inflights reject an add while full or out of index order', () => {
  const inf = new Inflights(2, 0);
  inf.add(5, 1);
  assert.throws(() => inf.add(5, 1), RaftInvariantError);
  inf.add(6, 1);
  assert.throws(() => inf.add(7, 1), RaftInvariantError);
  inf.reset();
  assert.equal(inf.count, 0);
  inf.add(1, 1);
  assert.equal(inf.count, 1);
});
