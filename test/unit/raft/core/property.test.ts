// Randomized runs over the in-memory network with a seeded rng: messages are dropped, duplicated
// and reordered, links cut and healed, nodes restarted and logs compacted; after every step the
// safety properties of Raft §5 are checked. A failure names its seed for replay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRng, type Rng } from '../../../../raft/core/rng.js';
import type { Entry, Message, NodeId } from '../../../../raft/core/types.js';
import { Network, dec, enc } from './network.js';

interface RunResult {
  readonly leaders: number;
  readonly committed: number;
  readonly snapshots: number;
  readonly confChanges: number;
}

class SafetyChecker {
  /** term -> the one leader of that term. */
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** index -> "term:data" of the entry committed there (from any node's applied entries). */
  readonly committed = new Map<number, string>();
  private readonly appliedCount = new Map<NodeId, number>();
  private readonly lastCommit = new Map<NodeId, number>();
  /** leader id -> [term, lastIndex when last checked] for the append-only check. */
  private readonly leaderLog = new Map<NodeId, { term: number; index: number; entryTerm: number }>();

  constructor(private readonly net: Network, private readonly seed: number) {}

  private fail(what: string): never {
    assert.fail(`SEED=${this.seed}: ${what}`);
  }

  check(): void {
    for (const id of this.net.ids()) {
      const n = this.net.get(id);
      const st = n.node.status();
      this.checkElectionSafety(id, st.softState.role, st.hardState.term);
      this.checkApplied(id, n.applied);
      const prev = this.lastCommit.get(id) ?? 0;
      if (st.commit < prev) this.fail(`node ${id} commit went back ${prev} -> ${st.commit}`);
      this.lastCommit.set(id, st.commit);
      if (st.softState.role === 'leader') this.checkLeaderAppendOnly(id, st.hardState.term);
      else this.leaderLog.delete(id);
    }
  }

  private checkElectionSafety(id: NodeId, role: string, term: number): void {
    if (role !== 'leader') return;
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== id) this.fail(`two leaders in term ${term}: ${other} and ${id}`);
    this.leaderOfTerm.set(term, id);
  }

  private checkApplied(id: NodeId, applied: readonly Entry[]): void {
    const from = this.appliedCount.get(id) ?? 0;
    for (let k = from; k < applied.length; k++) {
      const e = applied[k]!;
      const key = `${e.term}:${dec(e.data)}`;
      const seen = this.committed.get(e.index);
      if (seen !== undefined && seen !== key) this.fail(`node ${id} applied ${key} at ${e.index}, another applied ${seen}`);
      this.committed.set(e.index, key);
    }
    this.appliedCount.set(id, applied.length);
  }

  /** Leader append-only: while a node leads a term, the entry it had at its last index keeps
   *  its term (nothing of its log is overwritten or truncated). */
  private checkLeaderAppendOnly(id: NodeId, term: number): void {
    const s = this.net.get(id).storage;
    const last = s.lastIndex();
    const rec = this.leaderLog.get(id);
    if (rec !== undefined && rec.term === term && rec.index >= s.firstIndex()) {
      if (last < rec.index || s.term(rec.index) !== rec.entryTerm) this.fail(`leader ${id} lost entry ${rec.index}`);
    }
    if (last >= s.firstIndex() - 1) this.leaderLog.set(id, { term, index: last, entryTerm: s.term(last) });
  }

  /** Leader completeness: a leader's stored log holds every entry known committed. */
  checkLeaderCompleteness(id: NodeId): void {
    const s = this.net.get(id).storage;
    for (const [index, key] of this.committed) {
      if (index < s.firstIndex()) continue;
      if (index > s.lastIndex()) this.fail(`leader ${id} lacks committed index ${index}`);
      if (String(s.term(index)) !== key.slice(0, key.indexOf(':'))) this.fail(`leader ${id} has another entry at committed ${index}`);
    }
  }

  /** Log matching: two logs with the same term at an index agree on every entry before it. */
  checkLogMatching(): void {
    const ids = this.net.ids();
    for (let a = 0; a < ids.length; a++) {
      for (let b = a + 1; b < ids.length; b++) {
        const sa = this.net.get(ids[a]!).storage;
        const sb = this.net.get(ids[b]!).storage;
        const lo = Math.max(sa.firstIndex(), sb.firstIndex());
        const hi = Math.min(sa.lastIndex(), sb.lastIndex());
        let matched = false;
        for (let i = hi; i >= lo; i--) {
          const same = sa.term(i) === sb.term(i);
          if (matched && !same) this.fail(`logs of ${ids[a]} and ${ids[b]} match at a later index but differ at ${i}`);
          if (same) matched = true;
        }
      }
    }
  }
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.intBelow(items.length)]!;
}

function chance(rng: Rng, percent: number): boolean {
  return rng.intBelow(1000) < percent * 10;
}

/** The leader demotes a voter to learner or promotes a learner back (never reusing ids of
 *  removed nodes, which raft does not allow). */
function changeMembership(net: Network, rng: Rng, id: NodeId): void {
  const leader = net.leader();
  if (leader === null) return;
  const cs = net.get(leader).node.status().confState;
  const type = cs.learners.includes(id) ? 'addNode' : 'addLearner';
  try {
    net.get(leader).node.proposeConfChange({ type, nodeId: id, context: new Uint8Array(0) });
  } catch {
    // pending change, transfer under way, or it would leave no voter: fine
  }
  if (rng.intBelow(2) === 0) net.processReady(leader);
}

/** One randomized run; throws on any safety violation, and checks liveness after healing. */
function runRandomCluster(seed: number, size: number, steps: number): RunResult {
  const rng = seededRng(seed);
  const ids = Array.from({ length: size }, (_, i) => i + 1);
  const net = new Network(ids, {
    seed,
    preVote: chance(rng, 50),
    checkQuorum: chance(rng, 50),
    maxInflightMsgs: 1 + rng.intBelow(8),
    maxSizePerMsg: pick(rng, [0, 8, 64, 1 << 20]),
    electionTick: 10,
    heartbeatTick: 1 + rng.intBelow(3),
  });
  // Swarm testing: each seed draws its own fault rates (percent).
  const dropPct = pick(rng, [1, 5, 15, 30]);
  const dupPct = pick(rng, [0, 2, 10]);
  const reorderWindow = pick(rng, [1, 4, 16]);
  const checker = new SafetyChecker(net, seed);
  let proposals = 0;
  let leaders = 0;

  const deliverOne = (): void => {
    if (net.queue.length === 0) return;
    const k = rng.intBelow(Math.min(net.queue.length, reorderWindow));
    const [m] = net.queue.splice(k, 1) as [Message];
    if (chance(rng, dropPct)) return;
    if (chance(rng, dupPct)) net.queue.push(m);
    if (!net.blocked(m)) net.get(m.to).node.step(m);
  };

  // (leader, term) pairs seen; completeness is checked once the new leader's log is stored.
  const seenLeaders = new Set<string>();
  const processOne = (id: NodeId): void => {
    net.processReady(id);
    if (net.role(id) !== 'leader') return;
    const key = `${id}@${net.term(id)}`;
    if (seenLeaders.has(key)) return;
    seenLeaders.add(key);
    leaders++;
    checker.checkLeaderCompleteness(id);
  };

  for (let step = 0; step < steps; step++) {
    const roll = rng.intBelow(1000);
    const id = pick(rng, ids);
    if (roll < 450) deliverOne();
    else if (roll < 700) processOne(id);
    else if (roll < 850) net.tick(id);
    else if (roll < 950) {
      const leader = net.leader();
      if (leader !== null) {
        try {
          net.get(leader).node.propose(enc(`p${seed}-${proposals++}`));
        } catch {
          // dropped (transfer under way or uncommitted limit): fine
        }
      }
    } else if (roll < 962) {
      if (chance(rng, 50)) net.isolate(id);
      else net.cut(id, pick(rng, ids));
    } else if (roll < 980) net.heal();
    else if (roll < 985) {
      processOne(id);
      net.restart(id);
    } else if (roll < 995) {
      const n = net.get(id);
      const applied = n.node.status().applied;
      if (applied > n.storage.firstIndex()) net.compact(id, applied - rng.intBelow(3));
    } else if (roll < 997) {
      const leader = net.leader();
      if (leader !== null) net.get(leader).node.transferLeader(pick(rng, ids));
    } else {
      changeMembership(net, rng, id);
    }
    checker.check();
    if (step % 200 === 0) checker.checkLogMatching();
  }

  // Liveness: heal everything; a leader must emerge and commit a marker within bounded time.
  net.heal();
  const marker = `marker-${seed}`;
  let done = false;
  for (let round = 0; round < 400 && !done; round++) {
    net.tickAll();
    net.stabilize();
    for (const nid of ids) processOne(nid);
    checker.check();
    const leader = net.leader();
    if (leader !== null && round % 10 === 0) {
      try {
        net.get(leader).node.propose(enc(marker));
      } catch {
        // transfer under way: retry later
      }
    }
    done = ids.every((nid) => net.appliedData(nid).includes(marker));
  }
  if (!done && process.env['RAFT_PROPERTY_DEBUG'] !== undefined) {
    for (const nid of ids) console.log(JSON.stringify(net.get(nid).node.status()), net.appliedData(nid).slice(-3));
  }
  assert.ok(done, `SEED=${seed}: no progress after healing`);
  checker.checkLogMatching();
  const snapshots = ids.reduce((n, nid) => n + net.get(nid).snapshots.length, 0);
  const confChanges = net.get(1).applied.filter((e) => e.type === 'confChange').length;
  return { leaders, committed: checker.committed.size, snapshots, confChanges };
}

// More seeds locally: RAFT_PROPERTY_SEEDS=500 node --import tsx --test test/unit/raft/core/property.test.ts
const SEEDS = Number(process.env['RAFT_PROPERTY_SEEDS'] ?? 40);

for (const size of [3, 5]) {
  test(`property: ${size} nodes under drops, reorders, partitions, restarts, compaction and membership changes stay safe and live`, () => {
    let leaders = 0;
    let committed = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = runRandomCluster(seed * 101 + size, size, 3000);
      leaders += r.leaders;
      committed += r.committed;
    }
    // The runs exercised something: elections happened and entries were committed.
    assert.ok(leaders > SEEDS, `only ${leaders} elections`);
    assert.ok(committed > SEEDS * 20, `only ${committed} entries committed`);
  });
}
