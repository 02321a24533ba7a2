// The checkers must bite: each invariant is broken on purpose and must be reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Entry } from '../../raft/core/types.js';
import { SafetyChecker, SafetyViolation, type NodeView } from './checkers.js';
import { DiskImage } from './disk-image.js';

const ent = (index: number, term: number, data = `d${index}`): Entry => ({ index, term, type: 'normal', data: new TextEncoder().encode(data) });

function disk(entries: Entry[], commit: number, term = 1): DiskImage {
  const d = new DiskImage();
  d.apply({ kind: 'batch', appliedIndex: null, batch: { entries, hardState: { term, vote: 0, commit }, snapshot: null, sync: true } });
  return d;
}

function view(id: number, over: Partial<NodeView> = {}): NodeView {
  return { id, incarnation: 0, role: 'follower', term: 1, commitIndex: 0, appliedIndex: 0, lastIndex: 0, disk: new DiskImage(), ...over };
}

function violation(fn: () => void, invariant: string): void {
  assert.throws(fn, (err: unknown) => err instanceof SafetyViolation && err.invariant === invariant);
}

function checker(ids: number[]): SafetyChecker {
  const c = new SafetyChecker();
  for (const id of ids) c.nodeStarted(id, 0, 0);
  return c;
}

test('two leaders in one term', () => {
  const c = checker([1, 2]);
  c.afterEvent([view(1, { role: 'leader', term: 3 })]);
  c.afterEvent([view(1, { role: 'leader', term: 3 }), view(2, { role: 'follower', term: 3 })]);
  violation(() => c.afterEvent([view(2, { role: 'leader', term: 3 })]), 'election safety');
});

test('applied entries must agree with the committed log and be contiguous', () => {
  const c = checker([1, 2]);
  c.onApply(1, 1, [ent(1, 1), ent(2, 1)]);
  c.onApply(2, 1, [ent(1, 1)]);
  violation(() => c.onApply(2, 2, [ent(2, 2)]), 'committed log agreement');
  violation(() => c.onApply(1, 1, [ent(4, 1)]), 'apply order');
});

test('committed entries on disk must agree too', () => {
  const c = checker([1, 2]);
  c.afterEvent([view(1, { disk: disk([ent(1, 1), ent(2, 1)], 2), commitIndex: 2, lastIndex: 2 })]);
  violation(() => c.afterEvent([view(2, { disk: disk([ent(1, 1), ent(2, 1, 'other')], 2), commitIndex: 2, lastIndex: 2 })]),
    'committed log agreement');
});

test('commit and applied never go back within an incarnation; a restart may', () => {
  const c = checker([1]);
  c.afterEvent([view(1, { commitIndex: 5, appliedIndex: 4, lastIndex: 5 })]);
  violation(() => c.afterEvent([view(1, { commitIndex: 4, appliedIndex: 4, lastIndex: 5 })]), 'commit monotone');
  c.nodeStarted(1, 1, 2);
  c.afterEvent([view(1, { incarnation: 1, commitIndex: 3, appliedIndex: 2, lastIndex: 5 })]);
});

test('an acknowledged proposal must be the committed entry at its index', () => {
  const c = checker([1]);
  c.onApply(1, 1, [ent(1, 1, 'w1')]);
  c.onAck(1, new TextEncoder().encode('w1'));
  violation(() => c.onAck(1, new TextEncoder().encode('w2')), 'ack');
  violation(() => c.onAck(7, new TextEncoder().encode('w7')), 'ack');
});

test('a leader must hold every entry committed in a lower term', () => {
  const c = checker([1, 2]);
  c.onApply(1, 1, [ent(1, 1), ent(2, 1)]);
  const stale = disk([ent(1, 1)], 1, 2);
  violation(() => c.afterEvent([view(2, { role: 'leader', term: 2, lastIndex: 1, disk: stale })]), 'leader completeness');
});

test('a stale leader of a lower term need not hold what a later term committed', () => {
  const c = checker([1, 2]);
  c.onApply(1, 3, [ent(1, 1), ent(2, 3)]);
  c.afterEvent([view(2, { role: 'leader', term: 2, lastIndex: 1, disk: disk([ent(1, 1)], 1, 2) })]);
});

test('a read index below an earlier acknowledgement is not linearizable', () => {
  const c = checker([1]);
  c.onRead(1, 5, 5);
  violation(() => c.onRead(1, 5, 4), 'linearizable read');
});
