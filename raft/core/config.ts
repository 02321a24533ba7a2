// Configuration of one raft node. Re-exported from raw-node.ts, where drivers import it.
import { RaftUsageError } from './errors.js';
import type { Rng } from './rng.js';
import type { NodeId } from './types.js';

export interface RaftConfig {
  /** This node's id, > 0. */
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns; the actual timeout is
   *  drawn from [electionTick, 2 * electionTick) after every reset. Must exceed heartbeatTick. */
  electionTick: number;
  /** Ticks between a leader's heartbeats, > 0. */
  heartbeatTick: number;
  /** Run a pre-vote round (thesis §9.6) before bumping the term. */
  preVote: boolean;
  /** Leader steps down without quorum contact for an election timeout; followers that heard
   *  from a leader within the election timeout ignore (pre)votes. */
  checkQuorum: boolean;
  /** Payload bytes per append message (at least one entry is always sent). */
  maxSizePerMsg: number;
  /** Appends in flight per follower in replicate state, > 0. */
  maxInflightMsgs: number;
  /** Payload bytes in flight per follower; 0 = unlimited. */
  maxInflightBytes: number;
  /** Payload bytes of uncommitted entries the leader accepts; 0 = unlimited. */
  maxUncommittedEntriesSize: number;
  /** Last applied index at restart (default: the snapshot index). */
  applied?: number;
  /** Payload bytes of committed entries per Ready (default: maxSizePerMsg, at least 1 entry). */
  maxCommittedSizePerReady?: number;
  rng: Rng;
}

export function validateConfig(c: RaftConfig): void {
  const fail = (why: string): never => {
    throw new RaftUsageError(`invalid raft config: ${why}`);
  };
  if (!Number.isSafeInteger(c.id) || c.id <= 0) fail(`id must be a positive integer, got ${c.id}`);
  if (!Number.isSafeInteger(c.heartbeatTick) || c.heartbeatTick <= 0) fail('heartbeatTick must be > 0');
  if (!Number.isSafeInteger(c.electionTick) || c.electionTick <= c.heartbeatTick) {
    fail('electionTick must be an integer > heartbeatTick');
  }
  if (!Number.isSafeInteger(c.maxInflightMsgs) || c.maxInflightMsgs <= 0) fail('maxInflightMsgs must be > 0');
  if (c.maxSizePerMsg < 0 || c.maxInflightBytes < 0 || c.maxUncommittedEntriesSize < 0) {
    fail('byte limits must be >= 0');
  }
  if (c.maxInflightBytes !== 0 && c.maxInflightBytes < c.maxSizePerMsg) {
    fail('maxInflightBytes must be >= maxSizePerMsg (or 0)');
  }
}
