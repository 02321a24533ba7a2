// Typed errors of the relay log. RelayCorruptError means the node cannot vouch for its bytes or
// state (a file shorter than its checkpoint, a bad CRC where bytes were written by us, a state
// record that does not decode): the node stops and exits non-zero naming the cause (DESIGN.md
// invariant 7) instead of serving or retrying.

export class RelayCorruptError extends Error {
  readonly code = 'RELAY_CORRUPT';
}

export class RelayReadError extends Error {
  constructor(
    readonly code: 'RELAY_POSITION_MID_EVENT' | 'RELAY_POSITION_UNKNOWN' | 'RELAY_LOG_INCONSISTENT',
    message: string,
  ) {
    super(message);
  }
}

/** No member holds a file a snapshot names any more: the cluster purged it meanwhile. */
export class SnapshotFileGoneError extends Error {
  readonly code = 'RELAY_SNAPSHOT_FILE_GONE';
  constructor(readonly file: string) {
    super(`no member holds ${file} any more (purged since the snapshot was taken)`);
  }
}
