import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  NO_LIMIT, jointCommitted, jointVoteResult, majorityCommitted, majorityVoteResult, type VoteResult,
} from '../../../../raft/core/quorum.js';
import { seededRng } from '../../../../raft/core/rng.js';

const acked = (m: Record<number, number>) => (id: number): number | undefined => m[id];

test('majorityCommitted returns the index a majority of voters has acknowledged', () => {
  const cases: { voters: number[]; acks: Record<number, number>; want: number }[] = [
    { voters: [], acks: {}, want: NO_LIMIT },
    { voters: [1], acks: {}, want: 0 },
    { voters: [1], acks: { 1: 12 }, want: 12 },
    { voters: [1, 2], acks: { 1: 12, 2: 5 }, want: 5 },
    { voters: [1, 2, 3], acks: { 1: 12 }, want: 0 },
    { voters: [1, 2, 3], acks: { 1: 12, 2: 5 }, want: 5 },
    { voters: [1, 2, 3], acks: { 1: 12, 2: 5, 3: 7 }, want: 7 },
    { voters: [1, 2, 3, 4], acks: { 1: 12, 2: 5, 3: 7, 4: 9 }, want: 7 },
    { voters: [1, 2, 3, 4, 5], acks: { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5 }, want: 3 },
    // acks from non-voters do not count
    { voters: [1, 2, 3], acks: { 1: 9, 4: 9, 5: 9 }, want: 0 },
  ];
  for (const c of cases) {
    assert.equal(majorityCommitted(new Set(c.voters), acked(c.acks)), c.want, JSON.stringify(c));
  }
});

test('majorityVoteResult is won at a majority of grants, lost when a majority is out of reach', () => {
  const cases: { voters: number[]; votes: [number, boolean][]; want: VoteResult }[] = [
    { voters: [], votes: [], want: 'won' },
    { voters: [1], votes: [], want: 'pending' },
    { voters: [1], votes: [[1, true]], want: 'won' },
    { voters: [1], votes: [[1, false]], want: 'lost' },
    { voters: [1, 2], votes: [[1, true]], want: 'pending' },
    { voters: [1, 2], votes: [[1, true], [2, false]], want: 'lost' },
    { voters: [1, 2, 3], votes: [[1, true], [2, false]], want: 'pending' },
    { voters: [1, 2, 3], votes: [[1, true], [2, true]], want: 'won' },
    { voters: [1, 2, 3], votes: [[1, false], [2, false]], want: 'lost' },
    { voters: [1, 2, 3, 4], votes: [[1, true], [2, true]], want: 'pending' },
    { voters: [1, 2, 3, 4], votes: [[1, true], [2, true], [3, false], [4, false]], want: 'lost' },
    { voters: [1, 2, 3], votes: [[4, true], [5, true], [1, true]], want: 'pending' },
  ];
  for (const c of cases) {
    assert.equal(majorityVoteResult(new Set(c.voters), new Map(c.votes)), c.want, JSON.stringify(c));
  }
});

test('joint quorum commits the minimum of both majorities and needs both to win', () => {
  const a = new Set([1, 2, 3]);
  const b = new Set([3, 4, 5]);
  const acks = acked({ 1: 10, 2: 10, 3: 4, 4: 3, 5: 2 });
  assert.equal(jointCommitted(a, b, acks), 3);
  assert.equal(jointCommitted(a, new Set(), acks), 10);
  assert.equal(jointVoteResult(a, b, new Map([[1, true], [2, true]])), 'pending');
  assert.equal(jointVoteResult(a, b, new Map([[1, true], [2, true], [4, true], [5, true]])), 'won');
  assert.equal(jointVoteResult(a, b, new Map([[1, true], [2, true], [4, false], [5, false]])), 'lost');
  assert.equal(jointVoteResult(a, new Set(), new Map([[1, true], [2, true]])), 'won');
});

test('property: committed index is monotone in the acked indexes and equals a sort-based oracle', () => {
  const rng = seededRng(42);
  for (let iter = 0; iter < 500; iter++) {
    const n = 1 + rng.intBelow(7);
    const voters = new Set(Array.from({ length: n }, (_, i) => i + 1));
    const acks: Record<number, number> = {};
    for (const id of voters) acks[id] = rng.intBelow(20);
    const c = majorityCommitted(voters, acked(acks));
    // oracle: the largest x such that a majority has ack >= x
    let oracle = 0;
    for (let x = 0; x <= 20; x++) {
      if (Object.values(acks).filter((v) => v >= x).length > n / 2) oracle = x;
    }
    assert.equal(c, oracle);
    const bumped = { ...acks };
    const who = 1 + rng.intBelow(n);
    bumped[who] = bumped[who]! + 1 + rng.intBelow(5);
    assert.ok(majorityCommitted(voters, acked(bumped)) >= c);
    // joint equals the min of the two majorities
    const other = new Set([...voters].filter(() => rng.intBelow(2) === 0));
    assert.equal(jointCommitted(voters, other, acked(acks)),
      Math.min(c, majorityCommitted(other, acked(acks))));
  }
});
