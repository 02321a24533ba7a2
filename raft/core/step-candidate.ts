// Candidate and pre-candidate message handling (messages of our term, or local ones).
import { campaign, poll } from './election.js';
import type { Raft } from './raft.js';
import { bcastAppend } from './replication.js';
import { handleAppend, handleHeartbeat, handleSnapshot } from './step-follower.js';
import { NONE, type Message } from './types.js';

export function stepCandidate(r: Raft, m: Message): void {
  // Only answers to our own kind of request count: a pre-candidate ignores stale voteResps.
  const myVoteResp = r.state === 'preCandidate' ? 'preVoteResp' : 'voteResp';
  switch (m.type) {
    case 'app':
      // A leader of our term exists: follow it.
      r.becomeFollower(m.term, m.from);
      handleAppend(r, m);
      return;
    case 'heartbeat':
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return;
    case 'snap':
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return;
    case myVoteResp:
      countVote(r, m);
      return;
    default:
      return; // timeoutNow, readIndex, transferLeader: no leader to act for
  }
}

function countVote(r: Raft, m: Message): void {
  switch (poll(r, m.from, !m.reject)) {
    case 'won':
      if (r.state === 'preCandidate') {
        campaign(r, 'election');
      } else {
        r.becomeLeader();
        bcastAppend(r);
      }
      return;
    case 'lost':
      // The term stays (a pre-candidate never bumped it); wait for a leader or a timeout.
      r.becomeFollower(r.term, NONE);
      return;
    case 'pending':
      return;
  }
}
