// A purge of the relay's binlog files, as asked by an operator (PURGE BINARY LOGS, the admin API)
// or by retention. The leader turns every request into "purge every file before `to`" and
// replicates that, so every node deletes the same files.

export type PurgeRequest = { to: string } | { before: Date };

export interface PurgeResult {
  /** Files removed from the relay's binlog index by this purge, oldest first. */
  purged: string[];
  /** Files a connected replica of this node still reads: gone from the index, deleted from disk
   *  once the replica moves on. */
  heldBack: string[];
}

/** Why a purge was refused, with the MariaDB error a binlog server client gets for it. */
export class PurgeError extends Error {
  constructor(
    readonly code: 'PURGE_TARGET_NOT_FOUND' | 'PURGE_NOT_LEADER' | 'PURGE_UNAVAILABLE',
    message: string,
  ) {
    super(message);
  }
}
