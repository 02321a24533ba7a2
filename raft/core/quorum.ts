// Quorum arithmetic over voter sets. A majority config is a set of voters; a joint config (for
// a future ConfChangeV2) is two majority configs that must both agree.
import type { NodeId } from './types.js';

export type VoteResult = 'pending' | 'lost' | 'won';

/** Stands for "no constraint": the committed index of an empty config, so that the min() of a
 *  joint config is decided by the other half. */
export const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** The highest index acknowledged by a majority of `voters`, given each voter's acked index
 *  (missing = 0). An empty config returns NO_LIMIT. */
export function majorityCommitted(voters: ReadonlySet<NodeId>, acked: (id: NodeId) => number | undefined): number {
  if (voters.size === 0) return NO_LIMIT;
  const indexes: number[] = [];
  for (const id of voters) indexes.push(acked(id) ?? 0);
  indexes.sort((a, b) => b - a);
  // With n voters, the (floor(n/2)+1)-th highest index is held by a majority.
  return indexes[Math.floor(voters.size / 2)]!;
}

/** The outcome of an election among `voters` given the votes seen so far (true = granted).
 *  Votes from non-voters are ignored. An empty config wins (by convention, as in joint use). */
export function majorityVoteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const quorum = Math.floor(voters.size / 2) + 1;
  if (granted >= quorum) return 'won';
  if (granted + missing >= quorum) return 'pending';
  return 'lost';
}

/** Joint consensus: both halves must commit. */
export function jointCommitted(
  incoming: ReadonlySet<NodeId>, outgoing: ReadonlySet<NodeId>, acked: (id: NodeId) => number | undefined,
): number {
  return Math.min(majorityCommitted(incoming, acked), majorityCommitted(outgoing, acked));
}

/** Joint consensus: won when both halves won, lost when either lost. */
export function jointVoteResult(
  incoming: ReadonlySet<NodeId>, outgoing: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  const a = majorityVoteResult(incoming, votes);
  const b = majorityVoteResult(outgoing, votes);
  if (a === b) return a;
  if (a === 'lost' || b === 'lost') return 'lost';
  return 'pending';
}
