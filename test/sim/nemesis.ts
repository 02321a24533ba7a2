// The nemesis: faults and operator actions at random times, under load.
//   node faults     crash (power loss: unsynced writes may go) with a later restart; pauses
//   network faults  partitions (isolate one, split halves, one-way link), later healed;
//                   changes of loss / duplication / reordering / delay
//   operations      add a learner (a fresh node that joins), promote a learner, remove a
//                   member, transfer leadership, compact a node's log (followers that need
//                   compacted entries then get snapshot metadata)
// Fsync errors are a disk setting (DiskFaults.fsyncErrorProbability): the node stops itself and
// the cluster restarts it. calm() ends every fault for the liveness phase.
import type { NodeId } from '../../raft/core/types.js';
import type { RaftNode } from '../../raft/node.js';
import type { SimCluster, SimNode } from './cluster.js';
import type { SimRandom } from './prng.js';
import { QUIET_NETWORK, type NetworkFaults } from './sim-network.js';

export type NemesisAction = 'crash' | 'pause' | 'partition' | 'network' | 'membership' | 'transfer' | 'compact';

export interface NemesisConfig {
  readonly meanIntervalMs: number;
  /** Relative weights of the actions (0 disables one). */
  readonly weights: Readonly<Record<NemesisAction, number>>;
  readonly restartMeanMs: number;
  readonly partitionMeanMs: number;
  readonly pauseMaxMs: number;
  /** Voter count bounds kept by membership changes. */
  readonly minVoters: number;
  readonly maxVoters: number;
  readonly maxLearners: number;
}

const ACTIONS: readonly NemesisAction[] = ['crash', 'pause', 'partition', 'network', 'membership', 'transfer', 'compact'];

export class Nemesis {
  private active = false;
  /** Operations that took effect (committed / completed). */
  readonly done = { membership: 0, transfer: 0, compact: 0 };
  readonly counts: Record<NemesisAction, number> = {
    crash: 0, pause: 0, partition: 0, network: 0, membership: 0, transfer: 0, compact: 0,
  };

  constructor(
    private readonly cluster: SimCluster,
    private readonly rand: SimRandom,
    private readonly config: NemesisConfig,
  ) {}

  start(): void {
    this.active = true;
    this.scheduleNext();
  }

  /** Stops injecting; heals the network, ends disk errors and restarts every down node. */
  calm(): void {
    this.active = false;
    const c = this.cluster;
    c.net.heal();
    c.net.setFaults(QUIET_NETWORK);
    for (const n of c.allNodes) n.store.setFaults({ ...n.store.currentFaults, fsyncErrorProbability: 0 });
    for (const n of c.allNodes) if (n.state === 'down') c.start(n);
    c.note('NEMESIS CALM: network healed, faults off, every node restarted');
  }

  private scheduleNext(): void {
    if (!this.active) return;
    this.cluster.sched.after(this.rand.exponential(this.config.meanIntervalMs), 'nemesis', () => {
      if (!this.active) return;
      this.act(this.pickAction());
      this.scheduleNext();
    });
  }

  private pickAction(): NemesisAction {
    const total = ACTIONS.reduce((s, a) => s + this.config.weights[a], 0);
    let x = this.rand.float() * total;
    for (const a of ACTIONS) {
      x -= this.config.weights[a];
      if (x < 0) return a;
    }
    return 'pause';
  }

  private act(action: NemesisAction): void {
    this.counts[action]++;
    switch (action) {
      case 'crash': return this.crashOne();
      case 'pause': return this.pauseOne();
      case 'partition': return this.partition();
      case 'network': return this.networkKnobs();
      case 'membership': return this.membership();
      case 'transfer': return this.transfer();
      case 'compact': return this.compact();
    }
  }

  private crashOne(): void {
    const c = this.cluster;
    const members = c.allNodes.filter((n) => n.state !== 'removed');
    const down = members.filter((n) => n.state === 'down').length;
    // Usually keep a majority up; sometimes take more down (progress stalls, safety must hold).
    if (down + 1 > Math.floor((members.length - 1) / 2) && !this.rand.chance(0.15)) return;
    const candidates = members.filter((n) => n.state === 'up' || n.state === 'starting');
    if (candidates.length === 0) return;
    const leader = c.leader();
    const node = leader !== null && this.rand.chance(0.4) ? leader : this.rand.pick(candidates);
    c.crash(node, 'nemesis');
    const delay = 5 + this.rand.exponential(this.config.restartMeanMs);
    c.sched.after(delay, `restart n${node.id}`, () => {
      if (this.active && node.state === 'down') c.start(node);
    });
  }

  private pauseOne(): void {
    const live = this.cluster.liveNodes;
    if (live.length === 0) return;
    this.cluster.pause(this.rand.pick(live), this.rand.between(10, this.config.pauseMaxMs));
  }

  private partition(): void {
    const c = this.cluster;
    const ids = c.allNodes.filter((n) => n.state !== 'removed').map((n) => n.id);
    if (ids.length < 2) return;
    const kind = this.rand.intBelow(3);
    if (kind === 0) {
      const leader = c.leader();
      const victim = leader !== null && this.rand.chance(0.5) ? leader.id : this.rand.pick(ids);
      c.net.isolate(victim, ids);
      c.note(`PARTITION isolate n${victim}`);
    } else if (kind === 1) {
      const shuffled = this.rand.shuffle(ids);
      const cut = 1 + this.rand.intBelow(shuffled.length - 1);
      const a = shuffled.slice(0, cut).sort((x, y) => x - y);
      const b = shuffled.slice(cut).sort((x, y) => x - y);
      c.net.split(a, b);
      c.note(`PARTITION split [${a.join(',')}] | [${b.join(',')}]`);
    } else {
      const [from, to] = this.rand.shuffle(ids) as [NodeId, NodeId];
      c.net.oneWay(from, to);
      c.note(`PARTITION one-way n${from} -/-> n${to}`);
    }
    c.sched.after(this.rand.exponential(this.config.partitionMeanMs), 'heal', () => {
      if (!this.active) return;
      c.net.heal();
      c.note('HEAL network');
    });
  }

  private networkKnobs(): void {
    const r = this.rand;
    const faults: NetworkFaults = {
      delayMinMs: r.between(0.1, 2),
      delayMeanMs: r.between(0.2, 8),
      lossProbability: r.chance(0.5) ? 0 : r.between(0, 0.15),
      duplicateProbability: r.chance(0.5) ? 0 : r.between(0, 0.1),
      reorderProbability: r.chance(0.5) ? 0 : r.between(0, 0.3),
    };
    this.cluster.net.setFaults(faults);
    this.cluster.note(`NETWORK delay ${faults.delayMinMs.toFixed(1)}+exp(${faults.delayMeanMs.toFixed(1)}) ms, ` +
      `loss ${faults.lossProbability.toFixed(3)}, dup ${faults.duplicateProbability.toFixed(3)}, reorder ${faults.reorderProbability.toFixed(3)}`);
  }

  private membership(): void {
    const c = this.cluster;
    const leaderNode = c.leader();
    if (leaderNode === null) return;
    const leader = leaderNode.live as RaftNode;
    const { voters, learners } = leader.status().confState;
    const ops: Array<() => void> = [];
    if (learners.length < this.config.maxLearners) ops.push(() => this.addLearner(leader));
    if (learners.length > 0 && voters.length < this.config.maxVoters) {
      ops.push(() => this.changeMember(leader, 'promote', this.rand.pick(learners)));
    }
    if (voters.length > this.config.minVoters || learners.length > 0) {
      const removable = voters.length > this.config.minVoters ? [...voters, ...learners] : [...learners];
      ops.push(() => this.changeMember(leader, 'remove', this.rand.pick(removable)));
    }
    if (ops.length > 0) this.rand.pick(ops)();
  }

  private addLearner(leader: RaftNode): void {
    const c = this.cluster;
    const node = c.addJoiner();
    c.note(`OP add learner n${node.id} via n${leader.id}`);
    leader.addLearner(node.id, node.address).then(
      (index) => {
        this.done.membership++;
        c.note(`OP learner n${node.id} added @${index}`);
      },
      (err: unknown) => {
        const code = codeOf(err);
        c.note(`OP add learner n${node.id} failed: ${code}`);
        // Nothing was appended: the new node will never be a member.
        if (code === 'RAFT_NOT_LEADER' || code === 'RAFT_PROPOSAL_DROPPED') c.retire(node);
      },
    );
  }

  private changeMember(leader: RaftNode, op: 'promote' | 'remove', id: NodeId): void {
    const c = this.cluster;
    const node = c.nodes.get(id);
    if (node === undefined) return;
    c.note(`OP ${op} n${id} via n${leader.id}`);
    const p = op === 'promote' ? leader.addVoter(id, node.address) : leader.removeMember(id);
    p.then(
      (index) => {
        this.done.membership++;
        c.note(`OP ${op} n${id} committed @${index}`);
        if (op === 'remove') this.retireLater(node);
      },
      (err: unknown) => c.note(`OP ${op} n${id} failed: ${codeOf(err)}`),
    );
  }

  /** A removed node keeps running a little (it may learn of its removal), then leaves. */
  private retireLater(node: SimNode): void {
    this.cluster.sched.after(this.rand.exponential(50), `retire n${node.id}`, () => this.cluster.retire(node));
  }

  private compact(): void {
    const live = this.cluster.liveNodes;
    if (live.length === 0) return;
    const node = this.rand.pick(live);
    const raft = node.live as RaftNode;
    raft.compact(new TextEncoder().encode(`state@${node.applied}`)).then(
      (meta) => {
        this.done.compact++;
        this.cluster.note(`OP n${node.id} compacted to ${meta.index}/${meta.term}`);
      },
      (err: unknown) => this.cluster.note(`OP n${node.id} compaction failed: ${codeOf(err)}`),
    );
  }

  private transfer(): void {
    const c = this.cluster;
    const leaderNode = c.leader();
    if (leaderNode === null) return;
    const leader = leaderNode.live as RaftNode;
    const voters = leader.status().confState.voters.filter((v) => v !== leader.id);
    if (voters.length === 0) return;
    const to = this.rand.pick(voters);
    c.note(`OP transfer leadership n${leader.id} -> n${to}`);
    leader.transferLeadership(to).then(
      () => {
        this.done.transfer++;
        c.note(`OP transfer to n${to} done`);
      },
      (err: unknown) => c.note(`OP transfer to n${to} failed: ${codeOf(err)}`),
    );
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : String(err);
}
