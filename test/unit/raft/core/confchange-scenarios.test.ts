// Single-server membership changes applied when their entry is applied (etcd's rule), with the
// pending-change guard. Re-derived from etcd's confchange_v1_* and campaign_learner scenarios.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProposalDroppedError } from '../../../../raft/core/errors.js';
import type { ConfChange, ConfChangeType } from '../../../../raft/core/types.js';
import { drain, msg, solo } from './helpers.js';
import { Network } from './network.js';

const cc = (type: ConfChangeType, nodeId: number): ConfChange => ({ type, nodeId, context: new Uint8Array(0) });
const dropped = (reason: string) => (err: ProposalDroppedError): boolean =>
  err.code === 'RAFT_PROPOSAL_DROPPED' && err.reason === reason;

test('an added learner receives the log, is not counted for commit and never campaigns', () => {
  const net = new Network([1, 2, 3], { bootstrap: 'log' });
  net.elect(1);
  net.propose(1, 'before');
  net.stabilize();
  net.addEmptyNode(4);
  net.get(1).node.proposeConfChange(cc('addLearner', 4));
  net.stabilize();
  assert.deepEqual(net.get(1).confState, { voters: [1, 2, 3], learners: [4] });
  assert.deepEqual(net.get(4).confState, { voters: [1, 2, 3], learners: [4] });
  assert.deepEqual(net.appliedData(4), ['before']);
  // Not counted: with 2 and 3 away, 1 + learner 4 do not commit.
  net.isolate(2);
  net.isolate(3);
  const { index } = net.propose(1, 'needs-a-voter');
  net.stabilize();
  assert.equal(net.get(4).storage.lastIndex(), index);
  assert.ok(net.get(1).node.status().commit < index);
  // Never campaigns.
  net.tick(4, 100);
  net.stabilize();
  assert.equal(net.role(4), 'follower');
  assert.ok(!net.sent.some((m) => m.from === 4 && (m.type === 'vote' || m.type === 'preVote')));
  net.heal();
  net.tick(1);
  net.stabilize();
  assert.deepEqual(net.appliedData(4), ['before', 'needs-a-voter']);
});

test('a learner promoted to voter counts for commit and may campaign', () => {
  const net = new Network([1, 2, 3], { bootstrap: 'log' });
  net.elect(1);
  net.addEmptyNode(4);
  net.get(1).node.proposeConfChange(cc('addLearner', 4));
  net.stabilize();
  net.get(1).node.proposeConfChange(cc('addNode', 4));
  net.stabilize();
  assert.deepEqual(net.get(4).confState, { voters: [1, 2, 3, 4], learners: [] });
  net.isolate(3);
  const { index } = net.propose(1, 'x');
  net.stabilize();
  assert.equal(net.get(1).node.status().commit, index, '1, 2 and 4 are a majority of 4');
  net.heal();
  net.isolate(1);
  net.campaign(4);
  net.stabilize();
  assert.equal(net.leader(), 4);
});

test('a learner answers a vote request (it may have been promoted without knowing yet)', () => {
  const s = solo(4, [1, 2, 3], [1], 1);
  s.node.step(msg({ type: 'vote', from: 2, to: 4, term: 2, index: 1, logTerm: 1 }));
  assert.equal(drain(s).find((m) => m.type === 'voteResp')?.reject, false);
});

test('a removed follower stops receiving the log and the quorum shrinks', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.get(1).node.proposeConfChange(cc('removeNode', 3));
  net.stabilize();
  assert.deepEqual(net.get(1).confState, { voters: [1, 2], learners: [] });
  const sentBefore = net.sent.length;
  net.propose(1, 'x');
  net.stabilize();
  assert.ok(!net.sent.slice(sentBefore).some((m) => m.to === 3));
  assert.deepEqual(net.appliedData(2), ['x']);
  // 3 applied its own removal: it never campaigns.
  net.tick(3, 100);
  net.stabilize();
  assert.equal(net.leader(), 1);
  assert.equal(net.role(3), 'follower');
});

test('a leader that removes itself hands over once the change is applied and known to the others', () => {
  const net = new Network([1, 2, 3], { checkQuorum: true, preVote: true });
  net.elect(1);
  net.propose(1, 'a');
  net.get(1).node.proposeConfChange(cc('removeNode', 1));
  net.stabilize();
  assert.equal(net.role(1), 'follower');
  for (const id of [2, 3]) assert.deepEqual(net.get(id).confState, { voters: [2, 3], learners: [] }, `node ${id}`);
  for (let i = 0; i < 50 && net.leader() === null; i++) {
    net.tickAll();
    net.stabilize();
  }
  const leader = net.leader();
  assert.ok(leader === 2 || leader === 3);
  net.propose(leader!, 'b');
  net.stabilize();
  for (const id of [2, 3]) assert.deepEqual(net.appliedData(id), ['a', 'b']);
  assert.throws(() => net.get(1).node.propose(new Uint8Array(1)), dropped('notLeader'));
  assert.equal(net.role(1), 'follower');
});

for (const checkQuorum of [true, false]) {
  test(`a removed leader whose new voters stop answering steps down within two election timeouts (checkQuorum ${checkQuorum})`, () => {
    const net = new Network([1, 2, 3], { checkQuorum });
    net.elect(1);
    net.get(1).node.proposeConfChange(cc('removeNode', 1));
    net.processReady(1);
    net.deliver((m) => m.to !== 1);
    net.processReady(2);
    net.processReady(3);
    net.deliver((m) => m.to === 1);
    net.dropFilter = (m) => m.from === 1 || m.to === 1; // the new voters never hear again
    net.stabilize();
    assert.deepEqual(net.get(1).confState, { voters: [2, 3], learners: [] });
    assert.equal(net.role(1), 'leader', 'still handing over: 2 and 3 do not know the change is committed');
    net.tick(1, 2 * 10 + 1); // electionTick 10
    net.stabilize();
    assert.equal(net.role(1), 'follower');
  });
}

test('a demoted leader hands over only once the new voters know the change is committed', () => {
  // Voters {2, 3}; leader 2 demotes itself and appends one more entry. Had it stepped down as
  // soon as it applied the change (with the news lost on the way), 3 would still count 2 as a
  // voter, need its vote and never get it (2's log is longer), and 2, a learner, would never
  // campaign: no leader ever again. Instead 2 keeps leading until 3 knows.
  const net = new Network([1, 2, 3]);
  net.elect(2);
  net.get(2).node.proposeConfChange(cc('addLearner', 1));
  net.stabilize();
  net.get(2).node.proposeConfChange(cc('addLearner', 2));
  net.processReady(2);
  net.deliver((m) => m.to === 3);
  net.processReady(3);
  net.deliver((m) => m.to === 2);
  net.propose(2, 'tail'); // committed: the demotion; not yet: this entry
  net.dropFilter = (m) => m.from === 2;
  net.stabilize(); // 2 applies its demotion; nothing it sends arrives
  assert.deepEqual(net.get(2).confState, { voters: [3], learners: [1, 2] });
  assert.equal(net.role(2), 'leader', 'still leading: 3 does not know yet');
  assert.throws(() => net.propose(2, 'more'), dropped('removed'));
  net.heal();
  for (let i = 0; i < 30 && net.leader() !== 3; i++) {
    net.tickAll();
    net.stabilize();
  }
  assert.equal(net.leader(), 3);
  assert.equal(net.role(2), 'follower');
  net.propose(3, 'after');
  net.stabilize();
  for (const id of [1, 2, 3]) assert.deepEqual(net.appliedData(id), ['tail', 'after'], `node ${id}`);
});

test('the pending-change guard rejects a second conf change until the first is applied', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  const node = net.get(1).node;
  node.proposeConfChange(cc('addLearner', 4));
  assert.throws(() => node.proposeConfChange(cc('addLearner', 5)), dropped('confChangePending'));
  net.processReadys();
  net.deliver();
  net.processReadys();
  net.deliver();
  // committed on the leader but not yet applied: still pending
  if (node.status().applied < node.status().commit) {
    assert.throws(() => node.proposeConfChange(cc('addLearner', 5)), dropped('confChangePending'));
  }
  net.stabilize();
  node.proposeConfChange(cc('addLearner', 5));
  net.stabilize();
  assert.deepEqual(net.get(1).confState, { voters: [1, 2, 3], learners: [4, 5] });
});

test('a new leader holds conf changes until it applied every entry of its log', () => {
  const net = new Network([1, 2, 3]);
  net.elect(2);
  net.isolate(1);
  // 3 stores 2's conf change, but the ack is lost: not committed.
  net.get(2).node.proposeConfChange(cc('addLearner', 7));
  net.processReady(2);
  net.deliver((m) => m.to === 3);
  net.processReady(3);
  net.dropQueued();
  net.heal();
  net.isolate(2);
  net.campaign(3);
  net.processReadys();
  net.deliver();
  net.processReadys();
  net.deliver((m) => m.type === 'voteResp');
  assert.equal(net.role(3), 'leader');
  assert.throws(() => net.get(3).node.proposeConfChange(cc('addLearner', 8)), dropped('confChangePending'));
  net.stabilize(); // the empty entry of term 2 commits, and the conf change with it
  assert.deepEqual(net.get(3).confState.learners, [7]);
  net.get(3).node.proposeConfChange(cc('addLearner', 8));
  net.stabilize();
  assert.deepEqual(net.get(1).confState.learners, [7, 8]);
});

test('a conf change that would leave no voter is refused at proposal', () => {
  const net = new Network([1]);
  net.elect(1);
  assert.throws(() => net.get(1).node.proposeConfChange(cc('removeNode', 1)), dropped('invalidConfChange'));
  assert.throws(() => net.get(1).node.proposeConfChange(cc('addLearner', 1)), dropped('invalidConfChange'));
});

test('membership changes only when the entry is applied, not when it is appended or committed', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.get(1).node.proposeConfChange(cc('removeNode', 3));
  net.processReady(1);
  assert.deepEqual(net.get(1).node.status().confState.voters, [1, 2, 3]);
  net.deliver();
  net.processReady(2);
  net.deliver();
  // leader commits now; the next Ready hands the entry out for applying
  assert.deepEqual(net.get(1).node.status().confState.voters, [1, 2, 3]);
  net.processReady(1);
  assert.deepEqual(net.get(1).node.status().confState.voters, [1, 2]);
});

test('a node with a committed but unapplied conf change does not campaign', () => {
  const s = solo(2, [1, 2, 3], [1], 1);
  const data = new Uint8Array([1, 2, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0]); // addLearner 4
  s.node.step(msg({
    type: 'app', from: 1, to: 2, term: 1, index: 1, logTerm: 1, commit: 2,
    entries: [{ index: 2, term: 1, type: 'confChange', data }],
  }));
  s.node.campaign();
  assert.equal(s.node.status().softState.role, 'follower');
  drain(s); // applies the entry... but the test driver does not call applyConfChange
  s.node.applyConfChange({ type: 'addLearner', nodeId: 4, context: new Uint8Array(0) });
  s.node.campaign();
  assert.equal(s.node.status().softState.role, 'candidate');
});
