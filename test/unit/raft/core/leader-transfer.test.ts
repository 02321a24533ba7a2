// Leadership transfer (thesis §3.10): the leader catches the transferee up, sends it
// timeoutNow, and the transferee campaigns at once (even within the leader's lease).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProposalDroppedError } from '../../../../raft/core/errors.js';
import { NotLeaderError } from '../../../../raft/core/errors.js';
import { Network } from './network.js';

for (const opts of [{}, { preVote: true, checkQuorum: true }]) {
  test(`leadership moves to an up-to-date follower (${JSON.stringify(opts)})`, () => {
    const net = new Network([1, 2, 3], opts);
    net.elect(1);
    net.propose(1, 'a');
    net.stabilize();
    const before = net.sent.length;
    net.get(1).node.transferLeader(2);
    net.stabilize();
    assert.equal(net.leader(), 2);
    assert.equal(net.term(2), 2);
    assert.equal(net.role(1), 'follower');
    assert.ok(net.sent.some((m) => m.type === 'timeoutNow' && m.to === 2));
    assert.ok(!net.sent.slice(before).some((m) => m.type === 'preVote'), 'a transfer skips the pre-vote');
    net.propose(2, 'b');
    net.stabilize();
    for (const id of [1, 2, 3]) assert.deepEqual(net.appliedData(id), ['a', 'b']);
  });
}

test('a lagging transferee is caught up before it gets timeoutNow', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.isolate(3);
  for (const p of ['a', 'b', 'c']) net.propose(1, p);
  net.stabilize();
  net.heal();
  net.get(1).node.transferLeader(3);
  assert.equal(net.get(1).node.status().leadTransferee, 3);
  net.processReady(1);
  assert.ok(!net.queue.some((m) => m.type === 'timeoutNow'), 'not before it caught up');
  net.stabilize();
  assert.equal(net.leader(), 3);
  assert.deepEqual(net.appliedData(3), ['a', 'b', 'c']);
});

test('proposals are dropped while a transfer is under way', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.isolate(3);
  net.get(1).node.transferLeader(3);
  assert.throws(() => net.propose(1, 'x'), (err: ProposalDroppedError) =>
    err.code === 'RAFT_PROPOSAL_DROPPED' && err.reason === 'leaderTransferring');
});

test('a transfer that does not finish within an election timeout is aborted', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.isolate(3);
  net.get(1).node.transferLeader(3);
  net.tick(1, 9);
  assert.equal(net.get(1).node.status().leadTransferee, 3);
  net.tick(1);
  assert.equal(net.get(1).node.status().leadTransferee, 0);
  assert.equal(net.leader(), 1);
  net.propose(1, 'accepted-again');
});

test('a transfer to the leader itself, to a learner or to a stranger is ignored', () => {
  const net = new Network([1, 2, 3], {}, [4]);
  net.elect(1);
  for (const to of [1, 4, 9]) {
    net.get(1).node.transferLeader(to);
    assert.equal(net.get(1).node.status().leadTransferee, 0, `to ${to}`);
  }
});

test('a follower forwards a transfer request to the leader', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.get(2).node.transferLeader(3);
  net.stabilize();
  assert.equal(net.leader(), 3);
});

test('a newer transfer request replaces the pending one', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.isolate(3);
  net.get(1).node.transferLeader(3);
  net.get(1).node.transferLeader(2);
  assert.equal(net.get(1).node.status().leadTransferee, 2);
  net.stabilize();
  assert.equal(net.leader(), 2);
});

test('transferLeader without a known leader throws NotLeaderError', () => {
  const net = new Network([1, 2, 3]);
  assert.throws(() => net.get(1).node.transferLeader(2), NotLeaderError);
});

test('a transferee that cannot campaign (removed meanwhile) leaves the leader in place', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.get(1).node.proposeConfChange({ type: 'removeNode', nodeId: 3, context: new Uint8Array(0) });
  net.stabilize();
  net.get(1).node.transferLeader(3);
  net.stabilize();
  assert.equal(net.leader(), 1);
});
