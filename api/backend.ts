// What the admin API needs from a node. The node (src/node.ts) implements it; the API only
// validates input, calls these and wraps the answers in the envelope.

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
