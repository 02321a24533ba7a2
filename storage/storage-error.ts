// Typed errors of the storage layer. Callers branch on `code`, never on the message text.
// Any of these from RaftStore.persist() or compact() means the node must stop: the on-disk state is
// no longer known to match memory (the driver crashes the node and recovery reopens from disk).

export type StorageErrorCode =
  /** Stored bytes do not decode, fail their checksum, or contradict each other at open. */
  | 'ERR_STORAGE_CORRUPT'
  /** The data dir was written in a format this version does not read. */
  | 'ERR_STORAGE_FORMAT'
  /** The caller broke the store's contract (a gap in entries, a write below the snapshot…). */
  | 'ERR_STORAGE_INVALID_ARGUMENT'
  /** A write failed; the store refuses further writes until it is reopened. */
  | 'ERR_STORAGE_WRITE_FAILED'
  /** The store was closed. */
  | 'ERR_STORAGE_CLOSED';

export class StorageError extends Error {
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
  }
}

export function isStorageError(err: unknown): err is StorageError {
  return err instanceof StorageError;
}
