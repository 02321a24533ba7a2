// The leader's message handling (messages of our term, or local ones).
import { maybeFinishStepDown } from './membership.js';
import type { Raft } from './raft.js';
import {
  ackReadIndex, bcastCommit, bcastHeartbeat, leaderReadIndex, maybeCommit, maybeSendAppend,
  releasePendingReads, sendAppend, sendCommitsIfDurable, sendTimeoutNow,
} from './replication.js';
import type { Progress } from './progress.js';
import { NONE, type Message } from './types.js';

export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case 'beat':
      bcastHeartbeat(r);
      return;
    case 'readIndex':
      leaderReadIndex(r, m);
      return;
    default:
      break;
  }
  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) return; // not (or no longer) a member
  switch (m.type) {
    case 'appResp':
      pr.commitKnown = Math.max(pr.commitKnown, m.commit);
      handleAppendResponse(r, m, pr);
      maybeFinishStepDown(r);
      return;
    case 'heartbeatResp':
      pr.commitKnown = Math.max(pr.commitKnown, m.commit);
      handleHeartbeatResponse(r, m, pr);
      maybeFinishStepDown(r);
      return;
    case 'snapStatus':
      handleSnapStatus(m, pr);
      return;
    case 'unreachable':
      // Optimistic streaming into a dead connection is wasted: fall back to probing.
      if (pr.state === 'replicate') pr.becomeProbe();
      return;
    case 'transferLeader':
      handleTransferLeader(r, m.from, pr);
      return;
    default:
      return;
  }
}

function handleAppendResponse(r: Raft, m: Message, pr: Progress): void {
  pr.recentActive = true;
  if (m.reject) {
    // The hint lets us skip, per round trip, every index whose term cannot match (§5.3's
    // optimisation, as etcd does it): the follower told us its last index with term <= logTerm.
    const hint = m.logTerm > 0 ? r.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index : m.rejectHint;
    if (pr.maybeDecrTo(m.index, hint)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === 'probe')) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot') {
    // The follower installed the snapshot (or got there by appends): back to streaming if the
    // entries it needs are still in our log.
    if (pr.match + 1 >= r.raftLog.firstIndex()) {
      pr.becomeProbe();
      pr.becomeReplicate();
    }
  } else {
    pr.inflights.freeLE(m.index);
  }
  if (maybeCommit(r)) {
    releasePendingReads(r);
    bcastCommit(r);
  } else if (wasPaused) {
    sendAppend(r, m.from);
  }
  sendCommitsIfDurable(r);
  while (maybeSendAppend(r, m.from, false)) {
    // keep streaming until paused or caught up
  }
  if (m.from === r.leadTransferee && pr.match === r.raftLog.lastIndex()) sendTimeoutNow(r, m.from);
}

function handleHeartbeatResponse(r: Raft, m: Message, pr: Progress): void {
  pr.recentActive = true;
  pr.msgAppFlowPaused = false;
  // Snapshots are small inline messages here; if one got lost, an answered heartbeat shows the
  // follower is reachable: probe again (resending the snapshot if still needed). Only after a
  // full heartbeat round since the snapshot went out, so a burst of answers (e.g. to read
  // rounds) does not resend it for each.
  if (pr.state === 'snapshot' && r.heartbeatRounds >= pr.snapshotSentRound + 2) pr.becomeProbe();
  if (pr.match < r.raftLog.lastIndex() || pr.state === 'probe') sendAppend(r, m.from);
  if (m.context.length > 0) ackReadIndex(r, m.from, m.context);
}

function handleSnapStatus(m: Message, pr: Progress): void {
  if (pr.state !== 'snapshot') return;
  if (m.reject) pr.pendingSnapshot = 0;
  pr.becomeProbe();
  // Wait for a heartbeat answer before the next probe.
  pr.msgAppFlowPaused = true;
}

function handleTransferLeader(r: Raft, transferee: number, pr: Progress): void {
  if (pr.isLearner) return;
  if (r.leadTransferee !== NONE) {
    if (r.leadTransferee === transferee) return; // already under way
    r.leadTransferee = NONE; // a newer request replaces it
  }
  if (transferee === r.id) return;
  // The transfer must finish within one election timeout, or it is aborted (tickHeartbeat).
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.match === r.raftLog.lastIndex()) sendTimeoutNow(r, transferee);
  else sendAppend(r, transferee); // catch it up first; appResp sends timeoutNow
}
