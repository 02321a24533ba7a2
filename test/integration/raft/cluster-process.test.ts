// Three raft nodes as separate OS processes (raft-process.ts: LevelDB, TcpTransport on loopback,
// RaftNode), driven over their stdin/stdout. One cluster goes through the phases in order, under
// a steady stream of proposals sent to whichever node leads (following NotLeader hints):
//   1. SIGKILL the leader: a new leader within the election timeout + 2 s (measured);
//   2. SIGKILL the other two, restart all three from their data dirs: every acknowledged payload
//      is in every node's committed log, at its acknowledged index, exactly once;
//   3. remove a follower: its log stops growing while the others' grows;
//   4. a 4th process joins as a learner, catches up to the leader's commit index, is promoted, and
//      counts for quorum (with one original voter killed, commits still succeed).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../../raft/core/types.js';
import { RaftProcess, RequestError, type Dump, type LeaderEvent } from './raft-process-client.js';

const HEARTBEAT_MS = 50;
const ELECTION_MS = 500;
const ENTRY_BYTES = 1024;
const CONCURRENCY = 8;
/** "Elected within 2 s of the election timeout". */
const FAILOVER_BOUND_MS = ELECTION_MS + 2000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!(await pred())) {
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A free port below the kernel's ephemeral range: a restarted node listens on its old port
 *  again, and a port from the ephemeral range could meanwhile be taken by some outgoing
 *  connection (the other nodes keep reconnecting to it). */
async function stablePort(): Promise<number> {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: keep the usual default
  }
  for (let attempt = 0; ; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * Math.max(1, low - 10_000));
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
    if (attempt > 50) throw new Error('no free port below the ephemeral range');
  }
}

/** The processes, and who leads as their leaderChanged events (and NotLeader hints) tell. */
class Cluster {
  readonly procs = new Map<NodeId, RaftProcess>();
  readonly addresses = new Map<NodeId, string>();
  leader: NodeId = 0;
  term = 0;
  readonly leaderEvents: LeaderEvent[] = [];

  constructor(readonly root: string) {}

  dir(id: NodeId): string {
    return join(this.root, `n${id}`);
  }

  /** Spawns node `id` (on its old port when it had one) and starts its RaftNode. */
  async spawn(id: NodeId, initial: ReadonlyMap<NodeId, string> | null, join = false): Promise<RaftProcess> {
    const p = await RaftProcess.spawn(id, this.dir(id), this.addresses.get(id) ?? `127.0.0.1:${await stablePort()}`);
    this.procs.set(id, p);
    this.addresses.set(id, p.address);
    p.onLeader = (e) => this.noteLeader(e);
    p.onStopped = (error) => {
      if (error !== null) this.failures.push(`node ${id} stopped: ${error}`);
    };
    if (initial !== null) await this.startNode(id, initial, join);
    return p;
  }

  async startNode(id: NodeId, peers: ReadonlyMap<NodeId, string>, join = false): Promise<void> {
    await this.procs.get(id)!.start({
      peers, knownPeers: this.addresses, join, heartbeatIntervalMs: HEARTBEAT_MS, electionTimeoutMs: ELECTION_MS,
    });
  }

  /** Fatal stops reported by any node (a persist, apply or core failure is a bug here). */
  readonly failures: string[] = [];

  private noteLeader(e: LeaderEvent): void {
    this.leaderEvents.push(e);
    if (e.term > this.term || (e.term === this.term && e.leader !== 0)) {
      this.term = e.term;
      this.leader = e.leader;
    }
  }

  /** A NotLeader hint (no term): trusted until an event says otherwise. */
  hint(leader: NodeId): void {
    if (leader !== 0) this.leader = leader;
  }

  leaderProc(): RaftProcess | undefined {
    const p = this.procs.get(this.leader);
    return p?.alive === true ? p : undefined;
  }

  alive(): RaftProcess[] {
    return [...this.procs.values()].filter((p) => p.alive);
  }

  /** Runs a membership change at the leader, following hints through leader changes. */
  async membership(op: 'addLearner' | 'addVoter' | 'removeMember', node: NodeId, address = ''): Promise<number> {
    const until = performance.now() + 10_000;
    for (;;) {
      const p = this.leaderProc();
      try {
        if (p !== undefined) return await p.membership(op, node, address);
      } catch (err) {
        const e = err as RequestError;
        if (performance.now() > until || !['RAFT_NOT_LEADER', 'RAFT_PROPOSAL_DROPPED', 'RAFT_LEADERSHIP_LOST', 'PROCESS_EXITED'].includes(e.code)) throw err;
        this.hint(e.leader);
      }
      if (performance.now() > until) throw new Error(`${op} ${node}: no leader took it`);
      await sleep(20);
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.stop(5000)));
  }

  logs(): string {
    return [...this.procs.values()].map((p) => `--- node ${p.id} (stderr tail)\n${p.logTail()}`).join('\n');
  }
}

/** A closed loop of proposers, like a client that knows only the node addresses: they send to
 *  their current guess, follow a NotLeader hint, and move on to another live node when the guess
 *  has died or knows no leader. Every proposal carries a new sequence number (never resent), so a
 *  payload may appear at most once in the log; `acked` maps the acknowledged ones to their index. */
class Load {
  readonly acked = new Map<number, number>();
  readonly errors = new Map<string, number>();
  hintsFollowed = 0;
  private target: NodeId = 0;
  private nextPick = 0;
  private running = true;
  private readonly workers: Promise<void>[];
  private seq: number;

  constructor(private readonly cluster: Cluster, firstSeq: number, firstTarget: NodeId = 0, concurrency = CONCURRENCY) {
    this.seq = firstSeq;
    this.target = firstTarget;
    this.workers = Array.from({ length: concurrency }, () => this.worker());
  }

  private pick(): RaftProcess | undefined {
    const current = this.cluster.procs.get(this.target);
    if (current?.alive === true) return current;
    const alive = this.cluster.alive();
    if (alive.length === 0) return undefined;
    const p = alive[this.nextPick++ % alive.length]!;
    this.target = p.id;
    return p;
  }

  private async worker(): Promise<void> {
    while (this.running) {
      const target = this.pick();
      if (target === undefined) {
        await sleep(10);
        continue;
      }
      const seq = this.seq++;
      try {
        this.acked.set(seq, await target.propose(seq, ENTRY_BYTES));
      } catch (err) {
        const e = err as RequestError;
        this.errors.set(e.code, (this.errors.get(e.code) ?? 0) + 1);
        if (this.target === target.id) {
          if (e.code === 'RAFT_NOT_LEADER' && e.leader !== 0 && e.leader !== target.id) {
            this.target = e.leader;
            this.hintsFollowed++;
          } else if (e.code !== 'RAFT_LEADERSHIP_LOST') {
            this.target = 0; // dead, or knows no leader: try another node
          }
        }
        // A hint to a live node is tried at once; a dead or unknown leader means an election is on.
        await sleep(this.cluster.procs.get(this.target)?.alive === true && e.code === 'RAFT_NOT_LEADER' ? 1 : 10);
      }
    }
  }

  get count(): number {
    return this.acked.size;
  }

  maxIndex(): number {
    return Math.max(0, ...this.acked.values());
  }

  async waitAcked(n: number, what: string, timeoutMs = 10_000): Promise<void> {
    await waitFor(`${what} (${n} acknowledged proposals, have ${this.count})`, () => this.count >= n, timeoutMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }
}

/** Checks one node's committed log: contiguous, no corrupt payload, every payload at most once,
 *  and every acknowledged proposal with index <= upTo at exactly its acknowledged index. */
function checkLog(who: string, dump: Dump, acked: ReadonlyMap<number, number>, upTo: number): void {
  const indexOfSeq = new Map<number, number>();
  dump.entries.forEach(([index, , kind, seq], k) => {
    assert.equal(index, dump.firstIndex + k, `${who}: the log is not contiguous at ${dump.firstIndex + k}`);
    assert.notEqual(kind, 'x', `${who}: entry ${index} holds a payload nobody proposed`);
    if (kind !== 'n') return;
    assert.ok(!indexOfSeq.has(seq), `${who}: payload ${seq} appears twice (${indexOfSeq.get(seq)} and ${index})`);
    indexOfSeq.set(seq, index);
  });
  let checked = 0;
  for (const [seq, index] of acked) {
    if (index > upTo || index < dump.firstIndex) continue;
    assert.equal(indexOfSeq.get(seq), index, `${who}: acknowledged payload ${seq} (index ${index}) is at ${indexOfSeq.get(seq) ?? 'no index'}`);
    checked++;
  }
  assert.ok(checked > 0, `${who}: no acknowledged entry to check`);
}

/** Two committed logs agree wherever both have entries. */
function checkSameLog(a: { who: string; dump: Dump }, b: { who: string; dump: Dump }): void {
  const at = new Map(a.dump.entries.map((e) => [e[0], e]));
  let common = 0;
  for (const e of b.dump.entries) {
    const other = at.get(e[0]);
    if (other === undefined) continue;
    assert.deepEqual(e, other, `${a.who} and ${b.who} differ at index ${e[0]}`);
    common++;
  }
  assert.ok(common > 0, `${a.who} and ${b.who} share no committed index`);
}

async function appliedAtLeast(p: RaftProcess, index: number): Promise<boolean> {
  return (await p.status()).appliedIndex >= index;
}

test('raft nodes as separate processes: failover, restart from disk, removal and a promoted learner', { timeout: 60_000 }, async (t) => {
  const cluster = new Cluster(mkdtempSync(join(tmpdir(), 'binrelay-raft-proc-')));
  const allAcked = new Map<number, number>();
  let failed = false;
  const phase = async (name: string, fn: (t: TestContext) => Promise<void>): Promise<void> => {
    await t.test(name, { skip: failed ? 'an earlier phase failed' : false }, async (st) => {
      const t0 = performance.now();
      try {
        await fn(st);
        assert.deepEqual(cluster.failures, [], 'a node stopped on a fatal error');
      } catch (err) {
        failed = true;
        st.diagnostic(cluster.logs());
        throw err;
      } finally {
        st.diagnostic(`phase took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    });
  };
  let load: Load | null = null;
  const stopLoad = async (): Promise<Load> => {
    const l = load!;
    await l.stop();
    for (const [seq, index] of l.acked) allAcked.set(seq, index);
    load = null;
    return l;
  };

  try {
    await phase('three processes elect a leader and commit a steady stream of proposals', async (st) => {
      const procs = await Promise.all([1, 2, 3].map((id) => cluster.spawn(id, null)));
      const peers = new Map(procs.map((p) => [p.id, p.address]));
      await Promise.all(procs.map((p) => cluster.startNode(p.id, peers)));
      await waitFor('a leader', () => cluster.leaderProc() !== undefined);
      const follower = procs.find((p) => p.id !== cluster.leader)!;
      await waitFor(`node ${follower.id} to know the leader`, async () => (await follower.status()).leader === cluster.leader);
      load = new Load(cluster, 1, follower.id); // starts at a follower: it must follow the hint
      await load.waitAcked(300, 'load on the first leader');
      st.diagnostic(`leader ${cluster.leader} (term ${cluster.term}); ${load.count} acknowledged; NotLeader hints followed ${load.hintsFollowed}`);
      assert.ok(load.hintsFollowed >= 1, 'the load reached the leader through a NotLeader hint');
    });

    await phase('after SIGKILL of the leader a new leader is elected within 2 s of the election timeout', async (st) => {
      const old = cluster.leaderProc()!;
      const oldTerm = cluster.term;
      const since = cluster.leaderEvents.length;
      const killedAt = performance.now();
      await old.kill();
      await waitFor('a new leader', () => cluster.leaderEvents.slice(since).some((e) => e.role === 'leader' && e.term > oldTerm), FAILOVER_BOUND_MS + 3000, 5);
      const elected = cluster.leaderEvents.slice(since).find((e) => e.role === 'leader' && e.term > oldTerm)!;
      const ms = elected.at - killedAt;
      st.diagnostic(`node ${old.id} killed; node ${elected.node} leads term ${elected.term} after ${ms.toFixed(0)} ms (election timeout ${ELECTION_MS} ms)`);
      assert.notEqual(elected.node, old.id);
      assert.ok(ms <= FAILOVER_BOUND_MS, `new leader after ${ms.toFixed(0)} ms > ${FAILOVER_BOUND_MS} ms`);
      const before = load!.count;
      await load!.waitAcked(before + 1, 'the first commit on the new leader');
      st.diagnostic(`the load's first commit after the kill came ${(performance.now() - killedAt).toFixed(0)} ms after it`);
      await load!.waitAcked(before + 200, 'load on the new leader');
    });

    await phase('no acknowledged entry is lost when every node is killed and restarted from its data dir', async (st) => {
      for (const p of cluster.alive()) await p.kill(); // under load: in-flight proposals stay unacknowledged
      const l = await stopLoad();
      const maxIndex = l.maxIndex();
      st.diagnostic(`${allAcked.size} acknowledged up to index ${maxIndex}; errors ${JSON.stringify(Object.fromEntries(l.errors))}, hints followed ${l.hintsFollowed}`);
      const peers = new Map([1, 2, 3].map((id) => [id, cluster.addresses.get(id)!]));
      cluster.leader = 0;
      await Promise.all([1, 2, 3].map((id) => cluster.spawn(id, peers)));
      await waitFor('a leader after the restart', () => cluster.leaderProc() !== undefined);
      for (const p of cluster.alive()) await waitFor(`node ${p.id} to apply ${maxIndex}`, () => appliedAtLeast(p, maxIndex));
      const dumps = await Promise.all(cluster.alive().map(async (p) => ({ who: `node ${p.id}`, dump: await p.dump() })));
      for (const d of dumps) checkLog(d.who, d.dump, allAcked, Infinity);
      checkSameLog(dumps[0]!, dumps[1]!);
      checkSameLog(dumps[0]!, dumps[2]!);
      st.diagnostic(`all ${allAcked.size} acknowledged payloads found once, at their index, on nodes 1-3 (commit ${dumps.map((d) => d.dump.commitIndex).join('/')})`);
    });

    await phase('a removed node stops receiving entries while the others continue', async (st) => {
      load = new Load(cluster, 1_000_000);
      await load.waitAcked(100, 'load after the restart');
      const leader = cluster.leaderProc()!;
      const removed = cluster.alive().find((p) => p.id !== leader.id)!;
      await cluster.membership('removeMember', removed.id);
      await sleep(300); // appends already on the wire may still land
      const frozen = (await removed.status()).lastIndex;
      await load.waitAcked(load.count + 300, 'load after the removal');
      await sleep(4 * HEARTBEAT_MS);
      const after = (await removed.status()).lastIndex;
      const others = await Promise.all(cluster.alive().filter((p) => p !== removed).map(async (p) => (await p.status()).lastIndex));
      st.diagnostic(`node ${removed.id} removed: last index ${frozen} → ${after}; others at ${others.join('/')}`);
      assert.equal(after, frozen, `the removed node's log grew from ${frozen} to ${after}`);
      for (const last of others) assert.ok(last >= frozen + 200, `a member's log did not grow past ${frozen} (${last})`);
      const leaderStatus = await cluster.leaderProc()!.status();
      assert.ok(!leaderStatus.confState.voters.includes(removed.id) && !leaderStatus.confState.learners.includes(removed.id));
      await removed.stop();
    });

    await phase('a joining learner catches up, is promoted to voter and then counts for quorum', async (st) => {
      const joiner = await cluster.spawn(4, null);
      await cluster.startNode(4, new Map([...cluster.addresses]), true);
      const t0 = performance.now();
      await cluster.membership('addLearner', 4, joiner.address);
      const target = (await cluster.leaderProc()!.status()).commitIndex;
      await waitFor(`the learner to apply the leader's commit index ${target}`, () => appliedAtLeast(joiner, target), 15_000);
      const learnerStatus = await joiner.status();
      assert.ok(learnerStatus.confState.learners.includes(4), 'node 4 is a learner');
      st.diagnostic(`learner caught up to ${target} in ${(performance.now() - t0).toFixed(0)} ms (under load)`);

      await cluster.membership('addVoter', 4, joiner.address);
      const leader = cluster.leaderProc()!;
      const conf = (await leader.status()).confState;
      assert.ok(conf.voters.includes(4) && !conf.learners.includes(4), `node 4 is a voter (${JSON.stringify(conf)})`);
      assert.equal(conf.voters.length, 3);
      const other = cluster.alive().find((p) => p.id !== leader.id && p.id !== 4)!;
      await other.kill(); // voters {leader, other, 4}: from now on a commit needs node 4
      const before = load!.count;
      await load!.waitAcked(before + 200, 'commits with node 4 as the second vote of three');
      const l = await stopLoad();
      st.diagnostic(`node ${other.id} killed; ${l.count - before} more commits with voters ${JSON.stringify(conf.voters)}`);

      const maxIndex = l.maxIndex();
      await waitFor('node 4 to apply everything acknowledged', () => appliedAtLeast(joiner, maxIndex));
      const a = { who: `leader ${leader.id}`, dump: await leader.dump() };
      const b = { who: 'node 4', dump: await joiner.dump() };
      checkLog(a.who, a.dump, allAcked, Infinity);
      checkLog(b.who, b.dump, allAcked, Infinity);
      checkSameLog(a, b);
      assert.equal(b.dump.firstIndex, 1, 'the learner received the whole log');
    });
  } finally {
    await (load as Load | null)?.stop(); // set inside the phases (TypeScript narrows it to null here)
    await cluster.stopAll();
    rmSync(cluster.root, { recursive: true, force: true });
  }
});

test('large entries with many in flight (a Ready hands out only part of what is committed): no node stops, every entry applied once, in order', { timeout: 60_000 }, async () => {
  const cluster = new Cluster(mkdtempSync(join(tmpdir(), 'binrelay-raft-proc-')));
  try {
    const peers = new Map<NodeId, string>();
    for (const id of [1, 2, 3]) peers.set(id, `127.0.0.1:${await stablePort()}`);
    for (const id of [1, 2, 3]) cluster.addresses.set(id, peers.get(id)!);
    await Promise.all([1, 2, 3].map((id) => cluster.spawn(id, peers)));
    await waitFor('a leader', () => cluster.leaderProc() !== undefined);
    // 64 KiB entries, 64 in flight, proposals made as earlier ones resolve: a commit covers more
    // than one Ready hands out (1 MiB), and inputs arrive while a Ready's entries wait to apply.
    const r = await cluster.leaderProc()!.load(64 * 1024, 64, 2000, 1);
    assert.deepEqual(cluster.failures, [], `a node stopped on a fatal error\n${cluster.logs()}`);
    assert.equal(r.errors, 0, `proposals failed: ${r.firstError}`);
    assert.ok(r.count > 0, 'something committed');
    const target = (await cluster.leaderProc()!.status()).commitIndex;
    for (const p of cluster.alive()) await waitFor(`node ${p.id} to apply up to ${target}`, () => appliedAtLeast(p, target));
  } finally {
    await cluster.stopAll();
    rmSync(cluster.root, { recursive: true, force: true });
  }
});
