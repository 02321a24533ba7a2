// The admin API's view of a node (api/backend.ts): membership from raft's conf state joined with
// the members' published attributes, the cluster's syncer (leader only: followers forward), and
// this node's binlog server.
import type { Logger } from 'pino';
import type { AdminBackend, BinlogBackend, DashboardBackend, DashboardView, BinlogImportView, HealthView, MemberView, ServerStatusView, SyncerStatusView } from '../api/backend.js';
import { ApiError } from '../api/errors.js';
import type { PurgeRequest, PurgeResult } from './relaylog/purge.js';
import { encodeRelayRecord, type MemberAttributes } from './relaylog/relay-entry.js';
import { memberIdOf } from './member-id.js';
import { recentProblems } from './recent-problems.js';
import { peerAddrOfUrl } from './peer-url.js';
import { importBinlogDir } from './syncer/binlog-import.js';
import { isPlainFileName } from './relaylog/binlog-dir.js';
import { compareBinlogNames } from './syncer/binlog-name.js';
import { publicView, syncerStartSchema, upstreamCandidates } from './syncer/syncer-settings.js';
import { checkUpstream } from './syncer/upstream-check.js';
import { recordedUpstream } from './syncer/upstream-identity.js';
import type { RelayNode } from './node.js';
import { currentGtid, withKingbusReplicaFields } from './kingbus-status-fields.js';

export class NodeBackend implements AdminBackend, BinlogBackend, DashboardBackend {
  constructor(
    private readonly node: RelayNode,
    private readonly logger: Logger,
  ) {}

  private memberAttrs(id: number): MemberAttributes | undefined {
    return this.node.relay.members[String(id)];
  }

  members(): MemberView[] {
    const status = this.node.raft.status();
    const ids = [...status.confState.voters.map((id) => [id, false] as const), ...status.confState.learners.map((id) => [id, true] as const)];
    return ids.sort((a, b) => a[0] - b[0]).map(([id, isLearner]) => {
      const attrs = id === this.node.id ? this.node.self : this.memberAttrs(id);
      const configured = [...this.node.config.initialCluster].find(([name]) => memberIdOf(name) === id);
      return {
        id: String(id),
        name: attrs?.name ?? configured?.[0] ?? String(id),
        peerURLs: [attrs?.peerAddr || configured?.[1] || ''].filter(Boolean),
        adminURLs: [attrs?.adminAddr ?? ''].filter(Boolean),
        isLeader: status.leader === id,
        isLearner,
      };
    });
  }

  private requireLeader(): void {
    if (this.node.raft.status().role !== 'leader') throw new ApiError('NOT_LEADER', 'this node is not the leader; retry on the leader');
  }

  private idOfName(name: string): number {
    const member = this.members().find((m) => m.name === name);
    if (!member) throw new ApiError('NOT_FOUND', `no member named ${name}`, { field: 'name' });
    return Number(member.id);
  }

  async addMember(name: string, peerUrl: string): Promise<MemberView> {
    this.requireLeader();
    const id = memberIdOf(name);
    const peerAddr = peerAddrOfUrl(peerUrl, this.node.config.peerTls !== undefined, 'peer_url');
    // Raft knows members by their 32-bit id only: a second name with the same id would be the first.
    const clash = this.members().find((m) => m.id === String(id));
    if (clash) throw new ApiError('CONFLICT', `member name ${name} has the same member id ${id} as member ${clash.name}: choose another name`, { field: 'name' });
    await membershipCall(name, () => this.node.raft.propose(encodeRelayRecord({ kind: 'member', member: { id: String(id), name, peerAddr, adminAddr: '' } })));
    // A learner first; the leader promotes it once it has caught up (src/learner-promotion.ts).
    await membershipCall(name, () => this.node.raft.addLearner(id, peerAddr));
    return this.members().find((m) => m.id === String(id))!;
  }

  async removeMember(name: string): Promise<void> {
    this.requireLeader();
    const id = this.idOfName(name);
    await membershipCall(name, () => this.node.raft.removeMember(id));
  }

  async updateMember(name: string, newPeerUrl: string): Promise<void> {
    this.requireLeader();
    const id = this.idOfName(name);
    const old = this.memberAttrs(id);
    const peerAddr = peerAddrOfUrl(newPeerUrl, this.node.config.peerTls !== undefined, 'new_peer_url');
    await membershipCall(name, () => this.node.raft.propose(encodeRelayRecord({ kind: 'member', member: { id: String(id), name, peerAddr, adminAddr: old?.adminAddr ?? '' } })));
  }

  health(): HealthView {
    const s = this.node.raft.status();
    const leaderName = s.leader ? this.members().find((m) => m.id === String(s.leader))?.name ?? String(s.leader) : null;
    return { ok: this.node.raft.running, name: this.node.config.name, role: s.role, term: s.term, leader: leaderName, commitIndex: s.commitIndex, appliedIndex: s.appliedIndex };
  }

  readiness(): { ready: boolean; reason?: string } {
    const s = this.node.raft.status();
    if (!this.node.raft.running) return { ready: false, reason: 'raft stopped' };
    if (!s.leader) return { ready: false, reason: 'no leader known' };
    if (s.installingSnapshot > 0) return { ready: false, reason: `installing snapshot ${s.installingSnapshot}` };
    if (s.appliedIndex < s.commitIndex) return { ready: false, reason: `applying (${s.appliedIndex}/${s.commitIndex})` };
    return { ready: true };
  }

  metrics(): Promise<string> {
    return this.node.metrics.render();
  }

  dashboard(): DashboardView {
    return {
      node: this.health(),
      members: this.members(),
      server: this.serverStatus(),
      replica_lag: this.node.metrics.replicaLags().map((l) => ({ server_id: l.serverId, bytes: l.bytes, seconds: Number.isNaN(l.seconds) ? null : l.seconds })),
      throughput: this.node.throughput.points(),
      recent_errors: recentProblems(),
    };
  }

  leaderAdminAddr(): string | null {
    const s = this.node.raft.status();
    if (s.role === 'leader') return null;
    if (!s.leader) return '';
    return this.memberAttrs(s.leader)?.adminAddr ?? '';
  }

  async syncerStart(raw: unknown): Promise<SyncerStatusView> {
    const settings = syncerStartSchema.parse(raw);
    // A re-point that would splice another history into the relay is refused here, before it is
    // replicated; an unreachable target is accepted (the syncer retries it and fails over).
    if (this.node.relay.lastFile()) {
      const check = await checkUpstream(settings, this.node.relay);
      if (check.verdict === 'refused') throw new ApiError('CONFLICT', check.reason, { field: 'mysql_addr' });
    }
    await raftCall('the syncer start', SYNCER_CHECK, () => this.node.raft.propose(encodeRelayRecord({ kind: 'syncer', settings: { running: true, settings } })));
    return this.syncerStatus();
  }

  async syncerStop(): Promise<SyncerStatusView> {
    const record = this.node.syncer.record;
    if (record) await raftCall('the syncer stop', SYNCER_CHECK, () => this.node.raft.propose(encodeRelayRecord({ kind: 'syncer', settings: { ...record, running: false } })));
    return this.syncerStatus();
  }

  syncerStatus(): SyncerStatusView {
    const record = this.node.syncer.record;
    const live = this.node.syncer.running?.status();
    const relay = this.node.relay;
    const last = relay.lastFile();
    const shown = record ? publicView(record.settings) : null;
    return {
      status: !record?.running ? 'stopped' : live?.status ?? 'running',
      mysql_addr: record ? upstreamCandidates(record.settings)[0] ?? null : null,
      mysql_user: shown?.mysql_user ?? null,
      flavor: relay.flavor ?? live?.flavor ?? null,
      executed_gtid_set: relay.executedGtids.toString(),
      purged_gtid_set: relay.purgedGtids,
      last_binlog_file: last?.name ?? null,
      last_file_position: last?.endPos ?? null,
      semi_sync: shown?.semi_sync ?? false,
      last_error: live?.last_error ?? null,
      lag_seconds: live?.lag_seconds ?? null,
      syncer_id: shown?.syncer_id ?? null,
      syncer_uuid: shown?.syncer_uuid ?? null,
      current_gtid: currentGtid(relay.executedGtids.toString(), recordedUpstream(relay) ?? null),
      ...this.failoverStatus(),
    };
  }

  private failoverStatus(): Pick<SyncerStatusView, 'mysql_addrs' | 'failover_after_ms' | 'current_upstream' | 'candidates' | 'upstream' | 'switches' | 'last_switch_at' | 'last_switch_forced' | 'last_switch_note'> {
    const record = this.node.syncer.record;
    const live = this.node.syncer.running?.status();
    const up = recordedUpstream(this.node.relay);
    return {
      mysql_addrs: record ? upstreamCandidates(record.settings) : [],
      failover_after_ms: record?.settings.failover_after_ms ?? null,
      current_upstream: live?.current_upstream ?? up?.addr ?? null,
      candidates: live?.candidates ?? [],
      upstream: up ? { addr: up.addr, flavor: up.flavor, server_id: up.server_id, server_uuid: up.server_uuid, same_files: up.same_files } : null,
      switches: up?.switches ?? 0,
      last_switch_at: up?.switched_at ?? null,
      last_switch_forced: up?.forced ?? false,
      last_switch_note: live?.last_switch_note ?? null,
    };
  }

  async serverStart(settings: { addr: string; user: string; password: string }): Promise<ServerStatusView> {
    try {
      await this.node.binlogServer.start(settings);
    } catch (err) {
      throw new ApiError('BAD_REQUEST', `binlog server did not start: ${(err as Error).message}`, { field: 'addr' });
    }
    return this.serverStatus();
  }

  async serverStop(): Promise<ServerStatusView> {
    await this.node.binlogServer.stop(true);
    return this.serverStatus();
  }

  serverStatus(): ServerStatusView {
    const current = this.node.binlogServer.current;
    const relay = this.node.relay;
    const last = relay.lastFile();
    return {
      status: current ? 'running' : 'stopped',
      addr: current?.settings.addr ?? null,
      user: current?.settings.user ?? null,
      executed_gtid_set: relay.executedGtids.toString(),
      purged_gtid_set: relay.purgedGtids,
      last_binlog_file: last?.name ?? null,
      last_file_position: last?.endPos ?? null,
      applied_index: this.node.raft.status().appliedIndex,
      snapshot_index: this.node.storage.raft.snapshotMeta().index,
      binlog_files: relay.allFiles().map((f) => ({ name: f.name, size: f.endPos })),
      purge_held_back: relay.dir.heldBack(),
      slaves: (current?.replicas ?? []).map(withKingbusReplicaFields),
      current_gtid: currentGtid(relay.executedGtids.toString(), recordedUpstream(relay) ?? null),
    };
  }

  async importBinlogs(request: { dir: string }): Promise<BinlogImportView> {
    this.requireLeader();
    if (this.node.relay.allFiles().length > 0 || this.node.relay.hasPending) {
      throw new ApiError('CONFLICT', 'the relay already holds binlog files: import seeds an empty relay only', { field: 'dir' });
    }
    if (this.node.syncer.record?.running) throw new ApiError('CONFLICT', 'stop the syncer before importing binlog files', { field: 'dir' });
    const result = await importBinlogDir(request.dir, (record) => this.node.raft.propose(encodeRelayRecord(record)));
    this.logger.info({ event: 'relay.imported', dir: request.dir, files: result.files.length, bytes: result.bytes }, 'binlog files imported');
    return { files: result.files, bytes: result.bytes, last_binlog_file: result.lastFile, last_file_position: result.lastPos };
  }

  /** A binlog file of this node for a snapshot transfer to another member (null: purged here).
   *  A file this node does not hold yet (it is behind, or installing a snapshot itself) is a
   *  conflict the fetching member retries: only a purge may make it drop the file. */
  binlogFilePath(name: string): string | null {
    if (!isPlainFileName(name)) return null;
    const { relay } = this.node;
    if (relay.dir.exists(name)) return relay.dir.filePath(name);
    const first = relay.allFiles()[0];
    if (first !== undefined && compareBinlogNames(name, first.name) < 0) return null;
    throw new ApiError('CONFLICT', `binlog file ${name} is not held here (yet)`, { file: name });
  }

  async purge(request: PurgeRequest): Promise<PurgeResult> {
    return this.node.purgeBinaryLogs(request);
  }
}

const SYNCER_CHECK = 'GET /binlog/syncer/status';

/** A membership change's raft errors as the API's (raftCall), naming the member. */
function membershipCall<T>(name: string, call: () => Promise<T>): Promise<T> {
  return raftCall(`membership change for ${name}`, 'GET /members', call, { field: 'name' });
}

/** A raft call's errors as the API's: a change raft refuses (the last voter removed, a record
 *  the relay would not apply) is a 409; one that cannot go through now (leadership moving or lost
 *  before the commit, another change still applying, the node stopping) a 503 to retry after
 *  `check`: an entry whose leader was lost may still be committed by the next one. */
async function raftCall<T>(what: string, check: string, call: () => Promise<T>, details: Record<string, unknown> = {}): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err as { code?: unknown; reason?: unknown; detail?: unknown; message?: unknown };
    const message = String(e.message);
    if (e.code === 'RAFT_PROPOSAL_DROPPED' && e.reason === 'invalidConfChange') {
      throw new ApiError('CONFLICT', `${what} refused: ${typeof e.detail === 'string' && e.detail !== '' ? e.detail : message}`, details);
    }
    if (e.code === 'RAFT_CONF_CHANGE_REJECTED' || e.code === 'RAFT_ENTRY_REFUSED') throw new ApiError('CONFLICT', `${what}: ${message}`, details);
    if (typeof e.code === 'string' && RETRYABLE_RAFT_ERRORS.has(e.code)) {
      throw new ApiError('UNAVAILABLE', `${what} did not go through (${message}); check ${check} and retry`);
    }
    throw err;
  }
}

const RETRYABLE_RAFT_ERRORS = new Set(['RAFT_PROPOSAL_DROPPED', 'RAFT_LEADERSHIP_LOST', 'RAFT_NOT_LEADER', 'RAFT_NODE_STOPPED']);
