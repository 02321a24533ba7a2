// One binrelay node: LevelDB storage, the relay log state machine, raft over TCP, the syncer
// (leader only), the binlog server and the admin API, wired together and shut down in reverse.
import type { Logger } from 'pino';
import { RaftNode } from '../raft/node.js';
import { systemClock } from '../raft/clock.js';
import { seededRng } from '../raft/core/rng.js';
import type { NodeId } from '../raft/core/types.js';
import { TcpTransport } from '../raft/transport.js';
import { openStorage, type Storage } from '../storage/storage.js';
import type { FastifyInstance } from 'fastify';
import { createAdminServer } from '../api/server.js';
import { AdminListener } from '../api/admin-listener.js';
import { adminClient, type AdminClient } from '../api/admin-client.js';
import { readTlsFiles } from './tls-files.js';
import { secureDataDir } from './data-dir-permissions.js';
import { MemberPublisher } from './member-publisher.js';
import { LearnerPromotion } from './learner-promotion.js';
import type { Config } from './config.js';
import { memberIdOf } from './member-id.js';
import { establishClusterId } from './cluster-id.js';
import { writeClusterIdRecord } from '../storage/cluster-id-record.js';
import { stageMemberRemovedRecord } from '../storage/member-removed-record.js';
import { refuseRemovedMember } from './member-removed.js';
import { RelayLog } from './relaylog/relay-log.js';
import type { MemberAttributes } from './relaylog/relay-entry.js';
import { SyncerControl } from './syncer/syncer-control.js';
import { NodeBackend } from './node-backend.js';
import { BinlogServerControl } from './server-control.js';
import { randomBytes } from 'node:crypto';
import { openRelay, relayStateMachine } from './relaylog/relay-state-machine.js';
import { CompactionPolicy } from './relaylog/compaction-policy.js';
import { PurgeCoordinator } from './relaylog/purge-coordinator.js';
import type { PurgeRequest, PurgeResult } from './relaylog/purge.js';
import { SnapshotFetcher } from './relaylog/snapshot-fetcher.js';
import { NodeMetrics } from './metrics.js';
import { CommitPathTimer } from './metrics/commit-path.js';
import { ThroughputHistory } from './throughput-history.js';
import { errorChainText } from './error-chain.js';

/** Recent raft entries kept in memory; followers and replay read older ones from the segment files.
 *  8 MiB rather than 16: the cached payload outlives scavenges and drives V8 mark-compacts, and
 *  half the cache measured the same ingest with ~10 MB less peak RSS. The syncer's window of
 *  uncommitted proposals (DEFAULT_SYNCER_OPTIONS.maxInflightBytes) is no larger. */
const RAFT_TAIL_CACHE_BYTES = 8 * 1024 * 1024;

export class RelayNode {
  private admin: FastifyInstance | null = null;
  private adminListener: AdminListener | null = null;
  /** Calls to other nodes' admin APIs: https verified with admin-tls.ca when admin-tls is set. */
  private adminClient: AdminClient = adminClient(undefined);
  private members: MemberPublisher | null = null;
  private promotion: LearnerPromotion | null = null;
  backend: NodeBackend | null = null;
  /** GET /metrics: this node's own registry, fed from its state and a few observers. */
  readonly metrics: NodeMetrics;
  /** Ingest and serving rates over the last minutes, for the dashboard. */
  readonly throughput: ThroughputHistory;

  private constructor(
    readonly config: Config,
    readonly id: NodeId,
    readonly storage: Storage,
    readonly relay: RelayLog,
    readonly transport: TcpTransport,
    readonly raft: RaftNode,
    readonly syncer: SyncerControl,
    readonly binlogServer: BinlogServerControl,
    readonly purges: PurgeCoordinator,
    private readonly snapshots: SnapshotFetcher,
    private readonly logger: Logger,
    commitPath: CommitPathTimer,
  ) {
    this.metrics = new NodeMetrics(this);
    this.throughput = new ThroughputHistory(this.metrics);
    this.throughput.start();
    binlogServer.onConnection = this.metrics.trackConnection;
    commitPath.onHop = this.metrics.observeHop;
    syncer.onReceiveToPropose = (seconds) => this.metrics.observeHop('receive_to_propose', seconds);
    binlogServer.onCommitServed = (seconds) => this.metrics.observeHop('apply_to_send', seconds);
    // Restarted after a crash, a node holds in its log entries it had applied and served, but
    // applies them again only once a leader says they are committed: a replica that asks for
    // them meanwhile waits rather than getting 1236 (fatal to its IO thread).
    binlogServer.catchingUp = () => {
      const s = raft.status();
      return s.leader === 0 || s.appliedIndex < s.lastIndex || s.installingSnapshot > 0;
    };
  }

  /** PURGE BINARY LOGS for the cluster: proposed by the leader, forwarded to it by followers. */
  purgeBinaryLogs(request: PurgeRequest): Promise<PurgeResult> {
    return this.purges.purge(request);
  }

  /** `onFatal`: the node failed and must end (fail-stop). `onRemoved`: the cluster removed this
   *  member; the caller stops it as on SIGTERM. */
  static async start(
    config: Config, logger: Logger, onFatal: (err: Error) => void = () => undefined, onRemoved: () => void = () => undefined,
  ): Promise<RelayNode> {
    // The admin port first: a node that cannot serve its admin API stops before it opens storage
    // or joins raft, instead of running headless and maybe winning an election.
    const [adminHost, adminPort] = splitAddr(config.adminAddr);
    const adminTls = config.adminTls ? readTlsFiles(config.adminTls, 'admin-tls') : undefined;
    const adminListener = await AdminListener.bind(adminHost, adminPort, config.adminLimits, adminTls);
    try {
      return await RelayNode.startWired(config, logger, onFatal, onRemoved, adminListener, adminClient(adminTls));
    } catch (err) {
      await adminListener.close();
      throw err;
    }
  }

  private static async startWired(
    config: Config, logger: Logger, onFatal: (err: Error) => void, onRemoved: () => void, adminListener: AdminListener, admin: AdminClient,
  ): Promise<RelayNode> {
    const id = memberIdOf(config.name);
    // The raft tail is bounded (raft-log-retain), so every entry is checked at open (CRC,
    // contiguity, terms): LevelDB, without paranoid checks, may drop a damaged log record quietly.
    const tightened = secureDataDir(config.dataDir);
    if (tightened > 0) logger.warn({ event: 'node.data_dir.tightened', dataDir: config.dataDir, entries: tightened }, 'data dir entries readable by others made owner-only');
    const storage = await openStorage(config.dataDir, { logger, tailCacheBytesMax: RAFT_TAIL_CACHE_BYTES });
    // Before anything reads the data dir: it must belong to this cluster (src/cluster-id.ts), as a
    // member the cluster did not remove (src/member-removed.ts).
    const clusterId = await Promise.resolve().then(() => {
      refuseRemovedMember(storage.meta, config.name, config.dataDir);
      return establishClusterId(storage.meta, config.dataDir, config);
    }).catch(async (err: unknown) => {
      await storage.close();
      throw err;
    });
    logger.info({ event: 'node.cluster_id', clusterId: clusterId ?? '(joining: learned from the first member that contacts this node)' }, 'cluster id');
    const relay = await openRelay(config.dataDir, storage, logger);
    const peers = new Map<NodeId, string>([...config.initialCluster].map(([name, addr]) => [memberIdOf(name), addr]));
    const transport = await TcpTransport.start({
      nodeId: id, listen: config.peerAddr, clusterId, clusterToken: config.clusterToken ?? null, tls: config.peerTls?.tls ?? null,
      onClusterIdLearned: (learned) => void writeClusterIdRecord(storage.meta, { id: learned, origin: 'learned when this node joined', joined: true })
        .catch((err: unknown) => logger.error({ event: 'node.cluster_id.persist_failed', err }, 'cannot persist the learned cluster id')),
      logger: logger.child({ component: 'transport' }),
    });
    let control: SyncerControl | null = null;
    let raft: RaftNode | null = null;
    const compaction = new CompactionPolicy(config.raftLogRetain, relay, storage.raft, logger);
    const fetcher = new SnapshotFetcher(relay, id, () => raft?.status().leader ?? 0, config.adminToken ?? null, logger, admin);
    const machine = relayStateMachine(relay, storage, fetcher.fetch, (entries) => {
      control?.applied();
      if (raft) compaction.applied(raft, entries);
    });
    const commitPath = new CommitPathTimer();
    raft = await RaftNode.start({
      id, peers,
      join: config.initialClusterState === 'existing',
      knownPeers: knownPeers(relay),
      resolvePeer: (peer) => relay.members[String(peer)]?.peerAddr,
      store: storage.raft, transport, clock: systemClock, rng: seededRng(randomBytes(4).readUInt32LE(0)),
      heartbeatIntervalMs: config.heartbeatIntervalMs, electionTimeoutMs: config.electionTimeoutMs,
      logger: logger.child({ component: 'raft' }),
      apply: machine.apply, applySnapshot: machine.applySnapshot, checkpoint: machine.checkpoint, appliedIndex: machine.appliedIndex,
      commitPath,
    });
    // A member's record carries the address the others reach it at: a member moved with PUT
    // /members (or announcing a new advertised address while still reachable) is reached there.
    const reachAt = (member: MemberAttributes): void => {
      if (member.peerAddr) raft?.updatePeerAddress(Number(member.id), member.peerAddr);
    };
    for (const member of Object.values(relay.members)) reachAt(member);
    relay.on('member', reachAt);
    control = new SyncerControl(raft, relay, logger);
    const backendRef: { leaderAdminAddr(): string | null } = { leaderAdminAddr: () => null };
    const purges = new PurgeCoordinator(raft, relay, () => backendRef.leaderAdminAddr(), config.adminToken ?? null, logger.child({ component: 'purge' }), admin);
    const serverControl = new BinlogServerControl(storage, relay, id, logger, (request) => purges.purge(request), config.binlogServerDefaults);
    const node = new RelayNode(config, id, storage, relay, transport, raft, control, serverControl, purges, fetcher, logger, commitPath);
    node.adminListener = adminListener;
    node.adminClient = admin;
    backendRef.leaderAdminAddr = () => node.backend?.leaderAdminAddr() ?? null;
    purges.startRetention(config.binlogRetention);
    node.watchForFailure(onFatal);
    // A removed member stops, and the data dir remembers it (src/member-removed.ts).
    raft.once('removed', () => {
      logger.warn({ event: 'node.removed', id }, 'this node was removed from the cluster: stopping (its replicas lose their connection and can be pointed at a member)');
      stageMemberRemovedRecord(storage.raft, { at: new Date().toISOString() });
      storage.raft.onceWritten(onRemoved);
    });
    const members = new MemberPublisher({
      id, self: node.self, initialCluster: config.initialCluster, raft, transport, relay, logger: logger.child({ component: 'members' }),
    });
    node.members = members;
    raft.on('leaderChanged', (change) => {
      logger.info({ event: 'raft.leader.changed', leader: change.leader, term: change.term, role: change.role }, 'leader changed');
      if (change.role === 'leader') void members.publishAsLeader();
    });
    members.start();
    node.promotion = new LearnerPromotion(raft, relay, logger);
    node.promotion.start();
    await node.startAdmin(adminListener);
    const bootSettings = config.binlogServer ?? (await serverControl.savedSettings());
    if (bootSettings) await serverControl.start(bootSettings);
    return node;
  }

  /**
   * Fail-stop (DESIGN.md invariant 7): when raft stops on an error (a failed write, a corrupt
   * entry, a broken invariant) or the relay finds bytes it cannot vouch for, the syncer and the
   * binlog server stop at once and `onFatal` ends the process non-zero.
   */
  private watchForFailure(onFatal: (err: Error) => void): void {
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      this.logger.fatal({ event: 'node.failed', err, code: (err as { code?: unknown }).code }, `node failed: ${errorChainText(err)}`);
      void Promise.allSettled([this.syncer.close(), this.binlogServer.stop()]).then(() => onFatal(err));
    };
    this.raft.on('stopped', (err) => {
      if (err) fail(err);
    });
    if (this.raft.failure) fail(this.raft.failure);
    this.relay.on('corrupt', (err: Error) => fail(err));
  }

  /** This node's attributes as it publishes them: its advertised addresses, never a wildcard it
   *  listens on (src/exposed-addresses.ts). */
  get self(): MemberAttributes {
    return { id: String(this.id), name: this.config.name, peerAddr: this.config.advertisePeerAddr, adminAddr: this.config.advertiseAdminAddr };
  }

  /** Attaches the admin API to its socket (bound at the start, answering 503 until now). */
  private async startAdmin(listener: AdminListener): Promise<void> {
    const backend = new NodeBackend(this, this.logger);
    this.backend = backend;
    this.admin = createAdminServer({ backend, logger: this.logger, adminToken: this.config.adminToken, listener, adminClient: this.adminClient });
    await this.admin.ready();
  }

  async stop(): Promise<void> {
    this.logger.info({ event: 'node.stopping' }, 'node stopping');
    this.members?.stop();
    this.promotion?.stop();
    this.purges.stop();
    await this.admin?.close();
    await this.adminListener?.close();
    await this.binlogServer.stop();
    await this.syncer.close();
    await this.raft.handOffLeadership().catch(() => undefined);
    // Raft is stopping before a snapshot install's fetches end: that is a stop, not a failure.
    const raftStopped = this.raft.stop();
    this.snapshots.close();
    await raftStopped;
    await this.transport.close();
    await this.storage.close();
    this.relay.dir.close();
    this.throughput.stop();
    this.metrics.close();
    this.logger.info({ event: 'node.stopped' }, 'node stopped');
  }
}

function knownPeers(relay: RelayLog): Map<NodeId, string> {
  return new Map(Object.values(relay.members).filter((m) => m.peerAddr).map((m) => [Number(m.id), m.peerAddr]));
}

export function splitAddr(addr: string): [string, number] {
  const at = addr.lastIndexOf(':');
  return [addr.slice(0, at).replace(/^\[|\]$/g, ''), Number(addr.slice(at + 1))];
}
