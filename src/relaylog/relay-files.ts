import type { MemberAttributes } from './relay-entry.js';

// What the relay knows of each binlog file it mirrors. Files keep the upstream's names and
// positions (DESIGN.md invariant 4); `seq` is the relay's own order of files, used in keys.

export interface RelayFile {
  /** The relay's sequence number of this file, from 1, in the order files were first seen. */
  seq: number;
  /** The upstream's file name, e.g. `up-bin.000003`. */
  name: string;
  /** First position the relay holds: 4 for a whole file, later when the relay started mid-file. */
  firstPos: number;
  /** Served end: every byte in [firstPos, endPos) is committed and ends at a transaction boundary. */
  endPos: number;
  /** The file's FORMAT_DESCRIPTION event as written (base64), once seen. */
  fde: string | null;
  /** GTID state at firstPos in the upstream's text form: the file's GTID_LIST / PREVIOUS_GTIDS when
   *  the file is whole, else the relay's executed state where it started. */
  startGtids: string;
  /** The file ended with a ROTATE to the next one. */
  rotated: boolean;
  /** server_id of the upstream that wrote the file (from its FDE). */
  serverId: number;
  /** Header timestamp (seconds) of the newest event published in the file: its "modification
   *  time" for PURGE BEFORE and retention by age, the same on every node. */
  lastEventTime: number;
}

/** A transaction (or group) whose pieces are applied (and written past the file's served end)
 *  but whose end is not yet. */
export interface PendingGroup {
  file: string;
  startPos: number;
  nextPos: number;
  firstIndex: number;
}

/** The relay's state besides its files: small, checkpointed with every applied batch. */
export interface RelayHead {
  version: 2;
  flavor: 'mariadb' | 'mysql' | null;
  /** Executed GTID set/position in the upstream's text form. */
  executed: string;
  /** GTIDs no longer served (before the first file the relay holds). */
  purged: string;
  /** Raft index of the last entry included in this state (always the applied index). */
  checkpointIndex: number;
  /** The latest syncer settings record (null: never started, or stopped). */
  syncer: unknown;
  /** The latest UPSTREAM record: the identity of the upstream the relay follows (null: none yet). */
  upstream: unknown;
  /** Member attributes by raft node id (decimal string), as published through MEMBER records. */
  members: Record<string, MemberAttributes>;
  /** A FORMAT record for a file not yet held: used when that file's first group is published. */
  nextFormat: { file: string; fde: string; gtids: string | null } | null;
  /** Records refused by the continuity check (a count; each one is logged). */
  refused: number;
  /** Served end of the newest file (its file record keeps the value of its last rewrite). */
  lastEnd: number;
  pending: PendingGroup | null;
  /** Files of an installed snapshot that the cluster purged before this node fetched them:
   *  records for them that follow in the log are skipped (a purge record ahead drops them on
   *  every node). Emptied by the first record of another file. */
  gone: string[];
}

/** The whole relay state at one index: what a snapshot carries and what a restart rebuilds. */
export interface RelayState {
  head: RelayHead;
  files: RelayFile[];
}

export function emptyRelayHead(): RelayHead {
  return { version: 2, flavor: null, executed: '', purged: '', checkpointIndex: 0, syncer: null, upstream: null, members: {}, nextFormat: null, refused: 0, lastEnd: 0, pending: null, gone: [] };
}

/** Reads [from, to) of `name` from another node into the local file (snapshot install). */
export type FileRangeFetcher = (name: string, from: number, to: number, destPath: string) => Promise<void>;
