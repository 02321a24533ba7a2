// Reads a dump's spans from the relay's binlog files: large positional reads (512 KiB, whole
// events), with the next read started while this one is framed and written, through one handle
// held for the file being streamed (a purge never deletes a file under a reader). The first
// read at a position the dump did not reach by reading checks that the position is an event
// start. Memory: the span being sent plus one read ahead, in read buffers the dump hands back
// (recycle) once their bytes are framed, so serving allocates nothing per read.
import type { RelayFile } from '../relaylog/relay-files.js';
import { readFileSpan, SPAN_READ_BYTES, type RelaySpan } from '../relaylog/file-span.js';
import type { RelaySource } from './relay-source.js';
import type { BinlogFileReader } from '../relaylog/binlog-dir.js';

export interface Span {
  /** Views of the file's bytes from the requested position to `endPos` (whole events). */
  chunks: Uint8Array[];
  endPos: number;
  /** The views are of the relay's own buffers (just written), not of a read buffer to recycle. */
  recent?: true;
}

/** Read buffers a reader keeps for reuse: the span being sent, the one read ahead, a spare. */
const POOLED_BUFFERS = 3;

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
  readonly #pool: Buffer[] = [];

  constructor(source: RelaySource, cancelled: () => boolean) {
    this.#source = source;
    this.#cancelled = cancelled;
  }

  /** The span at `pos` of `file` (null at its served end); throws what the relay read throws. */
  async read(file: RelayFile, pos: number): Promise<Span | null> {
    if (pos >= file.endPos) return null;
    // Caught up and reading on: a commit just published is still in memory.
    if (this.#ahead === null && this.#continues?.seq === file.seq && this.#continues.pos === pos) {
      const chunks = this.#source.relay.dir.recentBytes(file.name, pos, file.endPos);
      if (chunks) {
        this.#continues = { seq: file.seq, pos: file.endPos };
        return { chunks, endPos: file.endPos, recent: true };
      }
    }
    const handle = await this.#handle(file);
    if (this.#continues?.seq !== file.seq || this.#continues.pos !== pos) await this.#source.checkEventStart(file, pos, handle);
    const ahead = this.#ahead;
    this.#ahead = null;
    const outcome = ahead && ahead.seq === file.seq && ahead.pos === pos ? await ahead.outcome : await settle(this.#read(handle, file, pos));
    if ('error' in outcome) throw this.#source.failOn(outcome.error);
    const span = outcome.span;
    if (!span) return null;
    this.#source.verify(file, span);
    this.#continues = { seq: file.seq, pos: span.endPos };
    if (span.endPos < file.endPos && !this.#cancelled()) {
      this.#ahead = { seq: file.seq, pos: span.endPos, outcome: settle(this.#read(handle, file, span.endPos)) };
    }
    return { chunks: span.chunks, endPos: span.endPos };
  }

  #read(handle: BinlogFileReader, file: RelayFile, pos: number): Promise<RelaySpan | null> {
    return readFileSpan(handle, file.name, pos, file.endPos, this.#pool.pop() ?? Buffer.allocUnsafe(SPAN_READ_BYTES));
  }

  /** The bytes of `span` are framed and no socket write holds a view of them: its buffer may
   *  take the next read. */
  recycle(span: Span): void {
    if (span.recent) return;
    const chunk = span.chunks[0];
    if (!chunk || this.#pool.length >= POOLED_BUFFERS || chunk.buffer.byteLength !== SPAN_READ_BYTES || chunk.byteOffset !== 0) return;
    this.#pool.push(Buffer.from(chunk.buffer, 0, SPAN_READ_BYTES));
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
