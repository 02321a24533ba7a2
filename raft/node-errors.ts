// Errors the RaftNode driver (raft/node.ts) hands to its callers. Match on `code` (stable),
// not on instanceof.
import type { NodeId } from './core/types.js';

export type RaftNodeErrorCode =
  | 'RAFT_NOT_LEADER'
  | 'RAFT_LEADERSHIP_LOST'
  | 'RAFT_PROPOSAL_DROPPED'
  | 'RAFT_CONF_CHANGE_REJECTED'
  | 'RAFT_ENTRY_REFUSED'
  | 'RAFT_TRANSFER_FAILED'
  | 'RAFT_READ_INDEX_TIMEOUT'
  | 'RAFT_PERSIST_FAILED'
  | 'RAFT_APPLY_FAILED'
  | 'RAFT_NODE_STOPPED';

export class RaftNodeError extends Error {
  constructor(readonly code: RaftNodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** This node is not the leader; `leader` is the leader it knows of (0: none). Nothing was
 *  appended, so retrying at `leader` is safe. */
export class NotLeaderError extends RaftNodeError {
  constructor(readonly leader: NodeId, operation: string) {
    super('RAFT_NOT_LEADER', `${operation}: not the leader (known leader: ${leader === 0 ? 'none' : leader})`);
  }
}

/** The entry was appended but this node lost leadership before seeing it committed, or the
 *  index ended up holding another entry. Its fate is unknown to the caller: it may still be
 *  committed by the new leader (the caller re-reads the log to find out). */
export class LeadershipLostError extends RaftNodeError {
  constructor(readonly index: number, readonly term: number, why: string) {
    super('RAFT_LEADERSHIP_LOST', `entry ${index} (term ${term}): ${why}`);
  }
}

/** The leader refused the proposal without appending it (transfer in progress, uncommitted
 *  bytes over the limit, a conf change already pending). Safe to retry later. */
export class ProposalRefusedError extends RaftNodeError {
  /** `detail`: what the core said about it (e.g. why a conf change is invalid). */
  constructor(readonly reason: string, readonly leader: NodeId, readonly detail = '') {
    super('RAFT_PROPOSAL_DROPPED', `proposal refused: ${reason}${detail === '' ? '' : ` (${detail})`}`);
  }
}

/** A membership change was committed as a no-op (the core replaced it, e.g. because another
 *  change was pending) or was refused. */
export class ConfChangeRejectedError extends RaftNodeError {
  constructor(why: string) {
    super('RAFT_CONF_CHANGE_REJECTED', `membership change rejected: ${why}`);
  }
}

/** The entry was committed, but the application's state machine refused it when it applied it
 *  (for the relay: a record that does not continue its log). The proposer must not treat it as
 *  accepted; what the application keeps is as if the entry were empty. */
export class EntryRefusedError extends RaftNodeError {
  constructor(readonly index: number, why: string) {
    super('RAFT_ENTRY_REFUSED', `entry ${index} was refused by the state machine: ${why}`);
  }
}

export class TransferFailedError extends RaftNodeError {
  constructor(readonly target: NodeId, why: string) {
    super('RAFT_TRANSFER_FAILED', `leadership transfer to ${target} failed: ${why}`);
  }
}

export class ReadIndexTimeoutError extends RaftNodeError {
  constructor(timeoutMs: number) {
    super('RAFT_READ_INDEX_TIMEOUT', `read index not confirmed within ${timeoutMs} ms`);
  }
}

/** A persist (write or fsync) failed. The node stopped at once: after a failed fsync the disk
 *  state is unknown, so the only safe continuation is a restart from what is on disk. */
export class PersistFailedError extends RaftNodeError {
  constructor(cause: unknown) {
    super('RAFT_PERSIST_FAILED', `persist failed, node stopped: ${errorText(cause)}`, { cause });
  }
}

/** The application's apply callback threw: the node stopped (it cannot skip an entry). */
export class ApplyFailedError extends RaftNodeError {
  constructor(readonly index: number, cause: unknown) {
    super('RAFT_APPLY_FAILED', `applying up to entry ${index} failed, node stopped: ${errorText(cause)}`, { cause });
  }
}

/** The node is stopped (by stop() or by a fatal error, carried as `cause`). */
export class NodeStoppedError extends RaftNodeError {
  constructor(cause?: unknown) {
    super('RAFT_NODE_STOPPED', cause === undefined ? 'raft node stopped' : `raft node stopped: ${errorText(cause)}`,
      cause === undefined ? undefined : { cause });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
