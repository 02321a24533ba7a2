// The RaftNode driver's contract, on the simulator's clock, network and disk (deterministic):
// proposals resolve after commit and local apply, redirects and typed errors, crash semantics on
// a failed persist, the Ready order (send / persist / send-after-persist / apply), group commit,
// bootstrap, stop(), entry fetches after cache misses, read index, compaction, and snapshot
// installs beside the loop (a node being rebuilt votes and acknowledges appends; a learner
// acknowledges once installed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeMessage } from '../../../raft/core/message.js';
import type { PersistBatch } from '../../../raft/ports.js';
import { ELECTION_MS, Harness, text, type HNode } from '../../sim/harness.js';
import { QUIET_DISK } from '../../sim/sim-disk.js';

function codeOf(err: unknown): unknown {
  return (err as { code?: unknown }).code;
}

test('a new cluster bootstraps identical conf-change entries 1..n and elects a leader', async () => {
  const h = new Harness(3);
  await h.startAll();
  for (const n of h.nodes.values()) {
    const img = n.store.image;
    assert.equal(img.lastIndex >= 3, true);
    assert.deepEqual(img.entries.slice(0, 3).map((e) => [e.index, e.term, e.type]), [[1, 1, 'confChange'], [2, 1, 'confChange'], [3, 1, 'confChange']]);
    assert.deepEqual(img.confState, { voters: [1, 2, 3], learners: [] });
  }
  const leader = await h.leader();
  assert.deepEqual(leader.raft!.status().confState.voters, [1, 2, 3]);
});

test('propose resolves with the index once committed and applied locally', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  const index = await h.settle(leader.raft!.propose(text('hello')));
  const e = leader.applied.find((x) => x.index === index);
  assert.ok(e !== undefined, 'applied on the leader before the promise resolved');
  assert.equal(new TextDecoder().decode(e.data), 'hello');
  assert.ok(leader.raft!.status().commitIndex >= index);
  await h.runUntil(() => h.followers(leader).every((f) => f.applied.some((x) => x.index === index)));
});

test('a follower rejects proposals with RAFT_NOT_LEADER naming the leader', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  await h.runUntil(() => h.followers(leader).every((f) => f.raft!.status().leader === leader.id));
  const follower = h.followers(leader)[0]!;
  await assert.rejects(follower.raft!.propose(text('x')), (err: unknown) => {
    assert.equal(codeOf(err), 'RAFT_NOT_LEADER');
    assert.equal((err as { leader: number }).leader, leader.id);
    return true;
  });
});

test('proposals arriving together ride in one persisted batch (group commit)', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  await h.settle(leader.raft!.propose(text('warm-up')));
  const batches: number[] = [];
  const persist = leader.store.persist;
  leader.store.persist = (b: PersistBatch) => {
    if (b.entries.length > 0) batches.push(b.entries.length);
    return persist(b);
  };
  const ps = [1, 2, 3, 4, 5].map((k) => leader.raft!.propose(text(`p${k}`)));
  const indexes = await h.settle(Promise.all(ps));
  assert.deepEqual(indexes, [indexes[0]!, indexes[0]! + 1, indexes[0]! + 2, indexes[0]! + 3, indexes[0]! + 4]);
  assert.equal(batches[0], 5, 'all five in the first batch');
});

test('send, persist, send-after-persist, apply: the Ready order on leader and follower', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  const follower = h.followers(leader)[0]!;
  await h.settle(leader.raft!.propose(text('warm-up')));
  follower.log = [];
  leader.log = [];
  const index = await h.settle(leader.raft!.propose(text('ordered')));
  await h.runUntil(() => follower.log.some((s) => s.startsWith('apply')));
  const at = (log: string[], prefix: string): number => log.findIndex((s) => s.startsWith(prefix) && s.endsWith(` ${index}..${index}`));
  // The leader sends its append before its own write of the entry is durable (thesis §10.2.1)
  // and applies only after it.
  assert.ok(at(leader.log, 'send app') >= 0, leader.log.join(', '));
  assert.ok(at(leader.log, 'send app') < at(leader.log, 'persist-'), leader.log.join(', '));
  assert.ok(leader.log.indexOf(`apply ${index}..${index}`) > at(leader.log, 'persist-'), leader.log.join(', '));
  // The follower acknowledges only once the batch holding the entry is durable.
  const persisted = at(follower.log, 'persist-');
  const ack = follower.log.indexOf('send appResp', at(follower.log, 'persist+'));
  assert.ok(persisted >= 0 && ack > persisted, follower.log.join(', '));
  let durable = true;
  for (const step of follower.log) {
    if (step.startsWith('persist+')) durable = false;
    if (step.startsWith('persist-')) durable = true;
    if (step === 'send appResp') assert.ok(durable, `appResp while a write is in flight: ${follower.log.join(', ')}`);
  }
});

test('while the leader\'s write hangs, heartbeats and appends still leave: no election, and the followers commit and apply without it', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  await h.settle(leader.raft!.propose(text('before')));
  const term = leader.raft!.status().term;
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const persist = leader.store.persist;
  leader.store.persist = async (b: PersistBatch) => {
    await released; // a disk that stops answering
    return persist(b);
  };
  const p = leader.raft!.propose(text('during the stall'));
  let settled = false;
  void p.then(() => {
    settled = true;
  }, () => undefined);
  const followers = h.followers(leader);
  const applied = (n: typeof leader): boolean => n.applied.some((e) => new TextDecoder().decode(e.data) === 'during the stall');
  await h.runUntil(() => followers.every(applied), 3 * ELECTION_MS);
  await h.runUntil(() => false, 3 * ELECTION_MS).catch(() => undefined); // three election timeouts
  for (const n of h.nodes.values()) {
    assert.equal(n.raft!.status().term, term, `n${n.id} stayed in term ${term}`);
    assert.equal(n.raft!.status().leader, leader.id, `n${n.id} still follows n${leader.id}`);
  }
  assert.equal(applied(leader), false, 'the leader applies nothing it has not made durable');
  assert.equal(settled, false);
  release();
  const index = await h.settle(p);
  assert.ok(leader.applied.some((e) => e.index === index), 'after the stall the leader applies and the proposal resolves');
});

test('a failed fsync stops the node for good: waiters rejected, nothing sent or applied after', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  await h.settle(leader.raft!.propose(text('before')));
  leader.store.setFaults({ ...QUIET_DISK, fsyncErrorProbability: 1 });
  let stopped: Error | null = null;
  leader.raft!.on('stopped', (err) => {
    stopped = err;
  });
  const p = leader.raft!.propose(text('doomed'));
  await assert.rejects(h.settle(p), (err: unknown) => codeOf(err) === 'RAFT_NODE_STOPPED');
  assert.equal(codeOf(stopped), 'RAFT_PERSIST_FAILED');
  assert.equal(codeOf((stopped as unknown as Error).cause), 'SIM_DISK_FSYNC_FAILED');
  assert.equal(leader.raft!.running, false);
  const after = leader.log.length;
  const appliedBefore = leader.applied.length;
  await h.runUntil(() => false, 300).catch(() => undefined);
  assert.equal(leader.log.length, after, `no action after the failure: ${leader.log.slice(after).join(', ')}`);
  assert.equal(leader.applied.length, appliedBefore);
  await assert.rejects(leader.raft!.propose(text('late')), (err: unknown) => codeOf(err) === 'RAFT_NODE_STOPPED');
});

test('a proposal whose leader loses leadership before commit rejects with RAFT_LEADERSHIP_LOST', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  await h.settle(leader.raft!.propose(text('ok')));
  h.net.isolate(leader.id, [...h.peers.keys()]);
  const p = leader.raft!.propose(text('stranded'));
  await assert.rejects(h.settle(p, 10 * ELECTION_MS), (err: unknown) => codeOf(err) === 'RAFT_LEADERSHIP_LOST');
});

test('stop() drains the loop, rejects waiters with RAFT_NODE_STOPPED and closes the transport', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  h.net.isolate(leader.id, [...h.peers.keys()]);
  const p = leader.raft!.propose(text('pending'));
  p.catch(() => undefined);
  await h.settle(leader.raft!.stop());
  await assert.rejects(p, (err: unknown) => codeOf(err) === 'RAFT_NODE_STOPPED');
  assert.equal(leader.raft!.running, false);
  const before = leader.log.length;
  await h.runUntil(() => false, 200).catch(() => undefined);
  assert.equal(leader.log.length, before, 'a stopped node neither ticks nor sends');
});

test('a restart does not bootstrap again and resumes from the persisted applied index', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  for (let k = 0; k < 5; k++) await h.settle(leader.raft!.propose(text(`r${k}`)));
  const follower = h.followers(leader)[0]!;
  await h.runUntil(() => follower.store.appliedIndex() >= 5);
  h.crash(follower.id);
  const durableApplied = follower.store.appliedIndex();
  follower.applied = [];
  await h.start(follower.id);
  assert.equal(follower.store.image.entries[0]!.index, 1, 'bootstrap entries kept, not rewritten');
  await h.runUntil(() => follower.applied.length > 0);
  assert.equal(follower.applied[0]!.index, durableApplied + 1);
});

test('readIndex resolves at or above every index acknowledged before it', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  const acked = await h.settle(leader.raft!.propose(text('before read')));
  for (const n of h.nodes.values()) {
    const idx = await h.settle(n.raft!.readIndex());
    assert.ok(idx >= acked, `n${n.id} read index ${idx} < ${acked}`);
    assert.ok(n.raft!.status().appliedIndex >= idx);
  }
});

test('membership: a learner joins from an empty store, is promoted, and a member is removed', async () => {
  const h = new Harness(4, { voters: 3 });
  await h.startAll();
  const leader = await h.leader();
  assert.deepEqual(leader.raft!.status().confState, { voters: [1, 2, 3], learners: [] });
  // n4 joins: empty store, no bootstrap; it learns the membership from the log.
  const joiner = await h.start(4, { join: true });
  await h.settle(leader.raft!.addLearner(4, 'sim://n4'));
  await h.runUntil(() => joiner.raft!.status().confState.learners.includes(4));
  await h.settle(leader.raft!.addVoter(4, 'sim://n4'));
  await h.runUntil(() => joiner.raft!.status().confState.voters.includes(4));
  const victim = h.followers(leader).find((n) => n.id !== 4)!;
  await h.settle(leader.raft!.removeMember(victim.id));
  assert.deepEqual(leader.raft!.status().confState.voters, [1, 2, 3, 4].filter((v) => v !== victim.id));
  const index = await h.settle(leader.raft!.propose(text('after changes')));
  await h.runUntil(() => joiner.applied.some((e) => e.index === index));
});

test('a conf change while another is pending is refused with RAFT_PROPOSAL_DROPPED', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  h.net.isolate(leader.id, [...h.peers.keys()]);
  const first = leader.raft!.addLearner(9, 'sim://n9');
  first.catch(() => undefined);
  await assert.rejects(leader.raft!.addLearner(10, 'sim://n10'), (err: unknown) => codeOf(err) === 'RAFT_PROPOSAL_DROPPED');
});

test('leadership transfer hands over to the chosen voter', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  const target = h.followers(leader)[0]!;
  await h.settle(leader.raft!.propose(text('catch up')));
  await h.settle(leader.raft!.transferLeadership(target.id));
  await h.runUntil(() => target.raft!.status().role === 'leader');
});

test('cache misses are fetched from the store and replication goes on', async () => {
  const h = new Harness(3, { disk: { ...QUIET_DISK, tailCacheEntries: 2 } });
  await h.startAll();
  const leader = await h.leader();
  const lagging = h.followers(leader)[0]!;
  h.net.isolate(lagging.id, [...h.peers.keys()]);
  let last = 0;
  for (let k = 0; k < 10; k++) last = await h.settle(leader.raft!.propose(text(`c${k}`)));
  h.net.heal();
  await h.runUntil(() => lagging.applied.some((e) => e.index === last));
  assert.ok(leader.store.counts.cacheMisses > 0, 'the leader missed its cache');
});

test('compaction: a lagging follower gets the snapshot metadata, then the retained log', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  const lagging = h.followers(leader)[0]!;
  h.net.isolate(lagging.id, [...h.peers.keys()]);
  const lagApplied = lagging.applied.at(-1)?.index ?? 0;
  let last = 0;
  for (let k = 0; k < 6; k++) last = await h.settle(leader.raft!.propose(text(`s${k}`)));
  const meta = await h.settle(leader.raft!.compact(text('state')));
  assert.equal(meta.index, last);
  assert.equal(leader.store.firstIndex(), last + 1);
  const after = await h.settle(leader.raft!.propose(text('after compaction')));
  h.net.heal();
  await h.runUntil(() => lagging.applied.some((e) => e.index === after));
  assert.equal(lagging.store.snapshotMeta().index, last);
  assert.ok(!lagging.applied.some((e) => e.index > lagApplied && e.index <= last),
    'compacted entries are never delivered to the lagging follower');
});

interface HeldInstall {
  h: Harness;
  leader: HNode;
  /** The follower installing a snapshot, and the other one. */
  installing: HNode;
  other: HNode;
  /** The snapshot's index. */
  snapIndex: number;
  /** The install has not ended yet. */
  held: () => boolean;
  release: () => void;
}

/** A 3-node cluster in which a follower, cut off while the leader commits and compacts past it,
 *  is installing the leader's snapshot, held until release() (the relay fetching files). */
async function heldInstall(): Promise<HeldInstall> {
  let slow = 0;
  let releaseNow: (() => void) | null = null;
  const h = new Harness(3, {
    install: (id) => (id === slow ? new Promise<void>((r) => { releaseNow = r; }) : undefined),
  });
  await h.startAll();
  const leader = await h.leader();
  const [installing, other] = h.followers(leader) as [HNode, HNode];
  slow = installing.id;
  h.net.isolate(installing.id, [...h.peers.keys()]);
  let snapIndex = 0;
  for (let k = 0; k < 6; k++) snapIndex = await h.settle(leader.raft!.propose(text(`s${k}`)));
  await h.settle(leader.raft!.compact(text('state')));
  h.net.heal();
  const held = (): boolean => releaseNow !== null;
  await h.runUntil(held);
  return { h, leader, installing, other, snapIndex, held, release: () => { releaseNow?.(); releaseNow = null; } };
}

test('a follower installing a snapshot acknowledges appends meanwhile: with the other follower down, commits go on', async () => {
  const { h, leader, installing, other, snapIndex, held, release } = await heldInstall();
  h.crash(other.id);
  const during = await h.settle(leader.raft!.propose(text('while installing')), 2 * ELECTION_MS);
  assert.ok(held(), 'the install is still under way');
  assert.ok(installing.store.lastIndex() >= during, 'the installing follower holds the new entry');
  assert.ok(!installing.applied.some((e) => e.index > snapIndex), 'nothing after the snapshot is applied before it is installed');
  assert.equal(installing.raft!.status().installingSnapshot, snapIndex);
  release();
  await h.runUntil(() => installing.applied.some((e) => e.index === during));
  assert.equal(installing.raft!.status().installingSnapshot, 0);
  const after = installing.applied.filter((e) => e.index > snapIndex).map((e) => e.index);
  assert.deepEqual(after, [...Array(after.length).keys()].map((k) => snapIndex + 1 + k), 'applied in order, from the snapshot on');
});

test('a follower installing a snapshot votes: the leader lost, a new one is elected before the install ends', async () => {
  const { h, leader, installing, held, release } = await heldInstall();
  const term = leader.raft!.status().term;
  h.crash(leader.id);
  const next = await h.leader();
  assert.ok(next.raft!.status().term > term);
  assert.ok(held(), 'elected while the install is still under way');
  release();
  const index = await h.settle(next.raft!.propose(text('new term')));
  await h.runUntil(() => installing.applied.some((e) => e.index === index));
});

test('a node elected while it installs a snapshot hands leadership on to a voter that answers, not to the one that died', async () => {
  const { h, leader, installing, other, held, release } = await heldInstall();
  // The voter that dies has the lower id: the one a hand-off that knows no progress yet prefers.
  const [dead, alive] = [leader, other].sort((a, b) => a.id - b.id) as [HNode, HNode];
  void leader.raft!.transferLeadership(installing.id).catch(() => undefined);
  await h.runUntil(() => installing.raft!.status().role === 'leader');
  h.crash(dead.id);
  await h.runUntil(() => alive.raft!.status().role === 'leader', 6 * ELECTION_MS);
  assert.ok(held(), 'handed on while the install is still under way');
  release();
  const next = await h.leader();
  const index = await h.settle(next.raft!.propose(text('after the hand-off')));
  await h.runUntil(() => installing.applied.some((e) => e.index === index));
});

test('a learner installing a snapshot acknowledges it only once installed: it is not counted caught up before', async () => {
  let releaseNow: (() => void) | null = null;
  const h = new Harness(4, { voters: 3, install: (id) => (id === 4 ? new Promise<void>((r) => { releaseNow = r; }) : undefined) });
  await h.startAll();
  const leader = await h.leader();
  let snapIndex = 0;
  for (let k = 0; k < 6; k++) snapIndex = await h.settle(leader.raft!.propose(text(`s${k}`)));
  await h.settle(leader.raft!.compact(text('state')));
  await h.start(4, { join: true });
  void leader.raft!.addLearner(4, 'sim://n4').catch(() => undefined);
  await h.runUntil(() => releaseNow !== null);
  const match = (): number => leader.raft!.status().peers.find((p) => p.id === 4)?.match ?? 0;
  await h.runFor(4 * ELECTION_MS);
  assert.ok(match() < snapIndex, `the learner's match ${match()} stays below the snapshot ${snapIndex} while it installs`);
  releaseNow!();
  await h.runUntil(() => match() >= snapIndex);
});

test('a term-0 message from the network other than readIndex is dropped (only forwarded reads carry term 0)', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  const follower = h.followers(leader)[0]!;
  const before = follower.raft!.status();
  // A forged append with term 0 from a non-leader: the core would take it as a current-term one.
  const other = h.followers(leader).find((n) => n.id !== follower.id)!;
  follower.transport!.deliver(makeMessage({
    type: 'app', from: other.id, to: follower.id, term: 0, logTerm: before.term, index: before.lastIndex, commit: before.commitIndex,
    entries: [{ index: before.lastIndex + 1, term: before.term, type: 'normal', data: text('forged') }],
  }));
  await h.settle(leader.raft!.propose(text('real')));
  const until = h.sched.nowMs + ELECTION_MS / 2;
  await h.runUntil(() => h.sched.nowMs >= until);
  const applied = follower.applied.map((e) => Buffer.from(e.data).toString());
  assert.ok(!applied.includes('forged'), 'the forged entry was never applied');
  assert.ok(applied.includes('real'), 'the leader\'s entry was');
  assert.equal(follower.raft!.status().leader, leader.id, 'the follower still follows the leader');
});

test('a leader hands off to the most up-to-date voter', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  const [a, b] = h.followers(leader).sort((x, y) => x.id - y.id) as [typeof leader, typeof leader];
  // The lower id lags: cut it off while the log grows, so the other one is the heir.
  h.net.isolate(a.id, [leader.id]);
  await h.settle(leader.raft!.propose(text('only b has this')));
  await h.settle(leader.raft!.handOffLeadership());
  await h.runUntil(() => b.raft!.status().role === 'leader');
  assert.notEqual(a.raft!.status().role, 'leader');
});

test('read contexts of two boots of a node differ for the same sequence number (a boot nonce)', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  const f = h.followers(leader)[0]!;
  const contexts: string[] = [];
  const record = (n: typeof f): void => {
    const send = n.transport!.send.bind(n.transport!);
    n.transport!.send = (ms) => {
      for (const m of ms) if (m.type === 'readIndex') contexts.push(Buffer.from(m.context).toString('hex'));
      send(ms);
    };
  };
  record(f);
  await h.runUntil(() => f.raft!.status().leader !== 0);
  await h.settle(f.raft!.readIndex());
  await f.raft!.stop();
  const again = await h.start(f.id);
  record(again);
  await h.runUntil(() => again.raft!.status().leader !== 0);
  await h.settle(again.raft!.readIndex());
  assert.equal(contexts.length, 2);
  assert.notEqual(contexts[0], contexts[1]);
});

test('an entry the state machine refuses rejects its proposal with RAFT_ENTRY_REFUSED; the others resolve', async () => {
  const h = new Harness(3, { refuse: (data) => Buffer.from(data).toString() === 'bad' ? 'not continuous' : undefined });
  await h.startAll();
  const leader = await h.leader();
  const good = leader.raft!.propose(text('good'));
  const bad = leader.raft!.propose(text('bad'));
  bad.catch(() => undefined);
  await h.settle(good);
  await assert.rejects(h.settle(bad), (err: unknown) => codeOf(err) === 'RAFT_ENTRY_REFUSED' && /not continuous/.test(String(err)));
});

test('a compaction never passes the applied index on disk: nothing is applied between Readys while one waits for its checkpoint', async () => {
  const h = new Harness(3);
  await h.startAll();
  const leader = await h.leader();
  const f = h.followers(leader)[0]!;
  const i1 = await h.settle(leader.raft!.propose(text('p1')));
  await h.runUntil(() => f.raft!.status().appliedIndex >= i1);
  // f misses p2 and p3 (committed by the others); they reach it below, one message at a time.
  h.net.isolate(f.id, [...h.peers.keys()]);
  const i2 = await h.settle(leader.raft!.propose(text('p2')));
  const i3 = await h.settle(leader.raft!.propose(text('p3')));
  assert.equal(i3, i2 + 1);
  const [e2, e3] = leader.store.entries(i2, i3 + 1, Infinity);
  const term = e3!.term;
  const app = (index: number, entries: typeof e2[], commit: number): void => f.transport!.deliver(makeMessage({
    type: 'app', from: leader.id, to: f.id, term, logTerm: f.store.term(index), index, commit, entries,
  }));
  app(i2 - 1, [e2!], i1);
  await h.runUntil(() => f.store.lastIndex() >= i2);
  // From here f's writes wait for a ticket each.
  const tickets: (() => void)[] = [];
  let gated = true;
  const persist = f.store.persist.bind(f.store);
  f.store.persist = async (b: PersistBatch) => {
    const written = persist(b); // takes what is staged now, like the real store
    if (gated) await new Promise<void>((r) => tickets.push(r));
    return written;
  };
  app(i2, [e3!], i1); // a write of p3 starts
  await h.runUntil(() => tickets.length === 1);
  app(i2, [], i2); // p2 committed and durable: applied between Readys, its checkpoint owed
  await h.runUntil(() => f.raft!.status().appliedIndex >= i2);
  let appliedOnDiskAtCompaction = -1;
  const compact = f.store.compact.bind(f.store);
  f.store.compact = async (snap) => {
    appliedOnDiskAtCompaction = f.store.writtenAppliedIndex();
    return compact(snap);
  };
  const compacted = f.raft!.compact(text('state'));
  tickets.shift()!(); // p3's write; the next one carries the owed checkpoint first
  await h.runUntil(() => tickets.length === 1);
  app(i3, [], i3); // p3 committed while that checkpoint is on its way
  gated = false;
  tickets.shift()!();
  const meta = await h.settle(compacted);
  assert.ok(meta.index <= appliedOnDiskAtCompaction,
    `compacted through ${meta.index} with the applied index ${appliedOnDiskAtCompaction} on disk: a restart would find the log compacted past its state`);
  await h.runUntil(() => f.raft!.status().appliedIndex >= i3);
});
