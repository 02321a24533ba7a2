// Follower message handling, and the handlers of leader messages that candidates share.
import { assert } from './assert.js';
import type { Raft } from './raft.js';
import { NONE, type Message } from './types.js';

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case 'app':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppend(r, m);
      return;
    case 'heartbeat':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return;
    case 'snap':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return;
    case 'commitIfDurable':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleCommitIfDurable(r, m);
      return;
    case 'transferLeader':
    case 'readIndex':
      if (r.lead !== NONE) r.forward(m, r.lead);
      return;
    case 'timeoutNow':
      // The leader asks us to take over now: campaign without a pre-vote round.
      r.hup('transfer');
      return;
    case 'readIndexResp':
      r.readStates.push({ index: m.index, requestCtx: m.context });
      return;
    default:
      return;
  }
}

/** AppendEntries (§5.3): accept if our log has the leader's entry at m.index with m.logTerm;
 *  otherwise reject with a hint (our last index whose term is <= m.logTerm) so the leader can
 *  skip a whole term per round trip. */
export function handleAppend(r: Raft, m: Message): void {
  const log = r.raftLog;
  if (m.index < log.committed) {
    // Old or duplicated: everything up to our commit index matches the leader anyway.
    r.send({ type: 'appResp', to: m.from, index: log.committed, commit: log.committed });
    return;
  }
  const lastNew = log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== null) {
    r.send({ type: 'appResp', to: m.from, index: lastNew, commit: log.committed });
    return;
  }
  const hint = log.findConflictByTerm(Math.min(m.index, log.lastIndex()), m.logTerm);
  r.send({
    type: 'appResp', to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term,
    commit: log.committed,
  });
}

/** The leader's word that m.commit is committed once our log holds it durably. Kept only if our
 *  log matches the leader's through m.index (so the entries up to it are the leader's); taken
 *  now as far as our log is durable, the rest as our writes finish (Raft.onPersisted). */
export function handleCommitIfDurable(r: Raft, m: Message): void {
  if (m.commit > m.index || !r.raftLog.matchTerm(m.index, m.logTerm)) return;
  r.durableCommit = Math.max(r.durableCommit, m.commit);
  r.commitDurable();
}

export function handleHeartbeat(r: Raft, m: Message): void {
  r.raftLog.commitTo(m.commit);
  r.send({ type: 'heartbeatResp', to: m.from, context: m.context, commit: r.raftLog.committed });
}

/** Installs a metadata-only snapshot if it is ahead of our commit index; answers with our last
 *  index either way (the leader then streams the retained log by normal appends). */
export function handleSnapshot(r: Raft, m: Message): void {
  assert(m.snapshot !== null, 'snap message without snapshot');
  const installed = restoreSnapshot(r, m);
  const index = installed ? r.raftLog.lastIndex() : r.raftLog.committed;
  r.send({ type: 'appResp', to: m.from, index, commit: r.raftLog.committed });
}

function restoreSnapshot(r: Raft, m: Message): boolean {
  const s = m.snapshot!;
  const log = r.raftLog;
  if (s.index <= log.committed) return false;
  assert(r.state === 'follower', () => `snapshot restore as ${r.state}`);
  // The snapshot's membership may not include us: a node added after the snapshot index learns
  // of its own addition from the entries that follow (etcd refuses such a snapshot, which
  // would leave a node added after the last compaction unable ever to catch up).
  if (log.matchTerm(s.index, s.term)) {
    // We already have that entry: just learn it is committed.
    log.commitTo(s.index);
    return false;
  }
  log.restore(s);
  r.restoreConfState(s.confState);
  return true;
}
