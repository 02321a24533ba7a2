// Reads a dump's spans from the relay one group at a time, with the next groups' reads started
// ahead: LevelDB reads run off the event loop and several proceed at once, so the groups to send
// next are on their way while this one is framed and written. The groups ahead are found in the
// relay's position index. Memory: at most READ_AHEAD_BYTES of groups beyond the current one
// (and always the next one, whatever its size).
import type { RelayFile } from '../relaylog/relay-files.js';
import { indexRowsFrom } from '../relaylog/relay-index.js';
import type { RelaySource } from './relay-source.js';

export interface Span {
  /** Views of the file's bytes from the requested position to `endPos` (whole events). */
  chunks: Uint8Array[];
  endPos: number;
}

const READ_AHEAD_GROUPS = 4;
const READ_AHEAD_BYTES = 8 * 1024 * 1024;

type Outcome = { span: Span | null } | { error: unknown };

interface Pending {
  seq: number;
  pos: number;
  /** End of the group when known from the index. */
  end: number | null;
  outcome: Promise<Outcome>;
}

/** A read's outcome as a value, so a read started ahead never rejects unobserved. */
function settle(read: Promise<Span | null>): Promise<Outcome> {
  return read.then(
    (span) => ({ span }),
    (error: unknown) => ({ error }),
  );
}

export class SpanReader {
  readonly #source: RelaySource;
  readonly #cancelled: () => boolean;
  #queue: Pending[] = [];
  /** Bumped whenever the queue is dropped, so a late index lookup adds nothing stale. */
  #generation = 0;
  /** The index lookup in flight, and the position it starts from. */
  #listing: { from: number; done: Promise<void> } | null = null;

  constructor(source: RelaySource, cancelled: () => boolean) {
    this.#source = source;
    this.#cancelled = cancelled;
  }

  /** The span at `pos` of `file` (null at its served end); throws what the relay read throws. */
  async read(file: RelayFile, pos: number): Promise<Span | null> {
    // The lookup for the groups after the previous span is usually still running: wait for it
    // rather than read this group on its own.
    if (this.#queue.length === 0 && this.#listing?.from === pos) await this.#listing.done;
    let head = this.#queue[0];
    if (!head || head.seq !== file.seq || head.pos !== pos) {
      this.#queue = [];
      this.#generation++;
      head = this.#start(file, pos, null);
    }
    this.#queue.shift();
    const outcome = await head.outcome;
    if ('error' in outcome) throw outcome.error;
    const span = outcome.span;
    if (span) this.#topUp(file, span.endPos);
    return span;
  }

  #start(file: RelayFile, pos: number, end: number | null): Pending {
    const pending: Pending = { seq: file.seq, pos, end, outcome: settle(this.#source.readSpan(file, pos, this.#cancelled)) };
    this.#queue.push(pending);
    return pending;
  }

  /** Starts the reads of the groups after `from`, as far as the budget goes. */
  #topUp(file: RelayFile, from: number): void {
    if (this.#listing !== null || this.#cancelled()) return;
    const last = this.#queue[this.#queue.length - 1];
    if (last && last.end === null) return;
    const next = last ? last.end! : from;
    if (next >= file.endPos || this.#queue.length >= READ_AHEAD_GROUPS) return;
    const generation = this.#generation;
    const done = indexRowsFrom(this.#source.db, file.seq, next, READ_AHEAD_GROUPS)
      .then((rows) => {
        if (generation !== this.#generation || this.#cancelled()) return;
        let at = next;
        let bytes = this.#queue.reduce((n, p) => n + (p.end === null ? 0 : p.end - p.pos), 0);
        for (const row of rows) {
          // Only groups the relay has published, contiguous with what is queued.
          if (row.startPos !== at || row.endPos > file.endPos || this.#queue.length >= READ_AHEAD_GROUPS) break;
          if (this.#queue.length > 0 && bytes + (row.endPos - row.startPos) > READ_AHEAD_BYTES) break;
          this.#start(file, row.startPos, row.endPos);
          bytes += row.endPos - row.startPos;
          at = row.endPos;
        }
      })
      .catch(() => undefined)
      .finally(() => {
        this.#listing = null;
      });
    this.#listing = { from: next, done };
  }
}
