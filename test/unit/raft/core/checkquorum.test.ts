// Check-quorum: a leader that has not heard from a quorum for an election timeout steps down,
// and followers that heard from a leader within the timeout ignore vote requests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Network } from './network.js';

test('an isolated leader steps down after an election timeout without quorum contact', () => {
  const net = new Network([1, 2, 3], { checkQuorum: true });
  net.elect(1);
  net.isolate(1);
  // The first round still counts the followers' answers from the election.
  net.tick(1, 10);
  net.stabilize();
  assert.equal(net.role(1), 'leader');
  net.tick(1, 10);
  net.stabilize();
  assert.equal(net.role(1), 'follower');
  assert.equal(net.term(1), 1);
  assert.equal(net.get(1).node.status().softState.leader, 0);
});

test('a leader that hears from a quorum each round keeps leading', () => {
  const net = new Network([1, 2, 3], { checkQuorum: true });
  net.elect(1);
  net.isolate(3);
  for (let i = 0; i < 50; i++) {
    net.tick(1);
    net.stabilize();
  }
  assert.equal(net.role(1), 'leader');
});

test('without check-quorum an isolated leader never steps down', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.isolate(1);
  net.tick(1, 100);
  net.stabilize();
  assert.equal(net.role(1), 'leader');
});

test('votes are ignored while the leader lease holds, then a stale leader learns the new term', () => {
  const net = new Network([1, 2, 3], { checkQuorum: true });
  net.elect(1);
  net.campaign(2);
  net.stabilize();
  // 1 (leader) and 3 (follower) ignored 2's vote: no term change for them.
  assert.equal(net.leader(), 1);
  assert.equal(net.term(1), 1);
  assert.equal(net.term(3), 1);
  assert.equal(net.term(2), 2);
  // The leader's next heartbeat to 2 draws an answer in term 2: the leader steps down.
  net.tick(1);
  net.stabilize();
  assert.equal(net.role(1), 'follower');
  assert.equal(net.term(1), 2);
  // Another campaign succeeds: 1 has no leader now; 3 still ignores (not ticked, in lease).
  net.campaign(2);
  net.processReadys();
  net.deliver((m) => m.to === 1);
  net.processReadys();
  net.deliver((m) => m.to === 3); // ignored
  net.stabilize();
  assert.equal(net.leader(), 2);
  assert.equal(net.term(2), 3);
  assert.equal(net.term(3), 3);
});

test('a follower whose lease expired grants votes again', () => {
  const net = new Network([1, 2, 3], { checkQuorum: true });
  net.elect(1);
  net.isolate(1);
  net.tick(3, 10); // 3 stops hearing from the leader for an election timeout
  net.heal();
  net.cut(1, 2);
  net.cut(1, 3);
  net.campaign(2);
  net.stabilize();
  assert.equal(net.role(2), 'leader');
});
