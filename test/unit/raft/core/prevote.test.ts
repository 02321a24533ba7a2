// Pre-vote (thesis §9.6): a node that cannot win does not bump its term, so a partitioned node
// that rejoins does not depose a healthy leader. Re-derived from etcd's prevote scenarios.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drain, msg, solo } from './helpers.js';
import { Network } from './network.js';

function partitionAndRejoin(preVote: boolean, checkQuorum = false, proposeDuring = true): Network {
  const net = new Network([1, 2, 3], { preVote, checkQuorum });
  net.elect(1);
  net.isolate(3);
  for (let i = 0; i < 100; i++) {
    net.tick(3);
    net.stabilize();
  }
  if (proposeDuring) net.propose(1, 'during-partition');
  net.stabilize();
  net.heal();
  for (let i = 0; i < 200; i++) {
    net.tickAll();
    net.stabilize();
  }
  return net;
}

test('with pre-vote, a partitioned node keeps its term and rejoins without disrupting the leader', () => {
  const net = partitionAndRejoin(true);
  assert.equal(net.leader(), 1);
  for (const id of [1, 2, 3]) assert.equal(net.term(id), 1, `node ${id}`);
  assert.deepEqual(net.appliedData(3), ['during-partition']);
});

test('with pre-vote and check-quorum, a rejoining node with an equally long log does not disrupt either', () => {
  // Pre-vote alone would grant here (logs are equal); the check-quorum lease makes the
  // followers ignore it while they hear from the leader (etcd's rule).
  const net = partitionAndRejoin(true, true, false);
  assert.equal(net.leader(), 1);
  for (const id of [1, 2, 3]) assert.equal(net.term(id), 1, `node ${id}`);
});

test('without pre-vote, the same partitioned node inflates its term and deposes the leader', () => {
  const net = partitionAndRejoin(false);
  assert.ok(net.term(1) > 1);
  assert.ok(!net.sent.some((m) => m.type === 'preVote'));
  assert.deepEqual(net.appliedData(3), ['during-partition']);
});

test('a pre-vote asks for term + 1 but leaves the candidate and the voters in their term', () => {
  const net = new Network([1, 2, 3], { preVote: true });
  net.campaign(1);
  net.processReadys();
  const pre = net.queue.filter((m) => m.type === 'preVote');
  assert.deepEqual(pre.map((m) => [m.to, m.term]), [[2, 1], [3, 1]]);
  assert.equal(net.term(1), 0);
  assert.equal(net.role(1), 'preCandidate');
  net.deliver();
  net.processReadys();
  for (const id of [2, 3]) assert.deepEqual(net.get(id).node.status().hardState, { term: 0, vote: 0, commit: 0 });
  net.stabilize();
  assert.equal(net.leader(), 1);
  assert.equal(net.term(1), 1);
});

test('pre-votes are denied to a candidate whose log is behind', () => {
  const s = solo(1, [1, 2, 3], [1, 1, 2], 2, { preVote: true });
  s.node.step(msg({ type: 'preVote', from: 2, to: 1, term: 3, index: 2, logTerm: 1 }));
  const resp = drain(s).find((m) => m.type === 'preVoteResp')!;
  assert.equal(resp.reject, true);
  assert.equal(resp.term, 2);
  s.node.step(msg({ type: 'preVote', from: 2, to: 1, term: 3, index: 3, logTerm: 2 }));
  const ok = drain(s).find((m) => m.type === 'preVoteResp')!;
  assert.equal(ok.reject, false);
  assert.equal(ok.term, 3);
  assert.equal(s.node.status().hardState.term, 2, 'granting a pre-vote does not change the term');
  assert.equal(s.node.status().hardState.vote, 0);
});

test('a pre-candidate that loses the pre-vote returns to follower in its old term', () => {
  const s = solo(1, [1, 2, 3], [], 1, { preVote: true });
  s.node.campaign();
  s.node.step(msg({ type: 'preVoteResp', from: 2, to: 1, term: 1, reject: true }));
  s.node.step(msg({ type: 'preVoteResp', from: 3, to: 1, term: 1, reject: true }));
  assert.equal(s.node.status().softState.role, 'follower');
  assert.equal(s.node.status().hardState.term, 1);
});

test('a pre-candidate hearing from the leader of its term goes back to following it', () => {
  const net = new Network([1, 2, 3], { preVote: true, checkQuorum: true });
  net.elect(1);
  net.campaign(3);
  net.processReadys();
  assert.equal(net.role(3), 'preCandidate');
  net.deliver(); // 1 and 2 ignore the pre-votes: they are within the leader's lease
  net.tick(1);
  net.stabilize();
  assert.equal(net.role(3), 'follower');
  assert.equal(net.get(3).node.status().softState.leader, 1);
  assert.equal(net.term(3), 1);
});

test('forget leader with pre-vote and check-quorum: the forgetful follower grants pre-votes at once', () => {
  const net = new Network([1, 2, 3], { preVote: true, checkQuorum: true });
  net.elect(1);
  // 3 campaigns: both others ignore it (in lease).
  net.campaign(3);
  net.stabilize();
  assert.equal(net.leader(), 1);
  net.tick(1);
  net.stabilize();
  assert.equal(net.role(3), 'follower');
  // 2 forgets the leader: now 3's pre-vote and vote succeed with 2's support.
  net.get(2).node.forgetLeader();
  net.campaign(3);
  net.stabilize();
  assert.equal(net.leader(), 3);
  assert.equal(net.term(3), 2);
  // Forgetting still does not grant a pre-vote to a node whose log is behind.
  net.cut(3, 1);
  net.propose(3, 'p');
  net.stabilize(); // 2 stores 'p'; 1 does not
  net.get(2).node.forgetLeader();
  net.campaign(1);
  net.processReadys();
  net.deliver((m) => m.to === 2);
  net.processReadys();
  const resp = net.queue.find((m) => m.type === 'preVoteResp' && m.from === 2)!;
  assert.equal(resp.reject, true);
  net.heal();
  net.stabilize();
  assert.equal(net.leader(), 3);
});
