// Typed errors of the raft core. Expected conditions get a class with a stable `code` (match on
// `error.code` across package boundaries, not on `instanceof`); a violated invariant is a
// RaftInvariantError, which the core never catches: it means a bug, and the process should crash.

export type RaftErrorCode =
  | 'RAFT_COMPACTED'
  | 'RAFT_UNAVAILABLE'
  | 'RAFT_LOG_TEMPORARILY_UNAVAILABLE'
  | 'RAFT_PROPOSAL_DROPPED'
  | 'RAFT_NOT_LEADER'
  | 'RAFT_INVALID_USE'
  | 'RAFT_INVARIANT';

export class RaftError extends Error {
  readonly code: RaftErrorCode;

  constructor(code: RaftErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The requested index is below the storage's first index (the prefix was compacted). */
export class CompactedError extends RaftError {
  constructor(readonly index: number, readonly firstIndex: number) {
    super('RAFT_COMPACTED', `index ${index} is compacted (first index ${firstIndex})`);
  }
}

/** The requested index is above the last index: the entry does not exist (yet). */
export class UnavailableError extends RaftError {
  constructor(readonly index: number, readonly lastIndex: number) {
    super('RAFT_UNAVAILABLE', `index ${index} is unavailable (last index ${lastIndex})`);
  }
}

/** The entries exist on disk but are not in memory. The driver loads `[lo, hi)` asynchronously,
 *  then calls RawNode.onEntriesFetched(). Thrown by LogStorage.entries(), caught by the core. */
export class LogTemporarilyUnavailableError extends RaftError {
  constructor(readonly lo: number, readonly hi: number) {
    super('RAFT_LOG_TEMPORARILY_UNAVAILABLE', `entries [${lo}, ${hi}) are not in memory`);
  }
}

export type ProposalDropReason =
  | 'notLeader'
  | 'leaderTransferring'
  | 'uncommittedLimit'
  | 'confChangePending'
  | 'invalidConfChange'
  | 'removed';

/** A proposal was not appended to the log; nothing was written. `leader` is the known leader
 *  (0 when none), so the caller can redirect. */
export class ProposalDroppedError extends RaftError {
  constructor(readonly reason: ProposalDropReason, readonly leader: number, readonly detail = '') {
    super('RAFT_PROPOSAL_DROPPED', `proposal dropped: ${reason}${detail === '' ? '' : ` (${detail})`}`);
  }
}

/** An operation that needs a leader found none to serve or forward it. */
export class NotLeaderError extends RaftError {
  constructor(readonly leader: number, operation: string) {
    super('RAFT_NOT_LEADER', `${operation} needs a leader (known leader: ${leader})`);
  }
}

/** The caller broke the RawNode contract (e.g. stepped a local message type, two Readys in
 *  flight). A bug in the driver, not in the core. */
export class RaftUsageError extends RaftError {
  constructor(message: string) {
    super('RAFT_INVALID_USE', message);
  }
}

/** An invariant of the core does not hold. Never caught inside the core. */
export class RaftInvariantError extends RaftError {
  constructor(message: string) {
    super('RAFT_INVARIANT', message);
  }
}
