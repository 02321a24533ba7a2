import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompactedError, LogTemporarilyUnavailableError, RaftInvariantError, UnavailableError } from '../../../../raft/core/errors.js';
import { MemoryLogStorage } from '../../../../raft/core/log-storage.js';
import { RaftLog } from '../../../../raft/core/raft-log.js';
import { entry, ents, it, snap } from './helpers.js';

/** A log whose storage holds `stored` (terms from index 1, after compacting to `compactTo`) and
 *  whose unstable part holds `unstable` (terms, right after). */
function log(stored: number[], unstable: number[] = [], compactTo = 0): RaftLog {
  const s = MemoryLogStorage.bootstrap([1, 2, 3]);
  s.append(ents(stored));
  if (compactTo > 0) s.compact(snap(compactTo, s.term(compactTo)));
  const l = new RaftLog(s);
  l.append(ents(unstable, stored.length + 1));
  return l;
}

test('findConflict returns the first new or conflicting index, or 0', () => {
  const previous = [1, 2, 3];
  const cases: { add: [number, number[]]; want: number }[] = [
    { add: [1, []], want: 0 },
    { add: [1, [1, 2, 3]], want: 0 },
    { add: [2, [2, 3]], want: 0 },
    { add: [3, [3]], want: 0 },
    // new entries
    { add: [1, [1, 2, 3, 4, 4]], want: 4 },
    { add: [3, [3, 4, 4]], want: 4 },
    { add: [4, [4, 4]], want: 4 },
    // conflicts
    { add: [1, [4, 4]], want: 1 },
    { add: [2, [1, 4, 4]], want: 2 },
    { add: [3, [1, 2, 4, 4]], want: 3 },
  ];
  for (const c of cases) {
    assert.equal(log(previous).findConflict(ents(c.add[1], c.add[0])), c.want, JSON.stringify(c));
  }
});

test('findConflictByTerm finds the last index with a term at most the given one', () => {
  const cases: { stored: number[]; compactTo: number; index: number; term: number; want: [number, number] }[] = [
    // log: 1/2 2/2 3/5 4/5 5/5
    { stored: [2, 2, 5, 5, 5], compactTo: 0, index: 5, term: 6, want: [5, 5] },
    { stored: [2, 2, 5, 5, 5], compactTo: 0, index: 5, term: 5, want: [5, 5] },
    { stored: [2, 2, 5, 5, 5], compactTo: 0, index: 5, term: 4, want: [2, 2] },
    { stored: [2, 2, 5, 5, 5], compactTo: 0, index: 5, term: 2, want: [2, 2] },
    { stored: [2, 2, 5, 5, 5], compactTo: 0, index: 5, term: 1, want: [0, 0] },
    { stored: [2, 2, 5, 5, 5], compactTo: 0, index: 1, term: 2, want: [1, 2] },
    { stored: [2, 2, 5, 5, 5], compactTo: 0, index: 0, term: 0, want: [0, 0] },
    // beyond the end: term unknown, the index itself may match
    { stored: [2, 2, 5, 5, 5], compactTo: 0, index: 7, term: 5, want: [7, 0] },
    // compacted below 2: stops there with an unknown term
    { stored: [2, 2, 5, 5, 5], compactTo: 2, index: 5, term: 4, want: [2, 2] },
    { stored: [2, 2, 5, 5, 5], compactTo: 3, index: 5, term: 4, want: [2, 0] },
  ];
  for (const c of cases) {
    const got = log(c.stored, [], c.compactTo).findConflictByTerm(c.index, c.term);
    assert.deepEqual([got.index, got.term], c.want, JSON.stringify(c));
  }
});

test('maybeAppend appends on a matching prefix, truncates conflicts and caps commit', () => {
  const cases: {
    index: number; logTerm: number; commit: number; add: number[];
    want: number | null; wantCommit: number; wantLog: string[];
  }[] = [
    // mismatched previous entry: rejected, nothing changes
    { index: 3, logTerm: 2, commit: 3, add: [4], want: null, wantCommit: 1, wantLog: ['1/1', '2/2', '3/3'] },
    { index: 4, logTerm: 4, commit: 3, add: [4], want: null, wantCommit: 1, wantLog: ['1/1', '2/2', '3/3'] },
    // match, no new entries: commit moves up to min(commit, last new)
    { index: 3, logTerm: 3, commit: 3, add: [], want: 3, wantCommit: 3, wantLog: ['1/1', '2/2', '3/3'] },
    { index: 3, logTerm: 3, commit: 4, add: [], want: 3, wantCommit: 3, wantLog: ['1/1', '2/2', '3/3'] },
    { index: 2, logTerm: 2, commit: 3, add: [], want: 2, wantCommit: 2, wantLog: ['1/1', '2/2', '3/3'] },
    // match and new entries
    { index: 3, logTerm: 3, commit: 4, add: [4], want: 4, wantCommit: 4, wantLog: ['1/1', '2/2', '3/3', '4/4'] },
    { index: 3, logTerm: 3, commit: 5, add: [4, 4], want: 5, wantCommit: 5, wantLog: ['1/1', '2/2', '3/3', '4/4', '5/4'] },
    // already present: nothing truncated even though the message is shorter than our log
    { index: 1, logTerm: 1, commit: 2, add: [2], want: 2, wantCommit: 2, wantLog: ['1/1', '2/2', '3/3'] },
    // conflict: the uncommitted suffix is replaced
    { index: 1, logTerm: 1, commit: 1, add: [4], want: 2, wantCommit: 1, wantLog: ['1/1', '2/4'] },
    { index: 2, logTerm: 2, commit: 3, add: [4, 4], want: 4, wantCommit: 3, wantLog: ['1/1', '2/2', '3/4', '4/4'] },
  ];
  for (const c of cases) {
    const l = log([1, 2, 3]);
    l.commitTo(1);
    const got = l.maybeAppend(c.index, c.logTerm, c.commit, ents(c.add, c.index + 1));
    assert.equal(got, c.want, JSON.stringify(c));
    assert.equal(l.committed, c.wantCommit, JSON.stringify(c));
    assert.deepEqual(it(l.slice(1, l.lastIndex() + 1, Infinity)), c.wantLog, JSON.stringify(c));
  }
});

test('maybeAppend refuses to overwrite a committed entry', () => {
  const l = log([1, 2, 3]);
  l.commitTo(3);
  assert.throws(() => l.maybeAppend(1, 1, 3, ents([4, 4], 2)), RaftInvariantError);
});

test('term answers for [firstIndex-1, lastIndex] and throws typed errors outside', () => {
  const l = log([1, 2, 3, 4, 5], [6, 7], 2); // storage 3..5 (snapshot at 2/2), unstable 6..7
  assert.equal(l.firstIndex(), 3);
  assert.equal(l.lastIndex(), 7);
  const cases: [number, number | 'compacted' | 'unavailable'][] = [
    [1, 'compacted'], [2, 2], [3, 3], [5, 5], [6, 6], [7, 7], [8, 'unavailable'],
  ];
  for (const [i, want] of cases) {
    if (want === 'compacted') assert.throws(() => l.term(i), CompactedError);
    else if (want === 'unavailable') assert.throws(() => l.term(i), UnavailableError);
    else assert.equal(l.term(i), want);
    assert.equal(l.termOrZero(i), typeof want === 'number' ? want : 0);
  }
});

test('slice reads across storage and unstable, honours the byte limit, keeps at least one entry', () => {
  const s = MemoryLogStorage.bootstrap([1]);
  s.append([entry(1, 1, 10), entry(2, 1, 10), entry(3, 1, 10)]);
  const l = new RaftLog(s);
  l.append([entry(4, 1, 10), entry(5, 1, 10)]);
  const cases: { lo: number; hi: number; max: number; want: string[] }[] = [
    { lo: 1, hi: 6, max: Infinity, want: ['1/1', '2/1', '3/1', '4/1', '5/1'] },
    { lo: 2, hi: 5, max: Infinity, want: ['2/1', '3/1', '4/1'] },
    { lo: 4, hi: 6, max: Infinity, want: ['4/1', '5/1'] },
    { lo: 3, hi: 3, max: Infinity, want: [] },
    { lo: 1, hi: 6, max: 0, want: ['1/1'] },
    { lo: 1, hi: 6, max: 25, want: ['1/1', '2/1'] },
    { lo: 1, hi: 6, max: 30, want: ['1/1', '2/1', '3/1'] },
    { lo: 1, hi: 6, max: 40, want: ['1/1', '2/1', '3/1', '4/1'] },
    { lo: 3, hi: 6, max: 15, want: ['3/1'] },
    { lo: 4, hi: 6, max: 5, want: ['4/1'] },
  ];
  for (const c of cases) assert.deepEqual(it(l.slice(c.lo, c.hi, c.max)), c.want, JSON.stringify(c));
  assert.throws(() => l.slice(0, 2, Infinity), CompactedError);
  assert.throws(() => l.slice(1, 7, Infinity), RaftInvariantError);
});

test('slice propagates LogTemporarilyUnavailableError from storage', () => {
  const s = MemoryLogStorage.bootstrap([1]);
  s.append(ents([1, 1, 1]));
  s.evictBelow(3);
  const l = new RaftLog(s);
  assert.throws(() => l.slice(1, 4, Infinity), LogTemporarilyUnavailableError);
  assert.deepEqual(it(l.slice(3, 4, Infinity)), ['3/1']);
});

test('commitTo never decreases and never passes the last index', () => {
  const l = log([1, 2, 3]);
  l.commitTo(2);
  l.commitTo(1);
  assert.equal(l.committed, 2);
  assert.throws(() => l.commitTo(4), RaftInvariantError);
});

test('maybeCommit only commits an entry of the given (current) term', () => {
  const cases: { index: number; term: number; want: boolean; wantCommit: number }[] = [
    { index: 3, term: 3, want: true, wantCommit: 3 },
    { index: 3, term: 2, want: false, wantCommit: 1 }, // Figure 8: old-term entry is not committed by count
    { index: 2, term: 2, want: true, wantCommit: 2 },
    { index: 1, term: 1, want: false, wantCommit: 1 }, // not ahead
    { index: 9, term: 3, want: false, wantCommit: 1 }, // beyond the log
  ];
  for (const c of cases) {
    const l = log([1, 2, 3]);
    l.commitTo(1);
    assert.equal(l.maybeCommit(c.index, c.term), c.want, JSON.stringify(c));
    assert.equal(l.committed, c.wantCommit);
  }
});

test('isUpToDate compares last term first, then last index (§5.4.1)', () => {
  const l = log([1, 2, 3]);
  const cases: [number, number, boolean][] = [
    [2, 4, true], [3, 4, true], [4, 4, true],
    [2, 2, false], [3, 2, false], [4, 2, false],
    [2, 3, false], [3, 3, true], [4, 3, true],
  ];
  for (const [index, term, want] of cases) assert.equal(l.isUpToDate(index, term), want, `${index}/${term}`);
});

test('nextCommittedEntries hands out (applying, committed] and nothing while a snapshot is pending', () => {
  const l = log([1, 1], [1, 1]);
  l.commitTo(3);
  assert.deepEqual(it(l.nextCommittedEntries(Infinity)), ['1/1', '2/1', '3/1']);
  l.applyingTo(2);
  assert.deepEqual(it(l.nextCommittedEntries(Infinity)), ['3/1']);
  l.appliedTo(2);
  assert.throws(() => l.appliedTo(3), /applied 3 is out of \[2, 2\]/, 'applied never passes what was handed out');
  l.restore(snap(10, 2));
  assert.equal(l.committed, 10);
  assert.equal(l.hasNextCommittedEntries(), false);
  assert.deepEqual(l.nextCommittedEntries(Infinity), []);
  assert.equal(l.firstIndex(), 11);
  assert.equal(l.lastIndex(), 10);
  assert.equal(l.term(10), 2);
});

test('stable-only hand-out stops at the last durable entry, and the rest follows once written', () => {
  const l = log([1, 1], [1, 1]); // 1..2 in storage, 3..4 unstable
  l.commitTo(4);
  assert.equal(l.lastStableIndex(), 2);
  assert.deepEqual(it(l.nextCommittedEntries(Infinity, true)), ['1/1', '2/1']);
  l.applyingTo(2);
  assert.equal(l.hasNextCommittedEntries(true), false, 'committed but not yet written here');
  assert.equal(l.hasNextCommittedEntries(), true);
  l.stableTo(4, 1);
  assert.equal(l.lastStableIndex(), 4);
  assert.equal(l.hasNextCommittedEntries(true), true, 'written: 3..4 may be applied');
});

test('a restarted log resumes commit from the hard state and applied from the config', () => {
  const s = MemoryLogStorage.bootstrap([1]);
  s.append(ents([1, 1, 2]));
  s.setHardState({ term: 2, vote: 1, commit: 2 });
  const l = new RaftLog(s, 1);
  assert.equal(l.committed, 2);
  assert.equal(l.applied, 1);
  assert.throws(() => new RaftLog(s, 3), RaftInvariantError);
});
