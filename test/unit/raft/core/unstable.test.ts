import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Unstable } from '../../../../raft/core/unstable.js';
import { ents, it, snap } from './helpers.js';

function unstable(offset: number, terms: number[], snapshot?: { index: number; term: number }): Unstable {
  const u = new Unstable(offset);
  if (snapshot !== undefined) u.restore(snap(snapshot.index, snapshot.term));
  u.truncateAndAppend(ents(terms, offset));
  return u;
}

test('maybeFirstIndex and maybeLastIndex come from the snapshot and the entries', () => {
  const cases: { u: Unstable; first: number | null; last: number | null }[] = [
    { u: unstable(5, [1]), first: null, last: 5 },
    { u: unstable(5, []), first: null, last: null },
    { u: unstable(5, [1], { index: 4, term: 1 }), first: 5, last: 5 },
    { u: unstable(5, [], { index: 4, term: 1 }), first: 5, last: 4 },
  ];
  for (const c of cases) {
    assert.equal(c.u.maybeFirstIndex(), c.first);
    assert.equal(c.u.maybeLastIndex(), c.last);
  }
});

test('maybeTerm knows its entries and the snapshot index, nothing else', () => {
  const cases: { u: Unstable; i: number; want: number | null }[] = [
    { u: unstable(5, [1]), i: 5, want: 1 },
    { u: unstable(5, [1]), i: 6, want: null },
    { u: unstable(5, [1]), i: 4, want: null },
    { u: unstable(5, [1], { index: 4, term: 1 }), i: 4, want: 1 },
    { u: unstable(5, [1], { index: 4, term: 1 }), i: 3, want: null },
    { u: unstable(5, [], { index: 4, term: 2 }), i: 4, want: 2 },
    { u: unstable(5, [], { index: 4, term: 2 }), i: 5, want: null },
    { u: unstable(5, [], undefined), i: 5, want: null },
  ];
  for (const c of cases) assert.equal(c.u.maybeTerm(c.i), c.want);
});

test('truncateAndAppend appends, replaces everything, or truncates then appends', () => {
  const cases: { offset: number; terms: number[]; inProgress: number; add: [number, number[]];
    wantOffset: number; wantEntries: string[]; wantInProgress: number }[] = [
    // append to the end
    { offset: 5, terms: [1], inProgress: 5, add: [6, [1, 1]], wantOffset: 5, wantEntries: ['5/1', '6/1', '7/1'], wantInProgress: 5 },
    { offset: 5, terms: [1], inProgress: 6, add: [6, [1, 1]], wantOffset: 5, wantEntries: ['5/1', '6/1', '7/1'], wantInProgress: 6 },
    // replace the unstable entries entirely
    { offset: 5, terms: [1], inProgress: 6, add: [5, [2, 2]], wantOffset: 5, wantEntries: ['5/2', '6/2'], wantInProgress: 5 },
    { offset: 5, terms: [1], inProgress: 6, add: [4, [2, 2, 2]], wantOffset: 4, wantEntries: ['4/2', '5/2', '6/2'], wantInProgress: 4 },
    // truncate, then append
    { offset: 5, terms: [1, 1, 1], inProgress: 5, add: [6, [2]], wantOffset: 5, wantEntries: ['5/1', '6/2'], wantInProgress: 5 },
    { offset: 5, terms: [1, 1, 1], inProgress: 8, add: [7, [2, 2]], wantOffset: 5, wantEntries: ['5/1', '6/1', '7/2', '8/2'], wantInProgress: 7 },
    { offset: 5, terms: [1, 1, 1], inProgress: 6, add: [7, [2]], wantOffset: 5, wantEntries: ['5/1', '6/1', '7/2'], wantInProgress: 6 },
  ];
  for (const c of cases) {
    const u = unstable(c.offset, c.terms);
    u.offsetInProgress = c.inProgress;
    u.truncateAndAppend(ents(c.add[1], c.add[0]));
    assert.equal(u.offset, c.wantOffset, JSON.stringify(c));
    assert.deepEqual(it(u.entries), c.wantEntries, JSON.stringify(c));
    assert.equal(u.offsetInProgress, c.wantInProgress, JSON.stringify(c));
  }
});

test('stableTo drops durable entries unless the term no longer matches', () => {
  const cases: { offset: number; terms: number[]; inProgress: number; to: [number, number];
    wantOffset: number; wantLen: number; wantInProgress: number }[] = [
    { offset: 5, terms: [1], inProgress: 6, to: [5, 1], wantOffset: 6, wantLen: 0, wantInProgress: 6 },
    { offset: 5, terms: [1, 1], inProgress: 6, to: [5, 1], wantOffset: 6, wantLen: 1, wantInProgress: 6 },
    { offset: 5, terms: [1, 1], inProgress: 7, to: [5, 1], wantOffset: 6, wantLen: 1, wantInProgress: 7 },
    { offset: 6, terms: [2], inProgress: 7, to: [6, 1], wantOffset: 6, wantLen: 1, wantInProgress: 7 }, // term mismatch
    { offset: 5, terms: [1], inProgress: 6, to: [4, 1], wantOffset: 5, wantLen: 1, wantInProgress: 6 }, // below offset
    { offset: 5, terms: [1], inProgress: 6, to: [6, 1], wantOffset: 5, wantLen: 1, wantInProgress: 6 }, // beyond
  ];
  for (const c of cases) {
    const u = unstable(c.offset, c.terms);
    u.offsetInProgress = c.inProgress;
    u.stableTo(c.to[0], c.to[1]);
    assert.equal(u.offset, c.wantOffset, JSON.stringify(c));
    assert.equal(u.entries.length, c.wantLen, JSON.stringify(c));
    assert.equal(u.offsetInProgress, c.wantInProgress, JSON.stringify(c));
  }
});

test('nextEntries and nextSnapshot hand out only what is not in progress', () => {
  const u = unstable(5, [1, 1], { index: 4, term: 1 });
  assert.deepEqual(it(u.nextEntries()), ['5/1', '6/1']);
  assert.equal(u.nextSnapshot()?.index, 4);
  u.acceptInProgress();
  assert.deepEqual(u.nextEntries(), []);
  assert.equal(u.nextSnapshot(), null);
  u.truncateAndAppend(ents([1], 7));
  assert.deepEqual(it(u.nextEntries()), ['7/1']);
  u.stableSnapTo(4);
  assert.equal(u.snapshot, null);
  u.stableTo(6, 1);
  assert.deepEqual(it(u.entries), ['7/1']);
  assert.deepEqual(it(u.nextEntries()), ['7/1']);
});

test('restore replaces everything by the snapshot', () => {
  const u = unstable(5, [1, 1]);
  u.acceptInProgress();
  u.restore(snap(10, 3));
  assert.equal(u.offset, 11);
  assert.equal(u.offsetInProgress, 11);
  assert.deepEqual(u.entries, []);
  assert.equal(u.maybeTerm(10), 3);
  assert.equal(u.nextSnapshot()?.index, 10);
});
