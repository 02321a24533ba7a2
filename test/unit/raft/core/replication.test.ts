// Log replication flow control: probe/replicate states, inflight limits, message size, the
// commit index reaching lagging followers. Re-derived from etcd's probe_and_replicate,
// replicate_pause, heartbeat_resp_recovers_from_probing and lagging_commit scenarios.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProposalDroppedError } from '../../../../raft/core/errors.js';
import { Network, enc } from './network.js';

test('a new leader probes each follower, then streams to it once a probe is acknowledged', () => {
  const net = new Network([1, 2, 3]);
  net.campaign(1);
  net.processReadys();
  net.deliver();
  net.processReadys();
  net.deliver((m) => m.to === 1 && m.type === 'voteResp');
  assert.equal(net.role(1), 'leader');
  assert.equal(net.progressOf(1, 2).state, 'probe');
  net.processReady(1);
  assert.equal(net.progressOf(1, 2).paused, true, 'one probe at a time');
  net.stabilize();
  assert.equal(net.progressOf(1, 2).state, 'replicate');
  assert.equal(net.progressOf(1, 3).state, 'replicate');
});

test('replicate pause: full inflights pause the stream; a heartbeat answer lets an empty append detect the gap', () => {
  const net = new Network([1, 2, 3], { maxInflightMsgs: 3 });
  net.elect(1);
  for (const p of ['a', 'b', 'c']) {
    net.propose(1, p);
    net.processReady(1); // one append per Ready
  }
  for (const id of [2, 3]) {
    const pr = net.progressOf(1, id);
    assert.equal(pr.inflight, 3);
    assert.equal(pr.paused, true);
  }
  net.stabilizeAmong([1, 2]);
  assert.equal(net.progressOf(1, 2).match, 4);
  assert.equal(net.progressOf(1, 3).paused, true);
  // The appends to 3 are lost.
  assert.equal(net.dropQueued((m) => m.to === 3 && m.type === 'app').length, 3);
  for (const p of ['d', 'e', 'f']) {
    net.propose(1, p);
    net.processReady(1);
  }
  net.stabilizeAmong([1, 2]);
  assert.deepEqual([net.progressOf(1, 3).match, net.progressOf(1, 3).inflight], [1, 3]);
  assert.equal(net.get(1).node.status().commit, 7);
  // Heartbeat round trip: 3 answers, the leader sends one empty append (inflights still full).
  net.tick(1);
  net.stabilizeAmong([1]);
  net.deliver((m) => m.to === 3);
  net.processReady(3);
  net.deliver((m) => m.to === 1 && m.from === 3);
  net.processReady(1);
  const probe = net.queue.filter((m) => m.to === 3 && m.type === 'app');
  assert.deepEqual(probe.map((m) => [m.index, m.entries.length]), [[4, 0]]);
  // 3 rejects (gap), the leader falls back to probing and catches it up.
  net.stabilize();
  assert.equal(net.progressOf(1, 3).match, 7);
  assert.equal(net.progressOf(1, 3).state, 'replicate');
  assert.deepEqual(net.appliedData(3), ['a', 'b', 'c', 'd', 'e', 'f']);
});

test('a heartbeat answer unpauses a probe that got no answer', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.isolate(3);
  net.propose(1, 'x');
  net.stabilize();
  net.heal();
  // 3 missed 'x' but the leader streamed to it: the reject takes 3 back to probe; drop the
  // probe that follows so 3's progress sits paused.
  net.propose(1, 'y');
  net.processReady(1);
  net.deliver((m) => m.to === 3);
  net.processReady(3);
  net.deliver((m) => m.to === 1);
  net.processReady(1);
  assert.equal(net.progressOf(1, 3).state, 'probe');
  assert.equal(net.progressOf(1, 3).paused, true);
  net.dropQueued((m) => m.to === 3);
  net.stabilize();
  assert.equal(net.progressOf(1, 3).paused, true, 'nothing moves without a heartbeat');
  net.tick(1);
  net.stabilize();
  assert.equal(net.progressOf(1, 3).state, 'replicate');
  assert.deepEqual(net.appliedData(3), ['x', 'y']);
});

test('lagging commit: a heartbeat caps the commit index at the follower match; the next append brings it', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.propose(1, 'd1');
  net.propose(1, 'd2');
  net.processReady(1);
  net.deliver((m) => m.to === 3);
  net.processReady(3);
  net.dropQueued((m) => m.from === 3); // the leader never hears 3 stored them
  net.stabilizeAmong([1, 2]);
  net.dropQueued((m) => m.to === 3); // nor does 3 hear they are committed
  assert.equal(net.get(1).node.status().commit, 3);
  assert.equal(net.get(3).node.status().commit, 1);
  net.tick(1);
  net.processReady(1);
  const hb = net.queue.find((m) => m.to === 3 && m.type === 'heartbeat')!;
  assert.equal(hb.commit, 1, 'commit capped at match');
  net.stabilize();
  assert.equal(net.get(3).node.status().commit, 3);
  assert.deepEqual(net.appliedData(3), ['d1', 'd2']);
});

test('proposals made between two Readys travel in one append per follower', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  for (const p of ['a', 'b', 'c', 'd']) net.propose(1, p);
  net.processReady(1);
  const apps = net.queue.filter((m) => m.type === 'app');
  assert.deepEqual(apps.map((m) => [m.to, m.entries.length]), [[2, 4], [3, 4]]);
  net.stabilize();
  assert.deepEqual(net.appliedData(3), ['a', 'b', 'c', 'd']);
});

test('maxSizePerMsg bounds the payload of each append (at least one entry per message)', () => {
  const net = new Network([1, 2, 3], { maxSizePerMsg: 25 });
  net.elect(1);
  net.isolate(3);
  for (let i = 0; i < 10; i++) net.get(1).node.propose(new Uint8Array(10));
  net.get(1).node.propose(new Uint8Array(100));
  net.stabilize();
  net.heal();
  const before = net.sent.length;
  net.tick(1);
  net.stabilize();
  const apps = net.sent.slice(before).filter((m) => m.to === 3 && m.type === 'app' && m.entries.length > 0);
  assert.ok(apps.length >= 6);
  for (const m of apps) {
    const bytes = m.entries.reduce((n, e) => n + e.data.length, 0);
    assert.ok(bytes <= 25 || m.entries.length === 1, `append of ${bytes} bytes in ${m.entries.length} entries`);
  }
  assert.equal(net.get(3).node.status().commit, 12);
});

test('maxInflightBytes pauses a follower stream once the bytes in flight reach the budget', () => {
  const net = new Network([1, 2, 3], { maxSizePerMsg: 10, maxInflightBytes: 30 });
  net.elect(1);
  for (let i = 0; i < 5; i++) net.get(1).node.propose(new Uint8Array(10));
  net.processReady(1);
  const apps = net.queue.filter((m) => m.to === 2 && m.type === 'app' && m.entries.length > 0);
  assert.equal(apps.length, 3);
  assert.equal(net.progressOf(1, 2).paused, true);
  net.stabilize();
  assert.equal(net.get(2).node.status().commit, 6);
});

test('maxUncommittedEntriesSize drops proposals beyond the budget until entries commit', () => {
  const net = new Network([1, 2, 3], { maxUncommittedEntriesSize: 100 });
  net.elect(1);
  net.isolate(1);
  const node = net.get(1).node;
  node.propose(new Uint8Array(60));
  node.propose(new Uint8Array(40));
  assert.throws(() => node.propose(new Uint8Array(1)), (err: ProposalDroppedError) =>
    err.code === 'RAFT_PROPOSAL_DROPPED' && err.reason === 'uncommittedLimit');
  node.propose(new Uint8Array(0)); // empty entries always fit
  net.heal();
  net.stabilize();
  node.propose(new Uint8Array(100));
  // a single entry larger than the budget is accepted when nothing is uncommitted
  net.stabilize();
  node.propose(new Uint8Array(500));
});

test('a proposal on a non-leader is dropped with the leader as hint', () => {
  const net = new Network([1, 2, 3]);
  assert.throws(() => net.propose(1, 'x'), (err: ProposalDroppedError) => err.reason === 'notLeader' && err.leader === 0);
  net.elect(1);
  assert.throws(() => net.get(2).node.propose(enc('x')), (err: ProposalDroppedError) =>
    err.code === 'RAFT_PROPOSAL_DROPPED' && err.reason === 'notLeader' && err.leader === 1);
});

test('entries missing from the storage cache are fetched, then the append is resent', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.isolate(3);
  for (const p of ['a', 'b', 'c']) net.propose(1, p);
  net.stabilize();
  net.get(1).storage.evictBelow(4); // leader has 1..4 on "disk" only below 4
  net.heal();
  net.tick(1);
  // Run the Ready loop by hand to watch the fetch request.
  let sawFetch = false;
  for (let i = 0; i < 50; i++) {
    for (const id of net.ids()) {
      const n = net.get(id);
      if (!n.node.hasReady()) continue;
      const rd = n.node.ready();
      if (rd.entriesToFetch !== undefined) {
        sawFetch = true;
        assert.equal(id, 1);
        assert.ok(rd.entriesToFetch.every((r) => r.lo >= 1 && r.hi <= 4));
        for (const r of rd.entriesToFetch) n.storage.loadIntoCache(r.lo);
      }
      n.storage.append(rd.entries);
      if (rd.hardState !== null) n.storage.setHardState(rd.hardState);
      for (const e of rd.committedEntries) n.applied.push(e);
      net.queue.push(...rd.messages, ...rd.messagesAfterPersist);
      n.node.advance(rd);
      if (rd.entriesToFetch !== undefined) n.node.onEntriesFetched();
    }
    net.deliver();
  }
  assert.ok(sawFetch);
  assert.deepEqual(net.appliedData(3), ['a', 'b', 'c']);
});

test('committed entries missing from the cache are handed out after the fetch', () => {
  const net = new Network([1, 2, 3], { autoFetch: false });
  net.elect(1);
  net.propose(1, 'a');
  net.propose(1, 'b');
  // 2 stores but does not apply yet: hold its Readys.
  net.processReady(1);
  net.deliver((m) => m.to === 2);
  const n2 = net.get(2);
  const rd1 = n2.node.ready();
  n2.storage.append(rd1.entries);
  n2.node.advance(rd1);
  n2.storage.evictBelow(100);
  net.stabilize();
  assert.deepEqual(net.appliedData(2), []);
  n2.storage.loadIntoCache(1);
  n2.node.onEntriesFetched();
  net.stabilize();
  assert.deepEqual(net.appliedData(2), ['a', 'b']);
});
