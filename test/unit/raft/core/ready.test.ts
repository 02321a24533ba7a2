// The Ready/advance contract between the core and its driver.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftUsageError } from '../../../../raft/core/errors.js';
import { MemoryLogStorage } from '../../../../raft/core/log-storage.js';
import { RawNode } from '../../../../raft/core/raw-node.js';
import type { MessageType } from '../../../../raft/core/types.js';
import { drain, msg, solo } from './helpers.js';
import { Network, defaultConfig, enc } from './network.js';

test('votes, vote answers and append answers wait for the write; the leader appends go at once', () => {
  const net = new Network([1, 2, 3]);
  net.campaign(1);
  const rd1 = net.get(1).node.ready();
  assert.deepEqual(rd1.messages, []);
  assert.deepEqual(rd1.messagesAfterPersist.map((m) => m.type), ['vote', 'vote']);
  assert.deepEqual(rd1.hardState, { term: 1, vote: 1, commit: 0 });
  assert.equal(rd1.mustSync, true);
  net.get(1).node.advance(rd1);
  net.queue.push(...rd1.messagesAfterPersist);
  net.deliver();
  const rd2 = net.get(2).node.ready();
  assert.deepEqual(rd2.messagesAfterPersist.map((m) => m.type), ['voteResp']);
  assert.deepEqual(rd2.messages, []);
  assert.deepEqual(rd2.hardState, { term: 1, vote: 1, commit: 0 });
  net.get(2).node.advance(rd2);
  net.get(1).node.step(rd2.messagesAfterPersist[0]!);
  const rd3 = net.get(1).node.ready();
  assert.deepEqual(rd3.softState, { leader: 1, role: 'leader' });
  assert.deepEqual(rd3.entries.map((e) => [e.index, e.term, e.data.length]), [[1, 1, 0]]);
  assert.deepEqual(rd3.messages.map((m) => [m.type, m.to]), [['app', 2], ['app', 3]]);
  assert.deepEqual(rd3.messagesAfterPersist, []);
  assert.equal(rd3.mustSync, true);
});

test('mustSync is set for new entries, term or vote changes and snapshots, not for commit alone', () => {
  const s = solo(2, [1, 2, 3], [1, 1], 1);
  s.node.step(msg({ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 2 }));
  const rd = s.node.ready();
  assert.deepEqual(rd.hardState, { term: 1, vote: 0, commit: 2 });
  assert.equal(rd.mustSync, false);
  assert.equal(rd.committedEntries.length, 2);
  s.node.advance(rd);
  assert.equal(s.node.hasReady(), false);
});

test('hardState and softState appear only when they changed', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.propose(1, 'a');
  const rd = net.get(1).node.ready();
  assert.equal(rd.softState, null);
  assert.equal(rd.hardState, null);
  assert.equal(rd.entries.length, 1);
});

test('one Ready at a time: ready() before advance() and advance() of another Ready are usage errors', () => {
  const s = solo(1, [1], [], 0);
  s.node.campaign();
  const rd = s.node.ready();
  assert.throws(() => s.node.ready(), RaftUsageError);
  assert.throws(() => s.node.advance({ ...rd }), RaftUsageError);
  s.node.advance(rd);
});

test('entries proposed while a Ready is out are handed out once, in the next Ready', () => {
  const net = new Network([1]);
  net.elect(1);
  const node = net.get(1).node;
  node.propose(enc('a'));
  const rd1 = node.ready();
  node.propose(enc('b'));
  net.get(1).storage.append(rd1.entries);
  node.advance(rd1);
  const rd2 = node.ready();
  assert.deepEqual(rd1.entries.map((e) => e.index), [2]);
  assert.deepEqual(rd2.entries.map((e) => e.index), [3]);
  assert.deepEqual(rd2.committedEntries.map((e) => e.index), [2], 'a committed after its write');
});

test('a single-node leader commits an entry only after its own write (advance)', () => {
  const net = new Network([1]);
  net.elect(1);
  const node = net.get(1).node;
  node.propose(enc('a'));
  const rd = node.ready();
  assert.equal(node.status().commit, 1);
  net.get(1).storage.append(rd.entries);
  node.advance(rd);
  assert.equal(node.status().commit, 2);
});

test('committed entries per Ready are bounded by maxCommittedSizePerReady', () => {
  const net = new Network([1], { maxCommittedSizePerReady: 20 });
  net.elect(1);
  for (let i = 0; i < 5; i++) net.get(1).node.propose(new Uint8Array(10));
  const sizes: number[] = [];
  const n = net.get(1);
  while (n.node.hasReady()) {
    const rd = n.node.ready();
    n.storage.append(rd.entries);
    if (rd.committedEntries.length > 0) sizes.push(rd.committedEntries.length);
    n.node.advance(rd);
  }
  assert.deepEqual(sizes, [2, 2, 1]);
});

test('step rejects local message types and misrouted messages, ignores answers from strangers', () => {
  const s = solo(1, [1, 2, 3]);
  for (const type of ['hup', 'beat', 'prop', 'unreachable', 'snapStatus'] as MessageType[]) {
    assert.throws(() => s.node.step(msg({ type, from: 2, to: 1 })), RaftUsageError, type);
  }
  assert.throws(() => s.node.step(msg({ type: 'app', from: 2, to: 3, term: 1 })), RaftUsageError);
  s.node.campaign();
  drain(s);
  s.node.step(msg({ type: 'voteResp', from: 9, to: 1, term: 1 }));
  s.node.step(msg({ type: 'voteResp', from: 8, to: 1, term: 1 }));
  assert.equal(s.node.status().softState.role, 'candidate');
});

test('a restarted node keeps term, vote and commit, and its first Ready carries no hard state', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.propose(1, 'a');
  net.stabilize();
  const n2 = net.restart(2);
  const st = n2.node.status();
  assert.deepEqual(st.hardState, { term: 1, vote: 1, commit: 2 });
  assert.equal(st.softState.role, 'follower');
  assert.equal(st.applied, 2);
  assert.equal(n2.node.hasReady(), false);
});

test('a node restarted with applied below commit re-delivers the entries after applied', () => {
  const s = MemoryLogStorage.bootstrap([1]);
  s.append([{ index: 1, term: 1, type: 'normal', data: enc('x') }, { index: 2, term: 1, type: 'normal', data: enc('y') }]);
  s.setHardState({ term: 1, vote: 1, commit: 2 });
  const node = new RawNode({ ...defaultConfig(1), applied: 1 }, s);
  const rd = node.ready();
  assert.deepEqual(rd.committedEntries.map((e) => e.index), [2]);
  assert.equal(rd.hardState, null);
});

test('an invalid config is refused with a usage error', () => {
  const s = MemoryLogStorage.bootstrap([1]);
  for (const bad of [{ id: 0 }, { electionTick: 1, heartbeatTick: 1 }, { maxInflightMsgs: 0 }, { heartbeatTick: 0 }]) {
    assert.throws(() => new RawNode({ ...defaultConfig(1), ...bad }, s), RaftUsageError, JSON.stringify(bad));
  }
});

test('status reports role, indexes and (on the leader) per-peer progress in id order', () => {
  const net = new Network([1, 2, 3], {}, [4]);
  net.elect(1);
  net.propose(1, 'a');
  net.stabilize();
  const st = net.get(1).node.status();
  assert.equal(st.id, 1);
  assert.deepEqual(st.softState, { leader: 1, role: 'leader' });
  assert.deepEqual([st.commit, st.applied, st.firstIndex, st.lastIndex], [2, 2, 1, 2]);
  assert.deepEqual(st.progress.map((p) => [p.id, p.match, p.next, p.state, p.isLearner]), [
    [1, 2, 3, 'replicate', false], [2, 2, 3, 'replicate', false], [3, 2, 3, 'replicate', false], [4, 2, 3, 'replicate', true],
  ]);
  assert.deepEqual(st.confState, { voters: [1, 2, 3], learners: [4] });
  assert.deepEqual(net.get(2).node.status().progress, []);
});
