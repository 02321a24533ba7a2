// Reads a dump's spans from the relay's binlog files: large positional reads (about 1 MiB, whole
// events), with the next read started while this one is framed and written, through one handle
// held for the file being streamed (a purge never deletes a file under a reader). The first
// read at a position the dump did not reach by reading checks that the position is an event
// start. Memory: the span being sent plus one read ahead.
import type { RelayFile } from '../relaylog/relay-files.js';
import { readFileSpan, type RelaySpan } from '../relaylog/file-span.js';
import type { RelaySource } from './relay-source.js';
import type { BinlogFileReader } from '../relaylog/binlog-dir.js';

export interface Span {
  /** Views of the file's bytes from the requested position to `endPos` (whole events). */
  chunks: Uint8Array[];
  endPos: number;
}

type Outcome = { span: RelaySpan | null } | { error: unknown };

/** A read's outcome as a value, so a read started ahead never rejects unobserved. */
function settle(read: Promise<RelaySpan | null>): Promise<Outcome> {
  return read.then(
    (span) => ({ span }),
    (error: unknown) => ({ error }),
  );
}

export class SpanReader {
  readonly #source: RelaySource;
  readonly #cancelled: () => boolean;
  #open: { seq: number; handle: BinlogFileReader } | null = null;
  #ahead: { seq: number; pos: number; outcome: Promise<Outcome> } | null = null;
  /** Where the previous span ended: reading on from there needs no position check. */
  #continues: { seq: number; pos: number } | null = null;

  constructor(source: RelaySource, cancelled: () => boolean) {
    this.#source = source;
    this.#cancelled = cancelled;
  }

  /** The span at `pos` of `file` (null at its served end); throws what the relay read throws. */
  async read(file: RelayFile, pos: number): Promise<Span | null> {
    if (pos >= file.endPos) return null;
    const handle = await this.#handle(file);
    if (this.#continues?.seq !== file.seq || this.#continues.pos !== pos) await this.#source.checkEventStart(file, pos, handle);
    const ahead = this.#ahead;
    this.#ahead = null;
    const outcome = ahead && ahead.seq === file.seq && ahead.pos === pos ? await ahead.outcome : await settle(readFileSpan(handle, file.name, pos, file.endPos));
    if ('error' in outcome) throw outcome.error;
    const span = outcome.span;
    if (!span) return null;
    this.#source.verify(file, span);
    this.#continues = { seq: file.seq, pos: span.endPos };
    if (span.endPos < file.endPos && !this.#cancelled()) {
      this.#ahead = { seq: file.seq, pos: span.endPos, outcome: settle(readFileSpan(handle, file.name, span.endPos, file.endPos)) };
    }
    return { chunks: span.chunks, endPos: span.endPos };
  }

  async #handle(file: RelayFile): Promise<BinlogFileReader> {
    if (this.#open?.seq === file.seq) return this.#open.handle;
    await this.close();
    const handle = await this.#source.openFile(file);
    this.#open = { seq: file.seq, handle };
    return handle;
  }

  /** Lets go of the file (after the read ahead settles, so the handle is not closed under it). */
  async close(): Promise<void> {
    const open = this.#open;
    const ahead = this.#ahead;
    this.#open = null;
    this.#ahead = null;
    if (ahead) await ahead.outcome;
    await open?.handle.release();
  }
}
