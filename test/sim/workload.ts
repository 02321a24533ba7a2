// The load: a syncer-like client that proposes numbered payloads ("w1", "w2", …) at whichever
// node it believes leads (sometimes at a random node, to exercise redirects), and readers that
// ask random nodes for linearizable read indexes. Acknowledgements feed the checker; in the
// liveness phase it proposes a marker until one is acknowledged.
import type { RaftNode } from '../../raft/node.js';
import type { SimCluster, SimNode } from './cluster.js';
import type { SimRandom } from './prng.js';

export interface WorkloadConfig {
  readonly proposeMeanIntervalMs: number;
  /** Proposals in flight at most (back-pressure, as the syncer has). */
  readonly maxOutstanding: number;
  /** Probability of sending a proposal to a random live node instead of the leader. */
  readonly wrongNodeProbability: number;
  readonly readMeanIntervalMs: number;
}

const encoder = new TextEncoder();

export class Workload {
  private seq = 0;
  private outstanding = 0;
  private active = false;
  private markerSeq = 0;
  /** The live proposal of the marker: the node incarnation that holds it. A proposal held by a
   *  node that has since died never settles, so it no longer counts as in flight. */
  private markerAt: SimNode | null = null;
  private markerIncarnation = -1;
  /** Index of the acknowledged marker, once there is one. */
  markerIndex = 0;
  readonly counts = {
    proposed: 0, acked: 0, notLeader: 0, lost: 0, refused: 0, stopped: 0, reads: 0, readOk: 0, readFailed: 0,
  };

  constructor(
    private readonly cluster: SimCluster,
    private readonly rand: SimRandom,
    private readonly config: WorkloadConfig,
  ) {}

  start(): void {
    this.active = true;
    this.scheduleProposal();
    this.scheduleRead();
  }

  stop(): void {
    this.active = false;
  }

  /** Liveness phase: propose a marker at the leader, retrying until one is acknowledged. */
  startMarker(retryMs: number): void {
    const attempt = (): void => {
      if (this.markerIndex > 0) return;
      this.cluster.sched.after(retryMs, 'marker retry', attempt);
      const holder = this.markerAt;
      if (holder !== null && holder.live !== null && holder.incarnation === this.markerIncarnation) return;
      const leader = this.cluster.leader();
      if (leader === null) return;
      const data = encoder.encode(`marker${++this.markerSeq}`);
      this.markerAt = leader;
      this.markerIncarnation = leader.incarnation;
      this.cluster.note(`marker proposed at n${leader.id}`);
      const settled = (): void => {
        if (this.markerAt === leader) this.markerAt = null;
      };
      leader.live!.propose(data).then(
        (index) => {
          settled();
          this.ack(index, data, 'marker');
          if (this.markerIndex === 0) this.markerIndex = index;
        },
        (err: unknown) => {
          settled();
          this.cluster.note(`marker rejected: ${codeOf(err)}`);
        },
      );
    };
    attempt();
  }

  /** Liveness phase, after the marker: every member of the leader's configuration must serve a
   *  read index at or above the marker. Returns a probe: null once all did, else who did not. */
  startFinalReads(retryMs: number): () => string | null {
    const leader = this.cluster.leader();
    const members = leader === null ? [] : [...leader.live!.status().confState.voters, ...leader.live!.status().confState.learners];
    const done = new Set<number>();
    /** Node id -> incarnation holding its read (a dead incarnation's read never settles). */
    const inFlight = new Map<number, number>();
    const attempt = (): void => {
      if (done.size === members.length) return;
      this.cluster.sched.after(retryMs, 'final reads retry', attempt);
      for (const id of members) {
        const node = this.cluster.nodes.get(id);
        const raft = node?.live;
        if (done.has(id) || raft === null || raft === undefined || inFlight.get(id) === node!.incarnation) continue;
        inFlight.set(id, node!.incarnation);
        raft.readIndex().then(
          (index) => {
            inFlight.delete(id);
            if (index >= this.markerIndex) done.add(id);
            this.cluster.note(`final read at n${id}: ${index}`);
          },
          (err: unknown) => {
            inFlight.delete(id);
            this.cluster.note(`final read at n${id} failed: ${codeOf(err)}`);
          },
        );
      }
    };
    attempt();
    return () => {
      if (leader === null) return 'no leader for the final reads';
      const missing = members.filter((id) => !done.has(id));
      return missing.length === 0 ? null : `no read index >= marker yet on ${missing.map((id) => `n${id}`).join(', ')}`;
    };
  }

  private scheduleProposal(): void {
    if (!this.active) return;
    this.cluster.sched.after(this.rand.exponential(this.config.proposeMeanIntervalMs), 'workload propose', () => {
      this.proposeOne();
      this.scheduleProposal();
    });
  }

  private scheduleRead(): void {
    if (!this.active || this.config.readMeanIntervalMs <= 0) return;
    this.cluster.sched.after(this.rand.exponential(this.config.readMeanIntervalMs), 'workload read', () => {
      this.readOne();
      this.scheduleRead();
    });
  }

  private target(): SimNode | null {
    const live = this.cluster.liveNodes;
    if (live.length === 0) return null;
    if (this.rand.chance(this.config.wrongNodeProbability)) return this.rand.pick(live);
    return this.cluster.leader();
  }

  private proposeOne(): void {
    if (this.outstanding >= this.config.maxOutstanding) return;
    const node = this.target();
    if (node === null) return;
    const n = ++this.seq;
    const data = encoder.encode(`w${n}`);
    this.outstanding++;
    this.counts.proposed++;
    (node.live as RaftNode).propose(data).then(
      (index) => {
        this.outstanding--;
        this.ack(index, data, `w${n}`);
      },
      (err: unknown) => {
        this.outstanding--;
        const code = codeOf(err);
        if (code === 'RAFT_NOT_LEADER') this.counts.notLeader++;
        else if (code === 'RAFT_LEADERSHIP_LOST') this.counts.lost++;
        else if (code === 'RAFT_PROPOSAL_DROPPED') this.counts.refused++;
        else if (code === 'RAFT_NODE_STOPPED') this.counts.stopped++;
        else this.cluster.unexpected.push(new Error(`propose w${n} at n${node.id}: unexpected ${code}: ${String(err)}`));
      },
    );
  }

  private ack(index: number, data: Uint8Array, what: string): void {
    this.counts.acked++;
    this.cluster.note(`ack ${what} @${index}`);
    try {
      this.cluster.checker.onAck(index, data);
    } catch (err) {
      this.cluster.unexpected.push(err as Error);
    }
  }

  private readOne(): void {
    const live = this.cluster.liveNodes;
    if (live.length === 0) return;
    const node = this.rand.pick(live);
    const ackedAtStart = this.cluster.checker.highestAckedIndex;
    this.counts.reads++;
    (node.live as RaftNode).readIndex().then(
      (index) => {
        this.counts.readOk++;
        this.cluster.note(`n${node.id} read index ${index} (acked before: ${ackedAtStart})`);
        try {
          this.cluster.checker.onRead(node.id, ackedAtStart, index);
        } catch (err) {
          this.cluster.unexpected.push(err as Error);
        }
      },
      (err: unknown) => {
        this.counts.readFailed++;
        const code = codeOf(err);
        if (code !== 'RAFT_NOT_LEADER' && code !== 'RAFT_READ_INDEX_TIMEOUT' && code !== 'RAFT_NODE_STOPPED') {
          this.cluster.unexpected.push(new Error(`read at n${node.id}: unexpected ${code}: ${String(err)}`));
        }
      },
    );
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'no code';
}
