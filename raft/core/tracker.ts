// The membership configuration and, on the leader, every member's Progress; also the votes of
// the current election. Iteration is always in ascending id order (determinism).
import { majorityCommitted, majorityVoteResult, type VoteResult } from './quorum.js';
import { Inflights } from './inflights.js';
import { Progress } from './progress.js';
import type { ConfState, NodeId } from './types.js';

/** Voters and learners; the two sets are disjoint. */
export interface TrackerConfig {
  readonly voters: ReadonlySet<NodeId>;
  readonly learners: ReadonlySet<NodeId>;
}

export interface InflightLimits {
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
}

export function sortedIds(ids: Iterable<NodeId>): NodeId[] {
  return [...ids].sort((a, b) => a - b);
}

/** Invariants: `progress` has exactly one entry per member (voter or learner), and
 *  progress.get(id).isLearner === config.learners.has(id). */
export class ProgressTracker {
  config: TrackerConfig = { voters: new Set(), learners: new Set() };
  progress = new Map<NodeId, Progress>();
  votes = new Map<NodeId, boolean>();
  readonly limits: InflightLimits;

  constructor(limits: InflightLimits) {
    this.limits = limits;
  }

  newProgress(match: number, next: number, isLearner: boolean): Progress {
    return new Progress(match, next, new Inflights(this.limits.maxInflightMsgs, this.limits.maxInflightBytes), isLearner);
  }

  /** Members (voters and learners) in ascending id order. */
  memberIds(): NodeId[] {
    return sortedIds(this.progress.keys());
  }

  voterIds(): NodeId[] {
    return sortedIds(this.config.voters);
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters.has(id);
  }

  /** Exactly one voter and it is `id`. */
  isSingleton(id: NodeId): boolean {
    return this.config.voters.size === 1 && this.config.voters.has(id);
  }

  confState(): ConfState {
    return { voters: sortedIds(this.config.voters), learners: sortedIds(this.config.learners) };
  }

  /** The highest index stored on a quorum of voters. */
  committed(): number {
    return majorityCommitted(this.config.voters, (id) => this.progress.get(id)?.match);
  }

  /** The highest index stored on a quorum of voters if voter `id` held the log through `match`. */
  committedIf(id: NodeId, match: number): number {
    return majorityCommitted(this.config.voters, (v) => v === id ? match : this.progress.get(v)?.match);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records a vote; a voter's first answer in an election is the one that counts. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  voteResult(): VoteResult {
    return majorityVoteResult(this.config.voters, this.votes);
  }

  tally(): { granted: number; rejected: number } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.config.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected };
  }

  /** Whether a quorum of voters was recently active (`self` always counts as active). */
  quorumActive(self: NodeId): boolean {
    const active = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) {
      if (this.config.voters.has(id)) active.set(id, id === self || pr.recentActive);
    }
    return majorityVoteResult(this.config.voters, active) === 'won';
  }
}
