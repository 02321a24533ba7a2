// Typed errors of the binlog codec. Callers branch on `code`, never on the message text.

export type BinlogErrorCode =
  /** The input ended inside an event (or inside the 4-byte magic). */
  | 'BINLOG_TRUNCATED'
  /** An event's CRC32 does not match its bytes. */
  | 'BINLOG_BAD_CHECKSUM'
  /** A file does not start with the binlog magic `\xfebin`. */
  | 'BINLOG_BAD_MAGIC'
  /** An event header announces a length that cannot be right (below 19 bytes or above the limit). */
  | 'BINLOG_BAD_EVENT_LENGTH'
  /** An event body is shorter than its layout or holds impossible values. */
  | 'BINLOG_BAD_EVENT'
  /** A GTID or GTID set (text or binary) is malformed. */
  | 'BINLOG_BAD_GTID';

export class BinlogError extends Error {
  readonly code: BinlogErrorCode;
  /** Offset in the stream (file offset for files) of the event concerned, when known. */
  readonly offset: number | undefined;

  constructor(code: BinlogErrorCode, message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at offset ${offset})`);
    this.name = 'BinlogError';
    this.code = code;
    this.offset = offset;
  }
}

export function isBinlogError(err: unknown): err is BinlogError {
  return err instanceof BinlogError;
}
