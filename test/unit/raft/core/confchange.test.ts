import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyConfChangeToTracker, confChangeProblem, decodeConfChange, encodeConfChange,
} from '../../../../raft/core/confchange.js';
import { ProgressTracker } from '../../../../raft/core/tracker.js';
import type { ConfChange, ConfChangeType } from '../../../../raft/core/types.js';

function tracker(voters: number[], learners: number[] = []): ProgressTracker {
  const t = new ProgressTracker({ maxInflightMsgs: 4, maxInflightBytes: 0 });
  t.config = { voters: new Set(voters), learners: new Set(learners) };
  for (const id of voters) t.progress.set(id, t.newProgress(0, 1, false));
  for (const id of learners) t.progress.set(id, t.newProgress(0, 1, true));
  return t;
}

const cc = (type: ConfChangeType, nodeId: number, context = new Uint8Array(0)): ConfChange => ({ type, nodeId, context });

test('simple conf changes add, promote, demote and remove members', () => {
  const cases: { voters: number[]; learners: number[]; change: ConfChange; wantVoters: number[]; wantLearners: number[] }[] = [
    { voters: [1], learners: [], change: cc('addNode', 2), wantVoters: [1, 2], wantLearners: [] },
    { voters: [1, 2], learners: [], change: cc('addNode', 2), wantVoters: [1, 2], wantLearners: [] }, // no-op
    { voters: [1], learners: [], change: cc('addLearner', 2), wantVoters: [1], wantLearners: [2] },
    { voters: [1], learners: [2], change: cc('addNode', 2), wantVoters: [1, 2], wantLearners: [] }, // promote
    { voters: [1, 2], learners: [], change: cc('addLearner', 2), wantVoters: [1], wantLearners: [2] }, // demote
    { voters: [1, 2, 3], learners: [], change: cc('removeNode', 2), wantVoters: [1, 3], wantLearners: [] },
    { voters: [1, 2], learners: [3], change: cc('removeNode', 3), wantVoters: [1, 2], wantLearners: [] },
    { voters: [1, 2], learners: [], change: cc('removeNode', 9), wantVoters: [1, 2], wantLearners: [] }, // no-op
  ];
  for (const c of cases) {
    const t = tracker(c.voters, c.learners);
    assert.equal(confChangeProblem(t.config, c.change), null);
    applyConfChangeToTracker(t, c.change, 10);
    assert.deepEqual(t.confState(), { voters: c.wantVoters, learners: c.wantLearners }, JSON.stringify(c.change));
    assert.deepEqual(t.memberIds(), [...c.wantVoters, ...c.wantLearners].sort((a, b) => a - b));
    for (const [id, pr] of t.progress) assert.equal(pr.isLearner, c.wantLearners.includes(id));
  }
});

test('a new member is probed with the last entry and counts as recently active', () => {
  const t = tracker([1]);
  applyConfChangeToTracker(t, cc('addLearner', 2), 10);
  const pr = t.progress.get(2)!;
  assert.equal(pr.next, 10);
  assert.equal(pr.match, 0);
  assert.equal(pr.recentActive, true);
  // promoting keeps the learner's progress
  pr.match = 7;
  applyConfChangeToTracker(t, cc('addNode', 2), 12);
  assert.equal(t.progress.get(2)!.match, 7);
});

test('conf changes that would leave no voter, or name no node, are invalid', () => {
  assert.match(confChangeProblem(tracker([1]).config, cc('removeNode', 1))!, /no voter/);
  assert.match(confChangeProblem(tracker([1]).config, cc('addLearner', 1))!, /no voter/);
  assert.match(confChangeProblem(tracker([1]).config, cc('addNode', 0))!, /invalid node id/);
  assert.equal(confChangeProblem(tracker([1, 2]).config, cc('removeNode', 1)), null);
});

test('conf change payloads round-trip through encode/decode', () => {
  const cases = [
    cc('addNode', 1),
    cc('addLearner', 2 ** 40 + 5, Uint8Array.of(1, 2, 3)),
    cc('removeNode', Number.MAX_SAFE_INTEGER, new TextEncoder().encode('10.0.0.1:4000')),
  ];
  for (const c of cases) assert.deepEqual(decodeConfChange(encodeConfChange(c)), c);
  assert.throws(() => decodeConfChange(Uint8Array.of(1, 1)), RangeError);
  const bad = encodeConfChange(cc('addNode', 1));
  bad[0] = 9;
  assert.throws(() => decodeConfChange(bad), /version/);
});
