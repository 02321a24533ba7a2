// Seeds an empty relay from a directory of the upstream's binlog files (a backup, or a copy of its
// datadir's binlogs), so the syncer then continues live from the upstream after the last imported
// position. The records are exactly what a syncer would have proposed from the upstream's dump of
// those files: the same bytes (src/syncer/dumped-file-events.ts), cut by the same RecordBuilder
// (whole transactions batched, large ones split into pieces without the boundary flag).
// The last file may still have been written when it was copied: only its whole transactions are
// imported (src/syncer/last-boundary.ts), so the relay ends at a boundary the syncer resumes from.
// A damaged file stops the import with a typed error; whole transactions before it stay proposed
// (the syncer can continue from there), pieces of a cut transaction are discarded with an ABORT.
import type { AbortRecord, BinlogRecord } from '../relaylog/relay-entry.js';
import { listBinlogImportFiles, type BinlogImportFile, type BinlogImportFileOptions } from './binlog-import-files.js';
import { BinlogImportError } from './binlog-import-error.js';
import { asImportError, dumpedFileEvents } from './dumped-file-events.js';
import { findLastBoundary } from './last-boundary.js';
import { ProposalWindow } from './proposal-window.js';
import { RecordBuilder, type RecordBuilderOptions } from './record-builder.js';
import { DEFAULT_SYNCER_OPTIONS } from './syncer.js';

export type ImportRecord = BinlogRecord | AbortRecord;

/** Proposes one record to raft; resolves once it is committed (or at least accepted). */
export type ProposeImportRecord = (record: ImportRecord) => Promise<unknown>;

export interface BinlogImportOptions extends BinlogImportFileOptions, Partial<RecordBuilderOptions> {
  /** Reading pauses while this many proposed bytes are unsettled (the syncer's window by default). */
  maxInflightBytes?: number;
}

export interface BinlogImportResult {
  /** Names of the files records were proposed for, oldest first. */
  files: string[];
  /** Binlog bytes proposed. */
  bytes: number;
  /** Where the relay ends after the import: the syncer resumes there. Null when nothing was imported. */
  lastFile: string | null;
  lastPos: number | null;
}

/** Imports the binlog files of `dir` through `propose`, up to the last whole transaction. */
export async function importBinlogDir(dir: string, propose: ProposeImportRecord, options: BinlogImportOptions = {}): Promise<BinlogImportResult> {
  const files = await listBinlogImportFiles(dir, options);
  const lastFile = files[files.length - 1]!;
  const lastEnd = await findLastBoundary(lastFile);
  const cutting: RecordBuilderOptions = {
    batchBytes: options.batchBytes ?? DEFAULT_SYNCER_OPTIONS.batchBytes,
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_SYNCER_OPTIONS.maxRecordBytes,
  };
  const window = new ProposalWindow(propose, options.maxInflightBytes ?? DEFAULT_SYNCER_OPTIONS.maxInflightBytes);
  const tally = new ImportTally();
  try {
    for (const file of files) {
      await importFile(file, file === lastFile ? lastEnd : undefined, cutting, window, tally);
    }
    await window.drain();
    throwIfProposalFailed(window, tally);
  } catch (err) {
    await window.drain();
    if (tally.openPieces && !window.failed) await proposeAbort(propose, tally);
    throw err;
  }
  return tally.result();
}

async function importFile(
  file: BinlogImportFile, end: number | undefined, cutting: RecordBuilderOptions,
  window: ProposalWindow<ImportRecord>, tally: ImportTally,
): Promise<void> {
  const builder = new RecordBuilder(cutting, (record) => {
    // RecordBuilder only makes BINLOG records for a start at a known file and position.
    if (record.kind !== 'binlog') throw new Error(`unexpected ${record.kind} record from a file import`);
    tally.note(record);
    window.submit(record, record.bytes.length);
  }, { file: file.name, pos: 4 });
  let eventsEnd = 4;
  try {
    for await (const events of dumpedFileEvents(file, { end })) {
      for (const event of events) {
        builder.push(event);
        eventsEnd = event.offset + event.bytes.length;
      }
      await window.whenRoom();
      throwIfProposalFailed(window, tally);
    }
    builder.flushBoundary();
  } catch (err) {
    throw asImportError(err, file);
  }
  const recordsEnd = tally.lastFile === file.name ? tally.lastPos! : 4;
  if (tally.openPieces || recordsEnd !== eventsEnd) {
    throw new BinlogImportError('IMPORT_INCOMPLETE_FILE', `${file.path} ends inside a transaction (after ${recordsEnd}): only the last file may be cut short`, file.path, recordsEnd);
  }
}

function throwIfProposalFailed(window: ProposalWindow<ImportRecord>, tally: ImportTally): void {
  const failure = window.failed;
  if (!failure) return;
  const at = tally.lastFile === null ? 'before any record' : `after ${tally.lastFile}:${tally.lastPos}`;
  throw new BinlogImportError('IMPORT_PROPOSE_FAILED', `proposing the import failed ${at}: ${describe(failure.error)}`, null, null, { cause: failure.error });
}

/** Pieces of a transaction went out and its end never will: the relay must drop them. */
async function proposeAbort(propose: ProposeImportRecord, tally: ImportTally): Promise<void> {
  try {
    await propose({ kind: 'abort', file: tally.lastFile ?? tally.pieceFile!, pos: tally.lastPos ?? 4 });
  } catch {
    // The relay also drops pending pieces when the next record does not continue them.
  }
}

/** What the proposed records add up to. */
class ImportTally {
  readonly files: string[] = [];
  bytes = 0;
  /** End of the last record that ends at a boundary: where the relay ends. */
  lastFile: string | null = null;
  lastPos: number | null = null;
  /** Records without the boundary flag went out after the last boundary. */
  openPieces = false;
  pieceFile: string | null = null;

  note(record: BinlogRecord): void {
    if (this.files[this.files.length - 1] !== record.file) this.files.push(record.file);
    this.bytes += record.bytes.length;
    this.openPieces = !record.endsAtBoundary;
    this.pieceFile = record.file;
    if (record.endsAtBoundary) {
      this.lastFile = record.file;
      this.lastPos = record.pos + record.bytes.length;
    }
  }

  result(): BinlogImportResult {
    return { files: [...this.files], bytes: this.bytes, lastFile: this.lastFile, lastPos: this.lastPos };
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
