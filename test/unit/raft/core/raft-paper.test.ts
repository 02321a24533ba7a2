// One test per claim of the Raft paper's §5 (elections, replication, safety), driven message by
// message on standalone nodes, or on the in-memory network.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MessageType } from '../../../../raft/core/types.js';
import { drain, msg, solo } from './helpers.js';
import { Network, networkWithLogs } from './network.js';

// ---- §5.1 terms -------------------------------------------------------------------------------

test('§5.1 a node of any role that sees a higher term becomes a follower in that term', () => {
  for (const role of ['follower', 'candidate', 'leader'] as const) {
    const s = solo(1, [1, 2, 3], [], 1);
    if (role !== 'follower') s.node.campaign();
    if (role === 'leader') s.node.step(msg({ type: 'voteResp', from: 2, to: 1, term: 2 }));
    drain(s);
    assert.equal(s.node.status().softState.role, role);
    s.node.step(msg({ type: 'app', from: 3, to: 1, term: 5 }));
    const st = s.node.status();
    assert.equal(st.softState.role, 'follower', role);
    assert.equal(st.hardState.term, 5, role);
    assert.equal(st.softState.leader, 3, role);
  }
});

test('§5.1 a node ignores an append from a stale term and leaves its log alone', () => {
  const s = solo(1, [1, 2, 3], [1, 2], 3);
  s.node.step(msg({ type: 'app', from: 2, to: 1, term: 2, index: 1, logTerm: 1, entries: [{ index: 2, term: 2, type: 'normal', data: new Uint8Array(1) }], commit: 2 }));
  const out = drain(s);
  assert.deepEqual(out, []); // plain raft: no answer at all
  assert.equal(s.node.status().commit, 0);
  assert.equal(s.storage.term(2), 2);
});

test('§5.1 with pre-vote or check-quorum, a stale leader gets an answer carrying the newer term', () => {
  const s = solo(1, [1, 2, 3], [1], 3, { preVote: true });
  s.node.step(msg({ type: 'heartbeat', from: 2, to: 1, term: 2 }));
  const out = drain(s);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.type, 'appResp');
  assert.equal(out[0]!.term, 3);
  assert.equal(out[0]!.to, 2);
});

// ---- §5.2 leader election ---------------------------------------------------------------------

test('§5.2 a follower campaigns after a randomized timeout in [electionTick, 2 * electionTick)', () => {
  const seen = new Set<number>();
  for (let seed = 1; seed <= 40; seed++) {
    const s = solo(1, [1, 2, 3], [], 0, { seed, electionTick: 10 });
    let ticks = 0;
    while (s.node.status().softState.role === 'follower') {
      s.node.tick();
      ticks++;
      assert.ok(ticks < 20, 'no election within 2 * electionTick');
    }
    assert.ok(ticks >= 10, `campaigned after ${ticks} ticks`);
    seen.add(ticks);
  }
  assert.ok(seen.size >= 5, `timeouts are randomized: ${[...seen].join(',')}`);
});

test('§5.2 a candidate votes for itself, bumps its term and asks every other voter', () => {
  const s = solo(1, [1, 2, 3, 4, 5], [1, 1], 1);
  s.node.campaign();
  const out = drain(s);
  const st = s.node.status();
  assert.equal(st.softState.role, 'candidate');
  assert.deepEqual(st.hardState, { term: 2, vote: 1, commit: 0 });
  assert.deepEqual(out.map((m) => [m.type, m.to, m.term, m.index, m.logTerm]),
    [2, 3, 4, 5].map((to) => ['vote', to, 2, 2, 1]));
});

test('§5.2 a candidate wins with a majority, waits while undecided, and yields once lost', () => {
  const cases: { size: number; votes: Record<number, boolean>; want: string }[] = [
    { size: 1, votes: {}, want: 'leader' },
    { size: 3, votes: { 2: true }, want: 'leader' },
    { size: 3, votes: { 2: false }, want: 'candidate' },
    { size: 3, votes: { 2: false, 3: false }, want: 'follower' },
    { size: 5, votes: { 2: true }, want: 'candidate' },
    { size: 5, votes: { 2: true, 3: true }, want: 'leader' },
    { size: 5, votes: { 2: false, 3: false }, want: 'candidate' },
    { size: 5, votes: { 2: false, 3: false, 4: false }, want: 'follower' },
    { size: 5, votes: { 2: true, 3: false, 4: false, 5: true }, want: 'leader' },
  ];
  for (const c of cases) {
    const voters = Array.from({ length: c.size }, (_, i) => i + 1);
    const s = solo(1, voters);
    s.node.campaign();
    for (const [from, granted] of Object.entries(c.votes)) {
      s.node.step(msg({ type: 'voteResp', from: Number(from), to: 1, term: 1, reject: !granted }));
    }
    assert.equal(s.node.status().softState.role, c.want, JSON.stringify(c));
  }
});

test('§5.2 a node grants at most one vote per term, first come first served', () => {
  const s = solo(1, [1, 2, 3]);
  const vote = (from: number, term: number): boolean => {
    s.node.step(msg({ type: 'vote', from, to: 1, term }));
    const out = drain(s).filter((m) => m.type === 'voteResp');
    assert.equal(out.length, 1);
    return !out[0]!.reject;
  };
  assert.equal(vote(2, 1), true);
  assert.equal(vote(3, 1), false);
  assert.equal(vote(2, 1), true); // asking again gets the same answer
  assert.equal(s.storage.initialState().hardState.vote, 2); // and it is durable
  assert.equal(vote(3, 2), true); // a new term, a new vote
});

test('§5.2 a candidate that hears from a leader of its term becomes its follower', () => {
  for (const type of ['app', 'heartbeat'] as MessageType[]) {
    const s = solo(1, [1, 2, 3]);
    s.node.campaign();
    s.node.step(msg({ type, from: 2, to: 1, term: 1 }));
    const st = s.node.status();
    assert.equal(st.softState.role, 'follower', type);
    assert.equal(st.softState.leader, 2, type);
    assert.equal(st.hardState.term, 1, type);
  }
});

test('§5.2 after a split vote the cluster still elects exactly one leader', () => {
  const net = new Network([1, 2, 3, 4], { seed: 5 });
  // 1 and 3 campaign at once; 2 hears 1 first, 4 hears 3 first: 2 votes each, nobody wins.
  net.campaign(1);
  net.campaign(3);
  net.processReadys();
  net.deliver((m) => (m.from === 1 && m.to === 2) || (m.from === 3 && m.to === 4));
  net.stabilize();
  assert.equal(net.leader(), null);
  for (const id of net.ids()) assert.equal(net.get(id).node.status().hardState.term, 1);
  // Randomized timeouts break the tie.
  for (let i = 0; i < 100 && net.leader() === null; i++) {
    net.tickAll();
    net.stabilize();
  }
  const leader = net.leader();
  assert.notEqual(leader, null);
  const term = net.get(leader!).node.status().hardState.term;
  const leaders = net.ids().filter((id) => {
    const st = net.get(id).node.status();
    return st.softState.role === 'leader' && st.hardState.term === term;
  });
  assert.deepEqual(leaders, [leader]);
});

// ---- §5.3 log replication ---------------------------------------------------------------------

test('§5.3 a leader commits an entry stored on a majority and followers learn the commit', () => {
  const net = new Network([1, 2, 3, 4, 5]);
  net.elect(1);
  net.isolate(4);
  net.isolate(5);
  const { index } = net.propose(1, 'x');
  net.stabilize();
  for (const id of [1, 2, 3]) {
    assert.equal(net.get(id).node.status().commit, index);
    assert.deepEqual(net.appliedData(id), ['x']);
  }
  for (const id of [4, 5]) assert.deepEqual(net.appliedData(id), []);
  net.heal();
  net.tick(1); // heartbeat
  net.stabilize();
  for (const id of [4, 5]) assert.deepEqual(net.appliedData(id), ['x']);
});

test('§5.3 log matching: a new leader probes back, overwrites conflicts and converges every log (Figure 7)', () => {
  // Figure 7 of the paper; node 1 plays the leader of term 8, (a)-(f) are nodes 2-7.
  const logs = {
    1: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6],
    2: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    3: [1, 1, 1, 4],
    4: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    5: [1, 1, 1, 4, 4, 5, 5, 6, 7, 7, 7, 7],
    6: [1, 1, 1, 4, 4, 4, 4],
    7: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };
  const net = networkWithLogs(logs, { 1: 7, 2: 7, 3: 7, 4: 7, 5: 7, 6: 7, 7: 7 });
  const before = net.logTerms(1);
  net.elect(1);
  assert.equal(net.leader(), 1);
  // Leader append-only: its old log is a prefix of its new one.
  assert.ok(net.logTerms(1).startsWith(before));
  for (const id of net.ids()) assert.equal(net.logTerms(id), net.logTerms(1), `node ${id}`);
  // Fast backtracking: one rejection per follower is enough with the term hint.
  const rejects = net.sent.filter((m) => m.type === 'appResp' && m.reject);
  for (const id of [2, 3, 4, 5, 6, 7]) {
    assert.ok(rejects.filter((m) => m.from === id).length <= 1, `node ${id} rejected more than once`);
  }
  for (const id of net.ids()) assert.equal(net.get(id).node.status().commit, 11);
});

// ---- §5.4 safety ------------------------------------------------------------------------------

test('§5.4.1 a voter denies its vote to a candidate whose log is less up to date', () => {
  // Voter's log: 1/1 2/2 3/2. Candidate (lastIndex, lastTerm) -> granted?
  const cases: [number, number, boolean][] = [
    [3, 2, true], [4, 2, true], [2, 2, false], [9, 1, false], [1, 3, true], [0, 0, false],
  ];
  for (const [index, logTerm, want] of cases) {
    const s = solo(1, [1, 2, 3], [1, 2, 2], 2);
    s.node.step(msg({ type: 'vote', from: 2, to: 1, term: 3, index, logTerm }));
    const resp = drain(s).find((m) => m.type === 'voteResp')!;
    assert.equal(!resp.reject, want, `${index}/${logTerm}`);
  }
});

test('§5.4 leader completeness: a node missing a committed entry cannot win an election', () => {
  const net = new Network([1, 2, 3, 4, 5]);
  net.elect(1);
  net.isolate(4);
  net.isolate(5);
  net.propose(1, 'committed');
  net.stabilize();
  net.heal();
  net.isolate(1);
  net.campaign(4); // 4's log lacks the entry: 2 and 3 refuse
  net.stabilize();
  assert.notEqual(net.get(4).node.status().softState.role, 'leader');
  net.campaign(2);
  net.stabilize();
  assert.equal(net.leader(), 2);
  net.propose(2, 'next');
  net.stabilize();
  for (const id of [2, 3, 4, 5]) assert.deepEqual(net.appliedData(id), ['committed', 'next']);
});

test('§5.4.2 Figure 8: a leader does not commit an old-term entry by counting replicas', () => {
  // Figure 8(c): node 1 leads term 4 with 2/2 from term 2 in its log; 2 and 3 also store it.
  const s = solo(1, [1, 2, 3, 4, 5], [1, 2], 3);
  s.node.campaign();
  s.node.step(msg({ type: 'voteResp', from: 2, to: 1, term: 4 }));
  s.node.step(msg({ type: 'voteResp', from: 3, to: 1, term: 4 }));
  assert.equal(s.node.status().softState.role, 'leader');
  drain(s); // the leader stores its empty entry 3/4
  s.node.step(msg({ type: 'appResp', from: 2, to: 1, term: 4, index: 2 }));
  s.node.step(msg({ type: 'appResp', from: 3, to: 1, term: 4, index: 2 }));
  drain(s);
  assert.equal(s.node.status().commit, 0, '2/2 is on a majority but must not be committed');
  s.node.step(msg({ type: 'appResp', from: 2, to: 1, term: 4, index: 3 }));
  drain(s);
  assert.equal(s.node.status().commit, 0, 'majority at index 2 only');
  s.node.step(msg({ type: 'appResp', from: 3, to: 1, term: 4, index: 3 }));
  drain(s);
  assert.equal(s.node.status().commit, 3, 'the term-4 entry on a majority commits both');
});

test('§5.4.2 Figure 8(d): an old-term entry stored on a majority can still be overwritten', () => {
  // Why the rule matters: 2/2 sits on nodes 1-3, yet node 5 (last entry 2/3) can win with
  // votes from 2, 3 and 4 and replace it. Had node 1 committed 2/2, this would lose it.
  const net = networkWithLogs({ 1: [1, 2], 2: [1, 2], 3: [1, 2], 4: [1], 5: [1, 3] },
    { 1: 4, 2: 4, 3: 4, 4: 4, 5: 4 });
  net.isolate(1);
  net.elect(5);
  assert.equal(net.leader(), 5);
  for (const id of [2, 3, 4, 5]) assert.equal(net.logTerms(id), '1/1 2/3 3/5');
});

test('§5.4.3 state machine safety: all nodes apply the same entries in the same order', () => {
  const net = new Network([1, 2, 3], { seed: 9 });
  net.elect(1);
  net.propose(1, 'a');
  net.stabilize();
  net.isolate(1);
  net.propose(1, 'lost'); // never committed: 1 is cut off
  net.processReadys();
  net.campaign(2);
  net.stabilize();
  net.propose(2, 'b');
  net.stabilize();
  net.heal();
  net.tick(2);
  net.stabilize();
  for (const id of [1, 2, 3]) assert.deepEqual(net.appliedData(id), ['a', 'b'], `node ${id}`);
});
