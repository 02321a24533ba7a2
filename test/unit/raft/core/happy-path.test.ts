import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Network } from './network.js';

test('a three-node cluster elects the campaigner and replicates a proposal to every node', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  assert.equal(net.leader(), 1);
  const { index, term } = net.propose(1, 'hello');
  assert.equal(term, 1);
  assert.equal(index, 2); // after the leader's empty entry
  net.stabilize();
  for (const id of [1, 2, 3]) {
    assert.deepEqual(net.appliedData(id), ['hello']);
    assert.equal(net.get(id).node.status().commit, 2);
  }
});

test('a single-node cluster elects itself by ticking and commits after its own write', () => {
  const net = new Network([1]);
  net.tick(1, 20);
  net.stabilize();
  assert.equal(net.leader(), 1);
  net.propose(1, 'a');
  net.stabilize();
  assert.deepEqual(net.appliedData(1), ['a']);
});

test('ticking elects exactly one leader among three nodes', () => {
  const net = new Network([1, 2, 3], { seed: 3 });
  for (let i = 0; i < 50 && net.leader() === null; i++) {
    net.tickAll();
    net.stabilize();
  }
  assert.notEqual(net.leader(), null);
});
