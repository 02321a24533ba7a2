// ReadIndex in safe mode (thesis §6.4): the leader confirms it is still leader with a heartbeat
// round before answering, and only once it has committed an entry of its own term.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotLeaderError } from '../../../../raft/core/errors.js';
import { Network, dec, enc } from './network.js';

test('the leader answers a read after a quorum acknowledged a heartbeat round carrying its context', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.propose(1, 'a');
  net.stabilize();
  net.get(1).node.readIndex(enc('r1'));
  net.processReady(1);
  const hbs = net.queue.filter((m) => m.type === 'heartbeat');
  assert.deepEqual(hbs.map((m) => [m.to, dec(m.context)]), [[2, 'r1'], [3, 'r1']]);
  assert.deepEqual(net.get(1).readStates, []);
  net.deliver((m) => m.to === 2);
  net.processReady(2);
  net.deliver((m) => m.to === 1);
  net.processReady(1);
  assert.deepEqual(net.get(1).readStates.map((r) => [r.index, dec(r.requestCtx)]), [[2, 'r1']]);
});

test('a read waits until the new leader commits an entry of its term', () => {
  const net = new Network([1, 2, 3]);
  net.campaign(1);
  net.processReadys();
  net.deliver();
  net.processReadys();
  net.deliver((m) => m.type === 'voteResp');
  assert.equal(net.role(1), 'leader');
  net.get(1).node.readIndex(enc('early'));
  net.processReady(1);
  assert.ok(!net.queue.some((m) => m.type === 'heartbeat'), 'no read round before the commit');
  net.stabilize();
  assert.deepEqual(net.get(1).readStates.map((r) => [r.index, dec(r.requestCtx)]), [[1, 'early']]);
});

test('a follower forwards a read to the leader and gets the read index back', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.propose(1, 'a');
  net.stabilize();
  net.get(3).node.readIndex(enc('from-3'));
  net.stabilize();
  assert.deepEqual(net.get(3).readStates.map((r) => [r.index, dec(r.requestCtx)]), [[2, 'from-3']]);
  assert.deepEqual(net.get(1).readStates, []);
});

test('a single-node leader answers a read at once', () => {
  const net = new Network([1]);
  net.elect(1);
  net.get(1).node.readIndex(enc('solo'));
  net.processReadys();
  assert.deepEqual(net.get(1).readStates.map((r) => dec(r.requestCtx)), ['solo']);
});

test('a read whose heartbeat round was lost is confirmed by the next heartbeat', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.get(1).node.readIndex(enc('r'));
  net.processReady(1);
  net.dropQueued();
  net.stabilize();
  assert.deepEqual(net.get(1).readStates, []);
  net.tick(1);
  net.stabilize();
  assert.deepEqual(net.get(1).readStates.map((r) => dec(r.requestCtx)), ['r']);
});

test('a quorum ack of a later read also releases the earlier ones, in order', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.get(1).node.readIndex(enc('first'));
  net.processReady(1);
  net.dropQueued();
  net.get(1).node.readIndex(enc('second'));
  net.stabilize();
  assert.deepEqual(net.get(1).readStates.map((r) => dec(r.requestCtx)), ['first', 'second']);
});

test('a partitioned leader never answers a read', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.isolate(1);
  net.get(1).node.readIndex(enc('stale?'));
  for (let i = 0; i < 5; i++) {
    net.tick(1);
    net.stabilize();
  }
  assert.deepEqual(net.get(1).readStates, []);
});

test('a read without a known leader throws NotLeaderError', () => {
  const net = new Network([1, 2, 3]);
  assert.throws(() => net.get(2).node.readIndex(enc('x')), (err: NotLeaderError) => err.code === 'RAFT_NOT_LEADER');
});
