// Typed errors of the snapshot file transfer (transfer-frame.ts, file-range-stream.ts,
// snapshot-transfer.ts). SnapshotTransferError is what callers see and branch on (`code`);
// TransferAttemptError is one failed attempt of a download, which the client retries from the last
// verified offset and reports through `onRetry`.

export type SnapshotTransferErrorCode =
  /** The range is not 0 ≤ from ≤ to in safe integers, or the destination file is shorter than `from`. */
  | 'SNAPSHOT_BAD_RANGE'
  /** Server side: the file does not exist. */
  | 'SNAPSHOT_FILE_MISSING'
  /** Server side: the file ends before `to` (a lagging member, or a range the state never had). */
  | 'SNAPSHOT_FILE_SHORT'
  /** Client side: the range was not received and verified before the deadline, or was refused for good. */
  | 'SNAPSHOT_TRANSFER_FAILED'
  /** Client side: the caller's signal aborted the download. */
  | 'SNAPSHOT_TRANSFER_ABORTED';

export interface SnapshotTransferErrorDetails {
  file?: string;
  /** The byte offset verified and written so far (client), or the file's size (server, FILE_SHORT). */
  offset?: number;
  attempts?: number;
}

export class SnapshotTransferError extends Error {
  constructor(
    readonly code: SnapshotTransferErrorCode,
    message: string,
    readonly details: SnapshotTransferErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SnapshotTransferError';
  }
}

export type TransferAttemptFailure =
  /** The server answered an HTTP error (its message is in the error's message). */
  | 'HTTP_STATUS'
  /** The connection failed or closed before the end frame. */
  | 'DISCONNECTED'
  /** No byte arrived for the idle timeout. */
  | 'STALLED'
  /** A frame's bytes do not match its CRC32. */
  | 'BAD_CRC'
  /** A frame is malformed: longer than the limit, past `to`, or an end frame that does not match. */
  | 'BAD_FRAME'
  /** Writing the local file failed (disk full, I/O error): not retried. */
  | 'LOCAL_WRITE';

export class TransferAttemptError extends Error {
  /** The HTTP status of an HTTP_STATUS failure, else null. */
  readonly httpStatus: number | null;

  constructor(
    readonly reason: TransferAttemptFailure,
    message: string,
    /** False when retrying cannot help (a 400, 401, 403 or 404; a local write error): the download fails at once. */
    readonly retryable = true,
    options?: { cause?: unknown; httpStatus?: number },
  ) {
    super(message, options);
    this.name = 'TransferAttemptError';
    this.httpStatus = options?.httpStatus ?? null;
  }
}
