// The leader's side of log replication: appends, snapshots, heartbeats and the commit rule.
import { entriesBytes } from './entry-size.js';
import { CompactedError, LogTemporarilyUnavailableError } from './errors.js';
import { EMPTY_BYTES } from './message.js';
import type { Progress } from './progress.js';
import type { Raft } from './raft.js';
import { majorityVoteResult } from './quorum.js';
import { NONE, type Entry, type Message, type NodeId } from './types.js';

/** Sends `to` an append (possibly empty, which carries the commit index). */
export function sendAppend(r: Raft, to: NodeId): void {
  maybeSendAppend(r, to, true);
}

/** Sends `to` the entries from its next index, or a snapshot if they are compacted. Returns
 *  whether a message went out. Sends nothing while the progress is paused, and nothing when
 *  there are no entries unless sendIfEmpty. */
export function maybeSendAppend(r: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.trk.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  if (prevIndex < r.raftLog.firstIndex() - 1) return sendSnapshot(r, to, pr);
  const prevTerm = r.raftLog.term(prevIndex);
  let entries: Entry[] = [];
  try {
    // With full inflights only an empty append may go (after a heartbeat answer unpaused us).
    if (pr.state !== 'replicate' || !pr.inflights.full()) entries = r.raftLog.entriesFrom(pr.next, r.maxMsgSize);
  } catch (err) {
    if (err instanceof CompactedError) return sendSnapshot(r, to, pr);
    if (err instanceof LogTemporarilyUnavailableError) {
      r.noteFetch(err); // resent from onEntriesFetched()
      return false;
    }
    throw err;
  }
  if (entries.length === 0 && !sendIfEmpty) return false;
  r.send({ type: 'app', to, index: prevIndex, logTerm: prevTerm, entries, commit: r.raftLog.committed });
  pr.sentEntries(entries.length, prevIndex + entries.length, entriesBytes(entries));
  return true;
}

/** The follower needs compacted entries: send the snapshot metadata (small, inline). Only to a
 *  recently active follower, so a dead one is not sent snapshots forever. */
function sendSnapshot(r: Raft, to: NodeId, pr: Progress): boolean {
  if (!pr.recentActive) return false;
  const snapshot = r.raftLog.storage.snapshotMeta();
  pr.becomeSnapshot(snapshot.index);
  pr.snapshotSentRound = r.heartbeatRounds;
  r.send({ type: 'snap', to, snapshot });
  return true;
}

export function bcastAppend(r: Raft): void {
  for (const id of r.trk.memberIds()) if (id !== r.id) sendAppend(r, id);
}

/** Tells the members a new commit index (with any entries they still lack), but not a voter
 *  that holds the committed entries and was promised them (commitIfDurable): it committed when
 *  its write ended, or does when the promise arrives, and a heartbeat repeats it anyway. */
export function bcastCommit(r: Raft): void {
  const committed = r.raftLog.committed;
  const last = r.raftLog.lastIndex();
  for (const id of r.trk.memberIds()) {
    const pr = r.trk.progress.get(id)!;
    if (id === r.id || pr.match >= committed && pr.commitIfDurableSent >= committed && pr.next > last) continue;
    sendAppend(r, id);
  }
}

/** Heartbeats carry the newest pending read's context, so a lost round is retried. */
export function bcastHeartbeat(r: Raft, ctx: Uint8Array | null = r.readOnly.lastPendingContext()): void {
  for (const id of r.trk.memberIds()) {
    if (id !== r.id) sendHeartbeat(r, id, ctx ?? EMPTY_BYTES);
  }
}

/** The commit index sent is capped at the follower's match: it may not have the rest yet. */
export function sendHeartbeat(r: Raft, to: NodeId, ctx: Uint8Array): void {
  const pr = r.trk.progress.get(to)!;
  r.send({ type: 'heartbeat', to, commit: Math.min(pr.match, r.raftLog.committed), context: ctx });
}

/** Advances commit to the quorum's match index if that entry is of our term (Figure 8). */
export function maybeCommit(r: Raft): boolean {
  return r.raftLog.maybeCommit(r.trk.committed(), r.term);
}

/** Tells each voter with appends in flight which index is committed once it holds them durably:
 *  the quorum of the durable copies known here (ours and the acks so far) with that voter counted
 *  at the last entry sent to it. Only an index of our term (Figure 8), each at most once. So a
 *  follower whose write ends after ours (or after another follower's ack) commits at once,
 *  instead of after its ack's round trip through us. */
export function sendCommitsIfDurable(r: Raft): void {
  const committed = r.raftLog.committed;
  for (const id of r.trk.voterIds()) {
    const pr = r.trk.progress.get(id);
    if (id === r.id || pr === undefined || pr.state !== 'replicate') continue;
    const sent = pr.next - 1;
    if (sent <= pr.match) continue;
    const commit = Math.min(sent, r.trk.committedIf(id, sent));
    if (commit <= committed || commit <= pr.commitIfDurableSent || r.raftLog.termOrZero(commit) !== r.term) continue;
    pr.commitIfDurableSent = commit;
    r.send({ type: 'commitIfDurable', to: id, index: sent, logTerm: r.raftLog.termOrZero(sent), commit });
  }
}

export function committedEntryInCurrentTerm(r: Raft): boolean {
  return r.raftLog.termOrZero(r.raftLog.committed) === r.term;
}

export function sendTimeoutNow(r: Raft, to: NodeId): void {
  r.send({ type: 'timeoutNow', to });
}

// ---- ReadIndex --------------------------------------------------------------------------------

/** Serves or queues a read (safe mode). Before it committed an entry of its term, a new leader
 *  does not know the true commit index, so reads wait for that. */
export function leaderReadIndex(r: Raft, m: Message): void {
  if (!committedEntryInCurrentTerm(r)) {
    r.pendingReadIndexMessages.push(m);
    return;
  }
  serveReadIndex(r, m);
}

function serveReadIndex(r: Raft, m: Message): void {
  if (r.trk.isSingleton(r.id)) {
    respondReadIndex(r, m, r.raftLog.committed);
    return;
  }
  r.readOnly.addRequest(r.raftLog.committed, m);
  r.readOnly.recvAck(r.id, m.context);
  bcastHeartbeat(r, m.context);
}

export function releasePendingReads(r: Raft): void {
  if (r.pendingReadIndexMessages.length === 0 || !committedEntryInCurrentTerm(r)) return;
  const pending = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const m of pending) serveReadIndex(r, m);
}

/** A heartbeat answer echoed a read's context: once a quorum did, release the reads. */
export function ackReadIndex(r: Raft, from: NodeId, ctx: Uint8Array): void {
  const acks = r.readOnly.recvAck(from, ctx);
  if (acks === null) return;
  const votes = new Map<NodeId, boolean>();
  for (const id of acks) votes.set(id, true);
  if (majorityVoteResult(r.trk.config.voters, votes) !== 'won') return;
  for (const rs of r.readOnly.advance(ctx)) respondReadIndex(r, rs.request, rs.index);
}

function respondReadIndex(r: Raft, req: Message, index: number): void {
  if (req.from === NONE || req.from === r.id) {
    r.readStates.push({ index, requestCtx: req.context });
  } else {
    r.send({ type: 'readIndexResp', to: req.from, index, context: req.context });
  }
}
