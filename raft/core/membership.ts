// Membership on a running node: the pending-change guard at proposal time, applying a committed
// change (etcd's apply-time rule), and restoring membership from storage or a snapshot.
import { applyConfChangeToTracker, confChangeProblem } from './confchange.js';
import { ProposalDroppedError } from './errors.js';
import type { Raft } from './raft.js';
import { majorityVoteResult } from './quorum.js';
import { bcastAppend, maybeCommit, maybeSendAppend, releasePendingReads, sendTimeoutNow } from './replication.js';
import { NONE, type ConfChange, type ConfState, type NodeId } from './types.js';

/** Leader, before appending a conf change: one change at a time (the previous one must be
 *  applied), and never one that leaves no voter. */
export function checkConfChangeProposal(r: Raft, cc: ConfChange): void {
  if (r.pendingConfIndex > r.raftLog.applied) {
    throw new ProposalDroppedError('confChangePending', r.id,
      `conf change at ${r.pendingConfIndex} not applied (applied ${r.raftLog.applied})`);
  }
  const problem = confChangeProblem(r.trk.config, cc);
  if (problem !== null) throw new ProposalDroppedError('invalidConfChange', r.id, problem);
}

/** Applies a committed change. An invalid one is a no-op, the same on every node. */
export function applyMembershipChange(r: Raft, cc: ConfChange): ConfState {
  if (confChangeProblem(r.trk.config, cc) === null) {
    applyConfChangeToTracker(r.trk, cc, r.raftLog.lastIndex());
    switchToConfig(r);
  }
  return r.trk.confState();
}

function switchToConfig(r: Raft): void {
  const self = r.trk.progress.get(r.id);
  r.isLearner = self !== undefined && self.isLearner;
  if (r.state !== 'leader' || r.trk.config.voters.size === 0) return;
  if (self === undefined || self.isLearner) {
    // Removed or demoted. Stepping down at once could strand the new voters: if they have not
    // learnt that this change is committed, they still need our vote, which our longer log may
    // refuse. So first make a quorum of them know the commit index (see maybeFinishStepDown).
    r.stepDownIndex = r.raftLog.committed;
  }
  // The quorum changed: maybe more is committed now; new members get probed.
  if (maybeCommit(r)) {
    releasePendingReads(r);
    bcastAppend(r);
  } else {
    for (const id of r.trk.memberIds()) if (id !== r.id) maybeSendAppend(r, id, r.stepDownIndex !== 0);
  }
  if (r.leadTransferee !== NONE && !r.trk.config.voters.has(r.leadTransferee)) r.leadTransferee = NONE;
  maybeFinishStepDown(r);
}

/** A removed or demoted leader hands over once a quorum of the new voters reported a commit
 *  index covering its removal and one voter has its whole log (no accepted proposal is lost;
 *  it accepts no new ones, so the voters catch up): it sends that voter timeoutNow (so the new
 *  leader needs no election timeout) and becomes a follower. */
export function maybeFinishStepDown(r: Raft): void {
  if (r.state !== 'leader' || r.stepDownIndex === 0) return;
  const informed = new Map<NodeId, boolean>();
  for (const id of r.trk.config.voters) informed.set(id, r.trk.progress.get(id)!.commitKnown >= r.stepDownIndex);
  if (majorityVoteResult(r.trk.config.voters, informed) !== 'won') return;
  const last = r.raftLog.lastIndex();
  const heir = r.trk.voterIds().find((id) => r.trk.progress.get(id)!.match === last);
  if (heir === undefined) return;
  sendTimeoutNow(r, heir);
  r.becomeFollower(r.term, NONE);
}

/** Replaces config and progress by `cs` (at start-up and when installing a snapshot). */
export function restoreMembership(r: Raft, cs: ConfState): void {
  const next = r.raftLog.lastIndex() + 1;
  r.trk.config = { voters: new Set(cs.voters), learners: new Set(cs.learners) };
  r.trk.progress = new Map();
  for (const id of [...cs.voters, ...cs.learners].sort((a, b) => a - b)) {
    const match = id === r.id ? r.raftLog.lastStableIndex() : 0;
    r.trk.progress.set(id, r.trk.newProgress(match, next, cs.learners.includes(id)));
  }
  r.isLearner = cs.learners.includes(r.id);
}
