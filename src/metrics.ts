// A node's Prometheus metrics (GET /metrics), with prom-client: one Registry per node (never the
// global one, so several nodes in one process, as in the tests, keep their own series), the
// default process metrics (RSS, heap, event-loop lag, GC), and the node's series, read from its
// state at each scrape. Units are in the names; a figure that is not known is NaN (the syncer's
// lag before its first event) or left out (a replica in a file this node no longer holds), never 0.
// README "Metrics" lists the series and the alerts we suggest.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Socket } from 'node:net';
import type { RelayNode } from './node.js';
import { COMMIT_PATH_HOPS, type CommitPathHop } from './metrics/commit-path.js';
import { IngestCounter } from './metrics/ingest-counter.js';
import { observeRaftPersists } from './metrics/raft-persist-observer.js';
import { eventTimeReader, replicaLags, type ReplicaLag } from './metrics/replica-lag.js';
import { ServedBytes } from './metrics/served-bytes.js';
import { CANDIDATE_STATES } from './syncer/upstream-candidates.js';
import { recordedUpstream } from './syncer/upstream-identity.js';
import { upstreamCandidates } from './syncer/syncer-settings.js';

/** 0.25 ms to 2.5 s: a local fsync is sub-millisecond to tens of ms, a commit adds a round trip. */
const LATENCY_BUCKETS_SECONDS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** 25 µs to 1 s: most hops take well under a millisecond; a stall shows in the top buckets. */
const HOP_BUCKETS_SECONDS = [0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1];
const MISNAMED_DEFAULT_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
const SYNCER_STATES = ['running', 'stopped', 'error'] as const;

export class NodeMetrics {
  readonly registry = new Registry();
  readonly #served = new ServedBytes();
  readonly #ingest: IngestCounter;
  readonly #unobserve: () => void;
  /** binrelay_commit_path_seconds, one child per hop (observed per transaction: no label lookup). */
  readonly #hops: ReadonlyMap<CommitPathHop, { observe(seconds: number): void }>;

  constructor(private readonly node: RelayNode) {
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which `promtool check metrics` rejects; the per-type series
    // (nodejs_active_handles{type}, …) stay and sum to the same figure.
    for (const name of MISNAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
    this.#ingest = new IngestCounter(node.relay);
    const commit = new Histogram({
      name: 'binrelay_raft_commit_duration_seconds', registers: [this.registry], buckets: LATENCY_BUCKETS_SECONDS,
      help: 'From writing raft entries to this node learning they are committed (leader: propose to majority durable).',
    });
    const fsync = new Histogram({
      name: 'binrelay_raft_fsync_duration_seconds', registers: [this.registry], buckets: LATENCY_BUCKETS_SECONDS,
      help: 'Duration of a synced raft persist (one batch written and fsynced).',
    });
    const hops = new Histogram({
      name: 'binrelay_commit_path_seconds', registers: [this.registry], buckets: HOP_BUCKETS_SECONDS, labelNames: ['hop'],
      help: 'Each hop of the commit path on this node: upstream event received to proposed (leader), proposed to durable here (leader), durable to known committed, committed to applied, applied to flushed to a replica.',
    });
    this.#hops = new Map(COMMIT_PATH_HOPS.map((hop) => [hop, hops.labels(hop)]));
    this.#unobserve = observeRaftPersists(node.storage.raft, {
      synced: (seconds) => fsync.observe(seconds),
      committed: (seconds) => commit.observe(seconds),
    });
    this.#raftSeries();
    this.#relaySeries();
    this.#syncerSeries();
    this.#upstreamSeries();
    this.#serverSeries();
  }

  /** One commit-path hop took `seconds` (metrics/commit-path.ts, the syncer, the binlog server). */
  readonly observeHop = (hop: CommitPathHop, seconds: number): void => {
    this.#hops.get(hop)!.observe(seconds);
  };

  /** Binlog bytes committed into this node's relay since it started. */
  get ingestedBytes(): number {
    return this.#ingest.total;
  }

  /** Bytes the binlog server sent to its clients since this node started. */
  get servedBytes(): number {
    return this.#served.total;
  }

  /** How far each connected replica is behind this node's relay (metrics/replica-lag.ts). */
  replicaLags(): ReplicaLag[] {
    return replicaLags(this.node.binlogServer.current?.replicas ?? [], this.node.relay.allFiles(), this.#eventTimeAt, Date.now() / 1000);
  }

  readonly #eventTimeAt = eventTimeReader((name) => this.node.relay.dir.filePath(name));

  /** The binlog server reports each client socket here (bytes served). */
  readonly trackConnection = (socket: Socket): void => this.#served.track(socket);

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    this.#unobserve();
    this.#ingest.close();
    this.registry.clear();
  }

  #gauge(name: string, help: string, read: () => number | null): void {
    new Gauge({
      name, help, registers: [this.registry],
      collect() {
        // NaN, never 0, for a figure not known: 0 would read as "no lag" or "nothing held".
        this.set(read() ?? NaN);
      },
    });
  }

  /** A counter mirroring a monotonic total kept elsewhere. */
  #counter(name: string, help: string, read: () => number): void {
    new Counter({
      name, help, registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  #raftSeries(): void {
    const raft = (): ReturnType<RelayNode['raft']['status']> => this.node.raft.status();
    this.#gauge('binrelay_raft_term', 'Current raft term.', () => raft().term);
    this.#gauge('binrelay_raft_is_leader', '1 when this node is the raft leader.', () => (raft().role === 'leader' ? 1 : 0));
    this.#gauge('binrelay_raft_commit_index', 'Raft commit index known to this node.', () => raft().commitIndex);
    this.#gauge('binrelay_raft_applied_index', 'Raft index applied to the relay log on this node.', () => raft().appliedIndex);
    this.#gauge('binrelay_raft_snapshot_index', 'The raft log is compacted up to this index.', () => this.node.storage.raft.snapshotMeta().index);
    this.#gauge('binrelay_raft_snapshot_installing', 'Index of the snapshot this node is installing (fetching its binlog files), 0 when none.', () => raft().installingSnapshot);
  }

  #relaySeries(): void {
    const relay = this.node.relay;
    this.#gauge('binrelay_relay_files', 'Binlog files held by the relay.', () => relay.allFiles().length);
    this.#gauge('binrelay_relay_binlog_bytes', 'Binlog bytes the relay serves (served ends of its files).', () => relay.heldBytes());
    this.#gauge('binrelay_binlog_disk_bytes', 'Bytes of the binlog files on disk (with purged files a replica still reads and uncommitted tails).',
      () => relay.dir.list().reduce((sum, name) => sum + Math.max(0, relay.dir.size(name)), 0));
    this.#gauge('binrelay_relay_purge_held_back_files', 'Purged files kept on disk while a replica of this node reads them.', () => relay.dir.heldBack().length);
    this.#gauge('binrelay_relay_last_file_position_bytes', 'Served end position in the last binlog file.', () => relay.lastFile()?.endPos ?? null);
    this.#counter('binrelay_relay_refused_records_total', 'Relay records refused by the continuity check.', () => relay.refused);
    this.#counter('binrelay_relay_ingested_bytes_total', 'Binlog bytes committed into this node\'s relay log since it started.', () => this.#ingest.total);
  }

  #syncerSeries(): void {
    const live = (): ReturnType<NonNullable<RelayNode['syncer']['running']>['status']> | undefined => this.node.syncer.running?.status();
    const node = this.node;
    this.#gauge('binrelay_syncer_running', '1 when the syncer runs on this node (the leader).', () => (node.syncer.running ? 1 : 0));
    new Gauge({
      name: 'binrelay_syncer_state', registers: [this.registry], labelNames: ['state'],
      help: 'The cluster\'s syncer as this node knows it: 1 on its current state (running, stopped, error).',
      collect() {
        const record = node.syncer.record;
        const current = !record?.running ? 'stopped' : node.syncer.running?.status().status ?? 'running';
        for (const state of SYNCER_STATES) this.set({ state }, state === current ? 1 : 0);
      },
    });
    this.#gauge('binrelay_syncer_lag_seconds', 'Seconds the syncer is behind the upstream (last event timestamp); NaN while unknown.',
      () => live()?.lag_seconds ?? null);
    this.#counter('binrelay_syncer_reconnects_total', 'Syncer reconnects to the upstream since it started on this node.', () => live()?.reconnects ?? 0);
  }

  /** Upstream failover: switches and their time from the replicated UPSTREAM record (the same on
   *  every node); the current upstream; each candidate's state where the syncer runs. Labels
   *  take only the configured candidates. */
  #upstreamSeries(): void {
    const node = this.node;
    this.#counter('binrelay_syncer_upstream_switches_total', 'Upstream switches the relay recorded (continuations by GTID from another upstream).',
      () => recordedUpstream(node.relay)?.switches ?? 0);
    this.#gauge('binrelay_syncer_upstream_last_switch_timestamp_seconds', 'Unix time of the last upstream switch; NaN before any.', () => {
      const at = recordedUpstream(node.relay)?.switched_at;
      return at ? Date.parse(at) / 1000 : null;
    });
    new Gauge({
      name: 'binrelay_syncer_upstream_info', registers: [this.registry], labelNames: ['upstream'],
      help: 'The upstream candidate the syncer follows (1); no series while it follows none of the configured candidates.',
      collect() {
        this.reset();
        const record = node.syncer.record;
        const current = node.syncer.running?.status().current_upstream ?? recordedUpstream(node.relay)?.addr;
        if (record && current !== undefined && upstreamCandidates(record.settings).includes(current)) this.set({ upstream: current }, 1);
      },
    });
    new Gauge({
      name: 'binrelay_syncer_upstream_candidate_state', registers: [this.registry], labelNames: ['candidate', 'state'],
      help: 'Each upstream candidate as the running syncer knows it (on the leader): 1 on its state (current, standby, unreachable, refused).',
      collect() {
        this.reset();
        for (const c of node.syncer.running?.status().candidates ?? []) {
          for (const state of CANDIDATE_STATES) this.set({ candidate: c.addr, state }, c.state === state ? 1 : 0);
        }
      },
    });
  }

  #serverSeries(): void {
    const node = this.node;
    this.#gauge('binrelay_server_replicas', 'Replicas connected to this node\'s binlog server.', () => node.binlogServer.current?.replicas.length ?? 0);
    this.#counter('binrelay_server_sent_bytes_total', 'Bytes the binlog server sent to its clients (replicas, mariadb-binlog).', () => this.#served.total);
    const lags = (): ReplicaLag[] => this.replicaLags();
    new Gauge({
      name: 'binrelay_replica_lag_bytes', registers: [this.registry], labelNames: ['server_id'],
      help: 'Bytes of the relay a connected replica has not received yet, by its server_id.',
      collect() {
        this.reset();
        for (const lag of lags()) this.set({ server_id: String(lag.serverId) }, lag.bytes);
      },
    });
    new Gauge({
      name: 'binrelay_replica_lag_seconds', registers: [this.registry], labelNames: ['server_id'],
      help: 'Age of the oldest event a connected replica has not received (0 when it has everything), by its server_id.',
      collect() {
        this.reset();
        for (const lag of lags()) if (!Number.isNaN(lag.seconds)) this.set({ server_id: String(lag.serverId) }, lag.seconds);
      },
    });
  }
}
