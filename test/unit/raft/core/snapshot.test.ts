// Metadata-only snapshots: a follower whose next entry was compacted away gets the snapshot
// metadata, empties its log at the snapshot, and receives the retained log by appends.
// Re-derived from etcd's slow_follower_after_compaction and snapshot_succeed_via_app_resp.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drain, msg, snap, solo } from './helpers.js';
import { Network, enc } from './network.js';

test('a slow follower whose appends were lost gets a snapshot after compaction, then the rest', () => {
  const net = new Network([1, 2, 3], { maxInflightMsgs: 2 });
  net.elect(1);
  for (const p of ['a', 'b', 'c']) net.propose(1, p);
  net.stabilize();
  for (const p of ['d', 'e', 'f', 'g']) {
    net.propose(1, p);
    net.processReady(1);
  }
  net.stabilizeAmong([1, 2]);
  assert.deepEqual([net.progressOf(1, 3).match, net.progressOf(1, 3).paused], [4, true]);
  net.dropQueued((m) => m.to === 3);
  const meta = net.compact(1, 7, enc('gtid-state@7'));
  net.tick(1); // heartbeat -> empty append -> reject -> snapshot
  net.stabilize();
  const n3 = net.get(3);
  assert.deepEqual(n3.snapshots.map((s) => [s.index, s.term]), [[7, 1]]);
  assert.equal(new TextDecoder().decode(n3.snapshots[0]!.data), 'gtid-state@7');
  assert.equal(n3.storage.firstIndex(), 8);
  assert.equal(n3.storage.lastIndex(), 8);
  assert.deepEqual(net.appliedData(3), ['a', 'b', 'c', 'g']); // d..f come with the snapshot
  assert.equal(n3.node.status().applied, 8);
  assert.deepEqual(net.progressOf(1, 3), { ...net.progressOf(1, 3), match: 8, state: 'replicate' });
  assert.equal(meta.index, 7);
});

test('the snapshot succeeds through the follower append response, without reportSnapshot', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.isolate(3);
  for (const p of ['a', 'b', 'c']) net.propose(1, p);
  net.stabilize();
  net.compact(1, 3);
  net.heal();
  net.tick(1);
  // Leader: heartbeat answer -> probe at next -> reject -> snapshot state.
  for (let i = 0; i < 10; i++) {
    net.processReadys();
    if (net.queue.some((m) => m.type === 'snap')) break;
    net.deliver();
  }
  assert.equal(net.progressOf(1, 3).state, 'snapshot');
  net.deliver((m) => m.type === 'snap');
  net.processReady(3);
  const resp = net.queue.find((m) => m.from === 3 && m.type === 'appResp')!;
  assert.deepEqual([resp.index, resp.reject], [3, false]);
  net.deliver((m) => m === resp);
  assert.equal(net.progressOf(1, 3).state, 'replicate');
  net.stabilize();
  assert.equal(net.get(3).node.status().commit, 4);
});

test('a lost snapshot is sent again after a full heartbeat round, not on every heartbeat answer', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.isolate(3);
  net.propose(1, 'a');
  net.stabilize();
  net.compact(1, 2);
  net.heal();
  net.dropFilter = (m) => m.type === 'snap';
  net.tick(1);
  net.stabilize();
  assert.equal(net.progressOf(1, 3).state, 'snapshot');
  net.heal();
  const snaps = (): number => net.sent.filter((m) => m.type === 'snap').length;
  const sent = snaps();
  // Reads trigger extra heartbeat rounds: their answers do not resend the snapshot.
  for (let i = 0; i < 5; i++) net.get(1).node.readIndex(enc(`r${i}`));
  net.stabilize();
  assert.equal(snaps(), sent);
  assert.equal(net.progressOf(1, 3).state, 'snapshot');
  net.tick(1);
  net.stabilize();
  net.tick(1);
  net.stabilize();
  assert.equal(net.progressOf(1, 3).state, 'replicate');
  assert.equal(snaps(), sent + 1);
  assert.equal(net.get(3).snapshots.length, 1);
});

test('reportSnapshot failure moves the follower back to probe and waits for a heartbeat', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.isolate(3);
  net.propose(1, 'a');
  net.stabilize();
  net.compact(1, 2);
  net.heal();
  net.dropFilter = (m) => m.type === 'snap';
  net.tick(1);
  net.stabilize();
  net.heal();
  net.get(1).node.reportSnapshot(3, false);
  const pr = net.progressOf(1, 3);
  assert.deepEqual([pr.state, pr.paused, pr.next], ['probe', true, 2]); // failed: retry after match
  net.tick(1);
  net.stabilize();
  assert.equal(net.progressOf(1, 3).state, 'replicate');
});

test('a follower ignores a snapshot at or below its commit index, answering with its commit', () => {
  const s = solo(2, [1, 2, 3], [1, 1, 1], 1);
  s.node.step(msg({ type: 'heartbeat', from: 1, to: 2, term: 1, commit: 3 }));
  drain(s);
  s.node.step(msg({ type: 'snap', from: 1, to: 2, term: 1, snapshot: snap(2, 1) }));
  const out = drain(s);
  assert.deepEqual(out.map((m) => [m.type, m.index]), [['appResp', 3]]);
  assert.equal(s.storage.firstIndex(), 1);
});

test('a follower that already has the snapshot entry only fast-forwards its commit', () => {
  const s = solo(2, [1, 2, 3], [1, 1, 1, 1], 1);
  s.node.step(msg({ type: 'snap', from: 1, to: 2, term: 1, snapshot: snap(3, 1) }));
  const out = drain(s);
  assert.deepEqual(out.map((m) => [m.type, m.index]), [['appResp', 3]]);
  assert.equal(s.node.status().commit, 3);
  assert.equal(s.storage.lastIndex(), 4, 'log kept');
});

test('a snapshot installs membership, replaces a conflicting log and needs a durable write', () => {
  const s = solo(4, [1, 2, 3], [1, 1], 1);
  s.node.step(msg({ type: 'snap', from: 1, to: 4, term: 2, snapshot: snap(10, 2, [1, 2, 3], [4]) }));
  const rd = s.node.ready();
  assert.equal(rd.snapshot?.index, 10);
  assert.equal(rd.mustSync, true);
  assert.deepEqual(rd.committedEntries, []);
  assert.deepEqual(rd.messagesAfterPersist.map((m) => [m.type, m.index]), [['appResp', 10]]);
  s.storage.applySnapshot(rd.snapshot!);
  if (rd.hardState !== null) s.storage.setHardState(rd.hardState);
  s.node.advance(rd);
  const st = s.node.status();
  assert.deepEqual(st.confState, { voters: [1, 2, 3], learners: [4] });
  assert.deepEqual([st.applied, st.commit, st.lastIndex], [10, 10, 10]);
});

test('a node added after the last compaction installs the older snapshot, then learns it was added', () => {
  const net = new Network([1, 2, 3], { bootstrap: 'log' });
  net.elect(1);
  net.propose(1, 'a');
  net.stabilize();
  net.compact(1, net.get(1).node.status().applied); // snapshot membership: 1, 2, 3
  net.addEmptyNode(4);
  net.get(1).node.proposeConfChange({ type: 'addLearner', nodeId: 4, context: new Uint8Array(0) });
  net.propose(1, 'b');
  net.stabilize();
  const n4 = net.get(4);
  assert.equal(n4.snapshots.length, 1);
  assert.deepEqual(n4.snapshots[0]!.confState, { voters: [1, 2, 3], learners: [] });
  assert.deepEqual(n4.confState, { voters: [1, 2, 3], learners: [4] });
  assert.deepEqual(net.appliedData(4), ['b']);
  assert.equal(net.progressOf(1, 4).state, 'replicate');
});

test('a node restarted from a compacted log resumes at the snapshot', () => {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  for (const p of ['a', 'b', 'c']) net.propose(1, p);
  net.stabilize();
  net.compact(2, 3);
  net.restart(2);
  const st = net.get(2).node.status();
  assert.deepEqual([st.firstIndex, st.lastIndex, st.commit, st.applied], [4, 4, 4, 4]);
  net.propose(1, 'd');
  net.stabilize();
  assert.deepEqual(net.appliedData(2), ['a', 'b', 'c', 'd']);
});
