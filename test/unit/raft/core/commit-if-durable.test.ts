// commitIfDurable: the leader tells a follower which index is committed once the follower's own
// write of the entries in flight ends, so the follower commits without its ack's round trip
// through the leader; and a follower takes that word only where it is safe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message } from '../../../../raft/core/types.js';
import { ents, msg, solo, type Solo } from './helpers.js';
import { Network } from './network.js';

test('a follower commits when its own write ends, after the leader\'s: no ack reached the leader', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  const { index } = net.propose(1, 'a');
  net.processReady(1); // the leader's appends go out, then its own write ends
  net.processReady(1); // what it sent once durable
  const promises = net.queue.filter((m) => m.type === 'commitIfDurable');
  assert.deepEqual(promises.map((m) => [m.to, m.index, m.commit]), [[2, index, index], [3, index, index]]);
  // Follower 2 gets the append and the promise; nothing reaches the leader.
  net.deliver((m) => m.to === 2);
  assert.equal(net.get(2).node.status().commit, index - 1, 'not committed before its own write');
  net.processReady(2);
  assert.equal(net.get(2).node.status().commit, index);
  net.processReady(2);
  assert.deepEqual(net.appliedData(2), ['a']);
  assert.equal(net.get(1).node.status().commit, index - 1, 'the leader has not heard an ack yet');
  net.stabilize();
  assert.deepEqual([1, 2, 3].map((id) => net.appliedData(id)), [['a'], ['a'], ['a']]);
});

test('the leader promises each index to each follower once, though acks of earlier appends arrive after', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  const a = net.propose(1, 'a').index;
  net.processReady(1);
  const b = net.propose(1, 'b').index;
  net.processReady(1);
  net.processReady(1);
  net.deliver((m) => m.to === 2);
  net.processReady(2);
  net.deliver((m) => m.to === 1); // 2's acks of a, then b
  net.stabilize();
  const promised = (index: number): number[] => net.sent.filter((m) => m.type === 'commitIfDurable' && m.commit === index).map((m) => m.to);
  assert.deepEqual([promised(a), promised(b)], [[2, 3], [2, 3]]);
  assert.deepEqual([1, 2, 3].map((id) => net.appliedData(id)), [['a', 'b'], ['a', 'b'], ['a', 'b']]);
});

test('a commit reaches only the followers it was not promised to', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  const { index } = net.propose(1, 'a');
  net.processReady(1);
  net.processReady(1); // promises to 2 and 3
  net.deliver((m) => m.to === 2);
  net.processReady(2);
  const before = net.sent.length;
  net.deliver((m) => m.to === 1); // 2's ack: the leader commits
  net.processReady(1);
  assert.equal(net.get(1).node.status().commit, index);
  const commits = net.sent.slice(before).filter((m) => m.type === 'app' && m.commit === index);
  assert.deepEqual(commits.map((m) => m.to), [3], 'not to 2, which holds the entry and was promised it');
  net.stabilize();
  assert.deepEqual([1, 2, 3].map((id) => net.appliedData(id)), [['a'], ['a'], ['a']]);
});

/** A follower in term 2 whose log holds entries 1-2 of term 1. */
function follower(): Solo {
  return solo(2, [1, 2, 3], [1, 1], 2);
}

function persistAll(s: Solo): void {
  while (s.node.hasReady()) {
    const rd = s.node.ready();
    s.storage.append(rd.entries);
    if (rd.hardState !== null) s.storage.setHardState(rd.hardState);
    s.node.advance(rd);
  }
}

function promise(index: number, logTerm: number, commit: number): Message {
  return msg({ type: 'commitIfDurable', from: 1, to: 2, term: 2, index, logTerm, commit });
}

test('a promise is ignored where the follower\'s log does not match the leader\'s', () => {
  const s = follower();
  s.node.step(promise(2, 2, 2)); // the leader's entry 2 has term 2, ours term 1
  persistAll(s);
  assert.equal(s.node.status().commit, 0);
});

test('a promise commits no entry of an earlier term (Figure 8)', () => {
  const s = follower();
  s.node.step(promise(2, 1, 2));
  persistAll(s);
  assert.equal(s.node.status().commit, 0);
});

test('a follower commits the promised index only as far as its log is durable', () => {
  const s = follower();
  s.node.step(msg({ type: 'app', from: 1, to: 2, term: 2, index: 2, logTerm: 1, entries: ents([2, 2], 3), commit: 0 }));
  persistAll(s); // 3 and 4 durable
  s.node.step(msg({ type: 'app', from: 1, to: 2, term: 2, index: 4, logTerm: 2, entries: ents([2], 5), commit: 0 }));
  const rd = s.node.ready(); // entry 5 is being written
  s.node.step(promise(5, 2, 5));
  assert.equal(s.node.status().commit, 4, 'the durable part of the leader\'s term');
  s.storage.append(rd.entries);
  s.node.advance(rd);
  assert.equal(s.node.status().commit, 5, 'the rest once written');
});
