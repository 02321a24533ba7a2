// Typed refusals of a binlog import (src/syncer/binlog-import.ts). Callers branch on `code`;
// `file` names the binlog file concerned (its path) and `offset` the event inside it, when known.

export type BinlogImportErrorCode =
  /** The path is not a readable directory. */
  | 'IMPORT_NO_DIRECTORY'
  /** No binlog file (and no index naming one) was found. */
  | 'IMPORT_NO_FILES'
  /** Several `.index` files and no base name to choose between them. */
  | 'IMPORT_AMBIGUOUS_INDEX'
  /** The index names a file the directory does not hold. */
  | 'IMPORT_MISSING_FILE'
  /** The files are not all `<one base>.<digits>`. */
  | 'IMPORT_MIXED_NAMES'
  /** The numbering skips a file (or the index lists files out of order). */
  | 'IMPORT_GAP'
  /** A file does not start with the binlog magic `\xfebin`. */
  | 'IMPORT_BAD_MAGIC'
  /** An event is damaged: bad CRC32, impossible length, or not a binlog layout. */
  | 'IMPORT_CORRUPT'
  /** A file other than the last ends inside an event or a transaction. */
  | 'IMPORT_INCOMPLETE_FILE'
  /** The file is encrypted on disk: only the upstream's dump can decrypt it. */
  | 'IMPORT_ENCRYPTED'
  /** A proposal was refused (lost leadership, raft stopped): the import stopped there. */
  | 'IMPORT_PROPOSE_FAILED';

export class BinlogImportError extends Error {
  constructor(
    readonly code: BinlogImportErrorCode,
    message: string,
    readonly file: string | null = null,
    readonly offset: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BinlogImportError';
  }
}
