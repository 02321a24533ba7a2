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
import type { Config } from './config.js';
import { memberIdOf } from './member-id.js';
import { RelayLog } from './relaylog/relay-log.js';
import { encodeRelayRecord, type MemberAttributes } from './relaylog/relay-entry.js';
import { SyncerControl } from './syncer/syncer-control.js';
import { NodeBackend } from './node-backend.js';
import { BinlogServerControl } from './server-control.js';
import { randomBytes } from 'node:crypto';
import { openRelay, relayStateMachine } from './relaylog/relay-state-machine.js';
import { CompactionPolicy } from './relaylog/compaction-policy.js';
import { PurgeCoordinator } from './relaylog/purge-coordinator.js';
import type { PurgeRequest, PurgeResult } from './relaylog/purge.js';
import { SnapshotFetcher } from './relaylog/snapshot-fetcher.js';

/** Recent raft entries kept in memory (followers and replay read older ones from LevelDB). */
const RAFT_TAIL_CACHE_BYTES = 16 * 1024 * 1024;

export class RelayNode {
  private admin: FastifyInstance | null = null;
  backend: NodeBackend | null = null;

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
  ) {}

  /** PURGE BINARY LOGS for the cluster: proposed by the leader, forwarded to it by followers. */
  purgeBinaryLogs(request: PurgeRequest): Promise<PurgeResult> {
    return this.purges.purge(request);
  }

  static async start(config: Config, logger: Logger, onFatal: (err: Error) => void = () => undefined): Promise<RelayNode> {
    const id = memberIdOf(config.name);
    // The raft tail is bounded (raft-log-retain), so every entry is checked at open (CRC,
    // contiguity, terms): LevelDB, without paranoid checks, may drop a damaged log record quietly.
    const storage = await openStorage(config.dataDir, { logger, tailCacheBytesMax: RAFT_TAIL_CACHE_BYTES });
    const relay = await openRelay(config.dataDir, storage, logger);
    const peers = new Map<NodeId, string>([...config.initialCluster].map(([name, addr]) => [memberIdOf(name), addr]));
    const transport = await TcpTransport.start({
      nodeId: id, listen: config.peerAddr, clusterId: 'binrelay', clusterToken: config.clusterToken ?? null,
      logger: logger.child({ component: 'transport' }),
    });
    let control: SyncerControl | null = null;
    let raft: RaftNode | null = null;
    const compaction = new CompactionPolicy(config.raftLogRetain, relay, storage.raft, logger);
    const fetcher = new SnapshotFetcher(relay, id, () => raft?.status().leader ?? 0, config.adminToken ?? null, logger);
    const machine = relayStateMachine(relay, storage, fetcher.fetch, (entries) => {
      control?.reconcile();
      if (raft) compaction.applied(raft, entries);
    });
    raft = await RaftNode.start({
      id, peers,
      join: config.initialClusterState === 'existing',
      knownPeers: knownPeers(relay),
      resolvePeer: (peer) => relay.members[String(peer)]?.peerAddr,
      store: storage.raft, transport, clock: systemClock, rng: seededRng(randomBytes(4).readUInt32LE(0)),
      heartbeatIntervalMs: config.heartbeatIntervalMs, electionTimeoutMs: config.electionTimeoutMs,
      logger: logger.child({ component: 'raft' }),
      apply: machine.apply, applySnapshot: machine.applySnapshot, appliedIndex: machine.appliedIndex,
    });
    control = new SyncerControl(raft, relay, logger);
    const backendRef: { leaderAdminAddr(): string | null } = { leaderAdminAddr: () => null };
    const purges = new PurgeCoordinator(raft, relay, () => backendRef.leaderAdminAddr(), config.adminToken ?? null, logger.child({ component: 'purge' }));
    const serverControl = new BinlogServerControl(storage, relay, id, logger, (request) => purges.purge(request));
    const node = new RelayNode(config, id, storage, relay, transport, raft, control, serverControl, purges, fetcher, logger);
    backendRef.leaderAdminAddr = () => node.backend?.leaderAdminAddr() ?? null;
    purges.startRetention(config.binlogRetention);
    node.watchForFailure(onFatal);
    raft.on('leaderChanged', (change) => {
      logger.info({ event: 'raft.leader.changed', leader: change.leader, term: change.term, role: change.role }, 'leader changed');
      if (change.role === 'leader') void node.publishSelf();
    });
    await node.startAdmin();
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
      this.logger.fatal({ event: 'node.failed', err, code: (err as { code?: unknown }).code }, `node failed: ${err.message}`);
      void Promise.allSettled([this.syncer.close(), this.binlogServer.stop()]).then(() => onFatal(err));
    };
    this.raft.on('stopped', (err) => {
      if (err) fail(err);
    });
    if (this.raft.failure) fail(this.raft.failure);
    this.relay.on('corrupt', (err: Error) => fail(err));
  }

  /** This node's attributes as it would publish them. */
  get self(): MemberAttributes {
    return { id: String(this.id), name: this.config.name, peerAddr: this.config.peerAddr, adminAddr: this.config.adminAddr };
  }

  /** A new leader records its own attributes (and those of the initial members it knows from
   *  configuration) so every node can name members and find the leader's admin API. */
  private async publishSelf(): Promise<void> {
    const known = this.relay.members;
    const records: MemberAttributes[] = [];
    if (JSON.stringify(known[String(this.id)]) !== JSON.stringify(this.self)) records.push(this.self);
    for (const [name, peerAddr] of this.config.initialCluster) {
      const id = String(memberIdOf(name));
      if (!known[id] && id !== String(this.id)) records.push({ id, name, peerAddr, adminAddr: '' });
    }
    for (const member of records) {
      try {
        await this.raft.propose(encodeRelayRecord({ kind: 'member', member }));
      } catch (err) {
        this.logger.debug({ event: 'member.publish.failed', err: (err as Error).message }, 'member publish failed');
        return;
      }
    }
  }

  /** Followers publish their attributes through the leader's admin API (see NodeBackend). */
  async publishMember(member: MemberAttributes): Promise<void> {
    if (JSON.stringify(this.relay.members[member.id]) === JSON.stringify(member)) return;
    await this.raft.propose(encodeRelayRecord({ kind: 'member', member }));
  }

  private async startAdmin(): Promise<void> {
    const backend = new NodeBackend(this, this.logger);
    this.backend = backend;
    this.admin = createAdminServer({ backend, logger: this.logger, adminToken: this.config.adminToken });
    const [host, port] = splitAddr(this.config.adminAddr);
    await this.admin.listen({ host, port });
    backend.startMemberPublishing();
  }

  async stop(): Promise<void> {
    this.logger.info({ event: 'node.stopping' }, 'node stopping');
    this.backend?.stopPublishing();
    this.purges.stop();
    await this.admin?.close();
    await this.binlogServer.stop();
    await this.syncer.close();
    await this.raft.handOffLeadership().catch(() => undefined);
    this.snapshots.close();
    await this.raft.stop();
    await this.transport.close();
    await this.storage.close();
    this.relay.dir.close();
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
