// Elections: starting a (pre-)campaign, counting votes, answering vote requests (§5.2, §5.4.1,
// thesis §9.6 pre-vote).
import type { VoteResult } from './quorum.js';
import type { Raft } from './raft.js';
import { EMPTY_BYTES, TRANSFER_CONTEXT } from './message.js';
import { NONE, type Message, type MessageType, type NodeId } from './types.js';

/** preElection: pre-vote round at term+1 without changing state; election: real vote;
 *  transfer: real vote the voters grant even within a leader's lease (asked by the leader). */
export type CampaignKind = 'preElection' | 'election' | 'transfer';

export function campaign(r: Raft, kind: CampaignKind): void {
  let voteType: MessageType;
  let term: number;
  if (kind === 'preElection') {
    r.becomePreCandidate();
    voteType = 'preVote';
    term = r.term + 1; // the term we would campaign in; ours does not change yet
  } else {
    r.becomeCandidate();
    voteType = 'vote';
    term = r.term;
  }
  if (poll(r, r.id, true) === 'won') {
    // A single voter wins at once.
    if (kind === 'preElection') campaign(r, 'election');
    else r.becomeLeader();
    return;
  }
  const index = r.raftLog.lastIndex();
  const logTerm = r.raftLog.lastTerm();
  const context = kind === 'transfer' ? TRANSFER_CONTEXT : EMPTY_BYTES;
  for (const id of r.trk.voterIds()) {
    if (id === r.id) continue;
    r.send({ type: voteType, to: id, term, index, logTerm, context });
  }
}

export function poll(r: Raft, from: NodeId, granted: boolean): VoteResult {
  r.trk.recordVote(from, granted);
  return r.trk.voteResult();
}

/** Answers a vote or pre-vote request whose term is >= ours (lower terms were filtered). We
 *  grant when we could vote for the sender (already did, or have no vote and know no leader; a
 *  pre-vote for a future term is always possible) and its log is at least as up to date. */
export function handleVoteRequest(r: Raft, m: Message): void {
  const isPre = m.type === 'preVote';
  const respType: MessageType = isPre ? 'preVoteResp' : 'voteResp';
  const canVote = r.vote === m.from || (r.vote === NONE && r.lead === NONE) || (isPre && m.term > r.term);
  if (canVote && r.raftLog.isUpToDate(m.index, m.logTerm)) {
    // Answer in the request's term: for a pre-vote that is a term we have not entered.
    r.send({ type: respType, to: m.from, term: m.term });
    if (!isPre) {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.send({ type: respType, to: m.from, term: r.term, reject: true });
  }
}
