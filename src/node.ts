// One binrelay node: LevelDB storage, the relay log state machine, raft over TCP, the syncer
// (leader only), the binlog server and the admin API, wired together and shut down in reverse.
import type { Logger } from 'pino';
import { RaftNode } from '../raft/node.js';
import { systemClock } from '../raft/clock.js';
import { seededRng } from '../raft/core/rng.js';
import type { Entry, NodeId } from '../raft/core/types.js';
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

export class RelayNode {
  private admin: FastifyInstance | null = null;
  private backend: NodeBackend | null = null;

  private constructor(
    readonly config: Config,
    readonly id: NodeId,
    readonly storage: Storage,
    readonly relay: RelayLog,
    readonly transport: TcpTransport,
    readonly raft: RaftNode,
    readonly syncer: SyncerControl,
    readonly binlogServer: BinlogServerControl,
    private readonly logger: Logger,
  ) {}

  static async start(config: Config, logger: Logger): Promise<RelayNode> {
    const id = memberIdOf(config.name);
    const storage = await openStorage(config.dataDir, { logger });
    const relay = await RelayLog.open(storage.db, logger);
    const peers = new Map<NodeId, string>([...config.initialCluster].map(([name, addr]) => [memberIdOf(name), addr]));
    const transport = await TcpTransport.start({
      nodeId: id, listen: config.peerAddr, clusterId: 'binrelay', clusterToken: config.clusterToken ?? null,
      logger: logger.child({ component: 'transport' }),
    });
    let control: SyncerControl | null = null;
    let serverControl: BinlogServerControl | null = null;
    const apply = async (entries: readonly Entry[]): Promise<void> => {
      relay.apply(entries);
      storage.raft.stageAppliedIndex(relay.checkpointIndex);
      await relay.flush();
      control?.reconcile();
    };
    const raft = await RaftNode.start({
      id, peers,
      join: config.initialClusterState === 'existing',
      knownPeers: knownPeers(relay),
      resolvePeer: (peer) => relay.view.members[String(peer)]?.peerAddr,
      store: storage.raft, transport, clock: systemClock, rng: seededRng(randomBytes(4).readUInt32LE(0)),
      heartbeatIntervalMs: config.heartbeatIntervalMs, electionTimeoutMs: config.electionTimeoutMs,
      logger: logger.child({ component: 'raft' }),
      apply, appliedIndex: relay.checkpointIndex,
    });
    control = new SyncerControl(raft, relay, logger);
    serverControl = new BinlogServerControl(storage, relay, id, logger);
    const node = new RelayNode(config, id, storage, relay, transport, raft, control, serverControl, logger);
    raft.on('leaderChanged', (change) => {
      logger.info({ event: 'raft.leader.changed', leader: change.leader, term: change.term, role: change.role }, 'leader changed');
      if (change.role === 'leader') void node.publishSelf();
    });
    await node.startAdmin();
    const bootSettings = config.binlogServer ?? (await serverControl.savedSettings());
    if (bootSettings) await serverControl.start(bootSettings);
    return node;
  }

  /** This node's attributes as it would publish them. */
  get self(): MemberAttributes {
    return { id: String(this.id), name: this.config.name, peerAddr: this.config.peerAddr, adminAddr: this.config.adminAddr };
  }

  /** A new leader records its own attributes (and those of the initial members it knows from
   *  configuration) so every node can name members and find the leader's admin API. */
  private async publishSelf(): Promise<void> {
    const known = this.relay.view.members;
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
    if (JSON.stringify(this.relay.view.members[member.id]) === JSON.stringify(member)) return;
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
    await this.admin?.close();
    await this.binlogServer.stop();
    await this.syncer.close();
    const status = this.raft.status();
    if (status.role === 'leader') {
      const other = status.confState.voters.find((v) => v !== this.id);
      if (other !== undefined) await this.raft.transferLeadership(other).catch(() => undefined);
    }
    await this.raft.stop();
    await this.transport.close();
    await this.storage.close();
    this.logger.info({ event: 'node.stopped' }, 'node stopped');
  }
}

function knownPeers(relay: RelayLog): Map<NodeId, string> {
  return new Map(Object.values(relay.view.members).filter((m) => m.peerAddr).map((m) => [Number(m.id), m.peerAddr]));
}

export function splitAddr(addr: string): [string, number] {
  const at = addr.lastIndexOf(':');
  return [addr.slice(0, at).replace(/^\[|\]$/g, ''), Number(addr.slice(at + 1))];
}
