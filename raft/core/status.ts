// A read-only snapshot of a node's raft state, for the admin API, logs and tests.
import type { ProgressState } from './progress.js';
import type { Raft } from './raft.js';
import type { ConfState, HardState, NodeId, SoftState } from './types.js';

/** The leader's view of one member. */
export interface PeerProgress {
  readonly id: NodeId;
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  /** Appends are held back (probe awaiting an answer, inflights full, or snapshot pending). */
  readonly paused: boolean;
  /** Appends in flight (replicate state). */
  readonly inflight: number;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
}

export interface Status {
  readonly id: NodeId;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: number;
  readonly commit: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** The voter a leadership transfer goes to, or 0. */
  readonly leadTransferee: NodeId;
  /** Leader only (empty otherwise), ascending by id, including the leader itself. */
  readonly progress: readonly PeerProgress[];
  readonly confState: ConfState;
}

export function getStatus(r: Raft): Status {
  const progress: PeerProgress[] = [];
  if (r.state === 'leader') {
    for (const id of r.trk.memberIds()) {
      const pr = r.trk.progress.get(id)!;
      progress.push({
        id, match: pr.match, next: pr.next, state: pr.state, paused: pr.isPaused(),
        inflight: pr.inflights.count, isLearner: pr.isLearner, recentActive: pr.recentActive,
      });
    }
  }
  return {
    id: r.id,
    hardState: r.hardState(),
    softState: r.softState(),
    applied: r.raftLog.applied,
    commit: r.raftLog.committed,
    firstIndex: r.raftLog.firstIndex(),
    lastIndex: r.raftLog.lastIndex(),
    leadTransferee: r.leadTransferee,
    progress,
    confState: r.trk.confState(),
  };
}
