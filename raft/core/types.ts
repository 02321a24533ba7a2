// The data the raft core exchanges with its driver. Plain objects, plain numbers
// (indexes and terms stay far below 2^53; codecs assert Number.isSafeInteger).
// Node ids are non-zero integers; 0 means "none".

export type NodeId = number;
export const NONE: NodeId = 0;

/** What an entry carries. `normal` entries hold opaque application bytes (possibly empty:
 *  a new leader appends one empty entry of its own term). */
export type EntryType = 'normal' | 'confChange';

/** One raft log entry. `index` is its position in the log, starting at 1. */
export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** Single-server membership change (Raft thesis §4.1, etcd's apply-time rule). */
export type ConfChangeType = 'addNode' | 'addLearner' | 'removeNode';

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  /** Opaque to raft: the application stores the peer's address here. */
  readonly context: Uint8Array;
}

/** Membership: voters vote and count for quorum; learners only receive the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** What must be on disk before a node answers votes or appends. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

/** Metadata-only snapshot: the log prefix up to `index` is compacted away. The relay's own
 *  state at that point (GTID sets, file map) travels in `data`, opaque to raft. */
export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
  readonly data: Uint8Array;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly leader: NodeId;
  readonly role: Role;
}

export type MessageType =
  | 'hup' // local: start an election
  | 'beat' // local: leader sends heartbeats
  | 'prop' // local: propose entries
  | 'app'
  | 'appResp'
  | 'preVote'
  | 'preVoteResp'
  | 'vote'
  | 'voteResp'
  | 'snap'
  | 'heartbeat'
  | 'heartbeatResp'
  | 'transferLeader'
  | 'timeoutNow'
  | 'readIndex'
  | 'readIndexResp'
  | 'unreachable'
  | 'snapStatus'
  // leader → follower: index `commit` (of the leader's term) is committed once the follower's log,
  // matching the leader's at (index, logTerm), holds it durably (see replication.ts)
  | 'commitIfDurable';

/** A raft message. One flat shape (as etcd's raftpb.Message) keeps the codec simple;
 *  fields a type does not use are 0 / empty. */
export interface Message {
  readonly type: MessageType;
  /** The sender; for transferLeader, the transferee (as in etcd), kept when forwarded. */
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** app: term of the entry at `index`; vote/preVote: term of the candidate's last entry. */
  readonly logTerm: number;
  /** app: index preceding `entries`; appResp: the follower's last matching (or rejected) index;
   *  vote/preVote: the candidate's last index. */
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  /** appResp on reject: the follower's hint (its last index at most logTerm). */
  readonly rejectHint: number;
  readonly snapshot: SnapshotMeta | null;
  /** readIndex / heartbeat: request context echoed back. */
  readonly context: Uint8Array;
}

/** A linearizable read that is now safe to serve once `index` is applied. */
export interface ReadState {
  readonly index: number;
  readonly requestCtx: Uint8Array;
}
