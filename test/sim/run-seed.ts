// One simulator run: everything derives from the seed (cluster size unless forced, fault mix,
// timings), so `runSeed({seed, steps})` is a pure function of its options and replays exactly.
//
//   fault phase     `steps` scheduler events of load, faults and operations, the checkers
//                   after every event;
//   liveness phase  the nemesis calms down (network healed, nodes restarted, no disk errors);
//                   a marker must then be acknowledged and applied by every member within
//                   LIVENESS_ELECTION_TIMEOUTS election timeouts.
import { SafetyViolation } from './checkers.js';
import { SimCluster, type ClusterConfig } from './cluster.js';
import { Nemesis, type NemesisConfig } from './nemesis.js';
import { SimRandom } from './prng.js';
import { drainMicrotasks } from './scheduler.js';
import type { DiskFaults } from './sim-disk.js';
import type { NetworkFaults } from './sim-network.js';
import { Trace } from './trace.js';
import { Workload, type WorkloadConfig } from './workload.js';

export const HEARTBEAT_INTERVAL_MS = 20;
export const ELECTION_TIMEOUT_MS = 200;
/** After calm(), the marker must be applied everywhere within this many election timeouts. */
export const LIVENESS_ELECTION_TIMEOUTS = 25;

export interface SeedOptions {
  readonly seed: number;
  /** Scheduler events in the fault phase. */
  readonly steps: number;
  /** Force the initial cluster size (default: drawn from the seed). */
  readonly nodes?: 3 | 5;
  /** Trace lines kept for the failure report. */
  readonly traceTail?: number;
  /** Receives every trace line as it is recorded (--verbose). */
  readonly echo?: (line: string) => void;
  /** Unsafe disk that acknowledges fsyncs it does not do: the checkers must catch it. */
  readonly lyingFsync?: boolean;
  /** The nemesis acts every 5-40 ms instead of every 40-250 ms (nightly / bug hunting). */
  readonly heavy?: boolean;
}

export interface SeedResult {
  readonly seed: number;
  readonly nodes: number;
  readonly ok: boolean;
  readonly violation: string | null;
  /** Events run (both phases) and simulated time at the end. */
  readonly events: number;
  readonly simMs: number;
  /** Fingerprint of the whole trace: equal for two runs of the same options. */
  readonly traceHash: string;
  readonly traceTail: readonly string[];
  readonly summary: string;
  /** What the run exercised (for coverage totals across seeds). */
  readonly stats: Readonly<Record<string, number>>;
}

interface SeedPlan {
  readonly cluster: ClusterConfig;
  readonly nemesis: NemesisConfig;
  readonly workload: WorkloadConfig;
}

/** Swarm testing: each seed draws its own fault mix, so some seeds are quiet and others hammer
 *  one fault class. */
function plan(seed: number, nodes: 3 | 5 | undefined, lyingFsync: boolean, heavy: boolean): SeedPlan {
  const r = new SimRandom(seed, 'plan');
  const initialVoters = nodes ?? (r.chance(0.5) ? 3 : 5);
  const network: NetworkFaults = {
    delayMinMs: r.between(0.1, 1),
    delayMeanMs: r.between(0.3, 3),
    lossProbability: r.chance(0.6) ? 0 : r.between(0, 0.05),
    duplicateProbability: r.chance(0.6) ? 0 : r.between(0, 0.05),
    reorderProbability: r.chance(0.5) ? 0 : r.between(0, 0.2),
  };
  const disk: DiskFaults = {
    writeLatencyMinMs: r.between(0.02, 0.2),
    writeLatencyMeanMs: r.between(0.05, 0.5),
    syncLatencyMeanMs: r.between(0.1, 2),
    fsyncErrorProbability: r.chance(0.7) ? 0 : r.between(0.0005, 0.004),
    unsyncedSurvivalProbability: r.float(),
    tailCacheEntries: r.chance(0.7) ? Infinity : r.intBetween(4, 64),
    lyingFsync,
  };
  const weight = (): number => (r.chance(0.2) ? 0 : r.float());
  return {
    cluster: {
      initialVoters, heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS, electionTimeoutMs: ELECTION_TIMEOUT_MS,
      network, disk, clockSkew: r.between(0, 0.1),
      raftConfig: {
        maxSizePerMsg: r.pick([64, 256, 4096]),
        maxInflightMsgs: r.pick([1, 2, 8, 64]),
        maxInflightBytes: r.pick([0, 0, 4096]),
        maxUncommittedEntriesSize: r.pick([0, 0, 64, 1024]),
        maxCommittedSizePerReady: r.pick([16, 256, 4096]),
      },
      // Half the seeds apply asynchronously (the driver must keep order and write each
      // checkpoint whole with its conf state, whatever crashes in between).
      ...(r.chance(0.5) ? { asyncApplyMeanMs: r.between(0.05, 3) } : {}),
      // Half stage their applied index only now and then (the relay, for binlog bytes): a restart
      // applies again what followed it, and the driver asks for one where it must.
      ...(r.chance(0.5) ? { lazyCheckpointChance: r.between(0, 0.5) } : {}),
    },
    nemesis: {
      meanIntervalMs: heavy ? r.between(5, 40) : r.between(40, 250),
      weights: {
        crash: weight(), pause: weight(), partition: weight(), network: weight(), membership: weight(),
        transfer: weight(), compact: weight(),
      },
      restartMeanMs: r.between(20, 600),
      partitionMeanMs: r.between(50, 800),
      pauseMaxMs: r.between(20, 3 * ELECTION_TIMEOUT_MS),
      minVoters: 3,
      maxVoters: initialVoters + 2,
      maxLearners: 2,
    },
    workload: {
      proposeMeanIntervalMs: r.between(2, 15),
      maxOutstanding: r.intBetween(4, 64),
      wrongNodeProbability: 0.05,
      readMeanIntervalMs: r.chance(0.3) ? 0 : r.between(20, 100),
    },
  };
}

export async function runSeed(opts: SeedOptions): Promise<SeedResult> {
  const p = plan(opts.seed, opts.nodes, opts.lyingFsync ?? false, opts.heavy ?? false);
  const trace = new Trace(opts.traceTail ?? 80, opts.echo ?? null);
  const root = new SimRandom(opts.seed, 'root');
  const cluster = new SimCluster(p.cluster, root, trace);
  const workload = new Workload(cluster, root.stream('workload'), p.workload);
  const nemesis = new Nemesis(cluster, root.stream('nemesis'), p.nemesis);
  let events = 0;
  let lastLine = '';
  cluster.sched.beforeRun = (ev) => trace.record(ev.atMs, ev.label);
  cluster.note(`seed ${opts.seed}: ${p.cluster.initialVoters} voters, steps ${opts.steps}`);

  /** Runs one event and the checkers; false when the queue is empty. */
  const step = async (): Promise<boolean> => {
    if (cluster.sched.step() === null) return false;
    events++;
    await drainMicrotasks();
    const line = cluster.check();
    if (line !== lastLine) {
      lastLine = line;
      cluster.note(`status${line}`);
    }
    return true;
  };

  let violation: string | null = null;
  try {
    workload.start();
    nemesis.start();
    for (let k = 0; k < opts.steps; k++) if (!(await step())) break;

    nemesis.calm();
    workload.stop();
    workload.startMarker(2 * HEARTBEAT_INTERVAL_MS);
    const deadline = cluster.sched.nowMs + LIVENESS_ELECTION_TIMEOUTS * ELECTION_TIMEOUT_MS;
    const until = async (pending: () => string | null): Promise<void> => {
      for (let waiting = pending(); waiting !== null; waiting = pending()) {
        const next = cluster.sched.peekMs();
        if (next === null || next > deadline) {
          throw new SafetyViolation('liveness', `${LIVENESS_ELECTION_TIMEOUTS} election timeouts after the faults healed: ${waiting}`);
        }
        await step();
      }
    };
    await until(() => livenessPending(cluster, workload));
    cluster.note(`LIVE: marker @${workload.markerIndex} applied by every member`);
    const reads = workload.startFinalReads(2 * HEARTBEAT_INTERVAL_MS);
    await until(() => reads());
    cluster.note('LIVE: a read index at or above the marker on every member');
  } catch (err) {
    violation = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    cluster.note(`VIOLATION ${violation}`);
  }
  const summary = [
    `acked ${workload.counts.acked}/${workload.counts.proposed}`,
    `leaders ${cluster.checker.stats.leaderTerms}`,
    `committed ${cluster.checker.committedKnown}`,
    `crashes ${nemesis.counts.crash}`,
    `partitions ${nemesis.counts.partition}`,
    `ops ${nemesis.counts.membership + nemesis.counts.transfer + nemesis.counts.compact}`,
    `nodes ${cluster.allNodes.length}`,
  ].join(', ');
  const stores = cluster.allNodes.map((n) => n.store.counts);
  const sum = (f: (c: (typeof stores)[number]) => number): number => stores.reduce((a, c) => a + f(c), 0);
  const stats: Record<string, number> = {
    proposed: workload.counts.proposed,
    acked: workload.counts.acked,
    readsOk: workload.counts.readOk,
    leaders: cluster.checker.stats.leaderTerms,
    leaderCompletenessChecks: cluster.checker.stats.leaderChecks,
    crashes: sum((c) => c.crashes),
    fsyncErrors: sum((c) => c.fsyncErrors),
    cacheMisses: sum((c) => c.cacheMisses),
    pauses: nemesis.counts.pause,
    partitions: nemesis.counts.partition,
    membershipChanges: nemesis.done.membership,
    transfers: nemesis.done.transfer,
    compactions: nemesis.done.compact,
    snapshotsInstalled: cluster.counts.snapshotsInstalled,
    messagesDelivered: cluster.net.counts.delivered,
    messagesDropped: cluster.net.counts.dropped,
    messagesDuplicated: cluster.net.counts.duplicated,
  };
  return {
    stats,
    seed: opts.seed,
    nodes: p.cluster.initialVoters,
    ok: violation === null,
    violation,
    events,
    simMs: cluster.sched.nowMs,
    traceHash: trace.hash(),
    traceTail: trace.tail(),
    summary,
  };
}

/** Null once the marker is acknowledged and applied by every member of the leader's
 *  configuration; otherwise what is still missing. */
function livenessPending(cluster: SimCluster, workload: Workload): string | null {
  if (workload.markerIndex === 0) return 'no marker acknowledged';
  const leader = cluster.leader();
  if (leader === null) return 'no leader';
  const { voters, learners } = leader.live!.status().confState;
  const behind: string[] = [];
  for (const id of [...voters, ...learners]) {
    const n = cluster.nodes.get(id);
    const applied = n?.live?.status().appliedIndex ?? -1;
    if (applied < workload.markerIndex) behind.push(`n${id} applied ${applied < 0 ? '(down)' : applied}`);
  }
  return behind.length === 0 ? null : `marker @${workload.markerIndex} not applied: ${behind.join(', ')}`;
}
