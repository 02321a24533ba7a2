// What the admin API needs from a node. The node (src/node.ts) implements it; the API only
// validates input, calls these and wraps the answers in the envelope.
import type { ReplicaView } from '../src/server/replica-registry.js';

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
  metrics(): string;
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
  slaves: ReplicaView[];
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
  /** Leader only: records a member's attributes (published by followers). */
  publishMember(member: { id: string; name: string; peerAddr: string; adminAddr: string }): Promise<void>;
}
