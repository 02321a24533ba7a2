// What the admin API needs from a node. The node (src/node.ts) implements it; the API only
// validates input, calls these and wraps the answers in the envelope.
import type { PurgeRequest, PurgeResult } from '../src/relaylog/purge.js';
import type { ReplicaView } from '../src/server/replica-registry.js';
import type { ReplicaStatusView } from '../src/kingbus-status-fields.js';

export interface MemberView {
  /** Raft node id, as a decimal string (ids are 53-bit safe integers). */
  id: string;
  name: string;
  peerURLs: string[];
  adminURLs: string[];
  isLeader: boolean;
  isLearner: boolean;
}

export interface HealthView {
  ok: boolean;
  name: string;
  role: string;
  term: number;
  leader: string | null;
  commitIndex: number;
  appliedIndex: number;
}

export interface AdminBackend {
  members(): MemberView[];
  /** Adds a member as a learner, then promotes it to voter once caught up. */
  addMember(name: string, peerUrl: string): Promise<MemberView>;
  removeMember(name: string): Promise<void>;
  updateMember(name: string, newPeerUrl: string): Promise<void>;
  health(): HealthView;
  /** Ready when this node knows a leader and has applied what was committed when it started. */
  readiness(): { ready: boolean; reason?: string };
  /** Prometheus text exposition. */
  metrics(): string | Promise<string>;
}

/** GET /binlog/syncer/status: the cluster's syncer, as the leader sees it. */
export interface SyncerStatusView {
  status: 'running' | 'stopped' | 'error';
  mysql_addr: string | null;
  mysql_user: string | null;
  flavor: 'mariadb' | 'mysql' | null;
  executed_gtid_set: string;
  purged_gtid_set: string;
  last_binlog_file: string | null;
  last_file_position: number | null;
  semi_sync: boolean;
  last_error: string | null;
  lag_seconds: number | null;
  /** kingbus's names (src/kingbus-status-fields.ts): the settings' syncer_id and syncer_uuid, and
   *  the upstream's newest GTID the relay holds ('' when none). */
  syncer_id: number | null;
  syncer_uuid: string | null;
  current_gtid: string;
  /** Upstream failover (README "When the upstream fails"): the candidates in order, the one
   *  followed now, each one's state, and the switches recorded in the relay. */
  mysql_addrs: string[];
  failover_after_ms: number | null;
  current_upstream: string | null;
  candidates: { addr: string; state: 'current' | 'standby' | 'unreachable' | 'refused'; last_error: string | null; checked_at: string | null }[];
  upstream: { addr: string; flavor: 'mariadb' | 'mysql'; server_id: number; server_uuid: string | null; same_files: boolean } | null;
  switches: number;
  last_switch_at: string | null;
  last_switch_forced: boolean;
  last_switch_note: string | null;
}

/** One connected replica, as the binlog server tracks it. */
export type { ReplicaView };

/** GET /binlog/server/status: this node's binlog server and relay log as applied here. */
export interface ServerStatusView {
  status: 'running' | 'stopped';
  addr: string | null;
  user: string | null;
  executed_gtid_set: string;
  purged_gtid_set: string;
  last_binlog_file: string | null;
  last_file_position: number | null;
  applied_index: number;
  /** The raft log holds entries after this index (compacted up to it). */
  snapshot_index: number;
  /** Binlog files this node holds, oldest first, with their served sizes. */
  binlog_files: { name: string; size: number }[];
  /** Purged files whose deletion waits for a replica of this node still reading them. */
  purge_held_back: string[];
  /** Each with kingbus's names beside ours: server_uuid, host_name, connect_time. */
  slaves: ReplicaStatusView[];
  /** kingbus's name: the upstream's newest GTID this node's relay holds ('' when none). */
  current_gtid: string;
}

/** PUT /binlog/import: what an import of a directory of binlog files proposed. */
export interface BinlogImportView {
  /** Names of the files imported, oldest first. */
  files: string[];
  /** Binlog bytes imported. */
  bytes: number;
  /** Where the relay ends now (the syncer resumes there); null when nothing was imported. */
  last_binlog_file: string | null;
  last_file_position: number | null;
}

export interface BinlogBackend {
  /** Null when this node is the leader; else the leader's admin address ('' when unknown). */
  leaderAdminAddr(): string | null;
  syncerStart(settings: unknown): Promise<SyncerStatusView>;
  syncerStop(): Promise<SyncerStatusView>;
  syncerStatus(): SyncerStatusView;
  serverStart(settings: { addr: string; user: string; password: string }): Promise<ServerStatusView>;
  serverStop(): Promise<ServerStatusView>;
  serverStatus(): ServerStatusView;
  /** Leader only: purges the relay's binlog files before a file or a time (PurgeError when refused). */
  purge(request: PurgeRequest): Promise<PurgeResult>;
  /** Leader only: seeds the empty relay from a directory of the upstream's binlog files. */
  importBinlogs(request: { dir: string }): Promise<BinlogImportView>;
}

/** GET /internal/binlog/files/:name: the relay's binlog files, for members installing a snapshot. */
export interface SnapshotBackend {
  /** Absolute path of the relay's binlog file `name`, or null when the relay purged it. Throws
   *  an ApiError (CONFLICT) for a file it may hold later. */
  binlogFilePath(name: string): string | null;
}

/** GET /dashboard.json: what the dashboard page shows of this node (the syncer comes from
 *  /binlog/syncer/status, answered by the leader). */
export interface DashboardView {
  node: HealthView;
  members: MemberView[];
  server: ServerStatusView;
  /** Per connected replica (by server_id): bytes not yet sent, and the age of the oldest event
   *  not yet sent (null when unknown). */
  replica_lag: { server_id: number; bytes: number; seconds: number | null }[];
  /** Rates over the last minutes, oldest first. */
  throughput: { at: number; ingest_bytes_per_s: number; served_bytes_per_s: number }[];
  /** The last warnings and errors this node logged, newest first. */
  recent_errors: { at: string; level: string; event: string | null; message: string }[];
}

export interface DashboardBackend {
  dashboard(): DashboardView;
}
