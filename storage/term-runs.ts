// The term of every log index, as runs: O(number of terms) memory, no I/O per lookup.
//
//   starts: [ 1,  40, 41, 900]      run k covers [starts[k], starts[k+1]) and the last run
//   terms:  [ 1,   2,  5,   6]      covers [starts[last], lastIndex] (lastIndex is the store's)
//
// Invariants: starts strictly increase, terms strictly increase (a raft log's terms never go
// down). Persisted as one record in the raft state table (rewritten only when a run starts, is
// truncated or trimmed — not on every append) so open() needs no scan of the log.
import { ByteReader, ByteWriter } from '../raft/codec-bytes.js';
import { CODEC_VERSION, CodecError } from '../raft/codec.js';

export class TermRuns {
  private constructor(private starts: number[], private terms: number[]) {}

  static empty(): TermRuns {
    return new TermRuns([], []);
  }

  get length(): number {
    return this.starts.length;
  }

  clone(): TermRuns {
    return new TermRuns(this.starts.slice(), this.terms.slice());
  }

  /** Term of the last run, 0 when there is none. */
  lastTerm(): number {
    return this.terms.length === 0 ? 0 : this.terms[this.terms.length - 1]!;
  }

  /** Term of index i, or undefined when i is before the first run. The caller bounds i by its
   *  lastIndex: the last run answers for every index past its start. */
  termAt(i: number): number | undefined {
    const k = this.runOf(i);
    return k < 0 ? undefined : this.terms[k];
  }

  /** Index of the last run starting at or before i (binary search), -1 if none. */
  private runOf(i: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= i) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Records that entry `index` has `term`. Entries arrive in increasing index order; a new
   *  run starts when the term changes. Returns true when the runs changed. */
  append(index: number, term: number): boolean {
    const last = this.terms.length - 1;
    if (last >= 0) {
      if (index <= this.starts[last]!) throw new RangeError(`term run append at ${index} is not after run start ${this.starts[last]}`);
      if (term < this.terms[last]!) throw new RangeError(`term ${term} at ${index} is below the previous term ${this.terms[last]}`);
      if (term === this.terms[last]) return false;
    }
    this.starts.push(index);
    this.terms.push(term);
    return true;
  }

  /** Forgets indexes >= index (a conflicting suffix is being replaced). Returns true on change. */
  truncateFrom(index: number): boolean {
    const k = this.runOf(index - 1);
    const keep = k + 1;
    if (keep === this.starts.length) return false;
    this.starts.length = keep;
    this.terms.length = keep;
    return true;
  }

  /** Forgets indexes < index (compaction): the run holding `index` is made to start there. */
  trimBefore(index: number): boolean {
    const k = this.runOf(index);
    if (k < 0) return false;
    if (k === 0 && this.starts[0] === index) return false;
    this.starts = this.starts.slice(k);
    this.terms = this.terms.slice(k);
    this.starts[0] = index;
    return true;
  }

  /** `version u8 · count u32 · (start u64 · term u64)…` */
  encode(): Buffer {
    const w = new ByteWriter(1 + 4 + this.starts.length * 16);
    w.u8(CODEC_VERSION);
    w.u32(this.starts.length);
    for (let k = 0; k < this.starts.length; k++) {
      w.u64(this.starts[k]!);
      w.u64(this.terms[k]!);
    }
    return w.finish();
  }

  static decode(input: Uint8Array): TermRuns {
    const r = new ByteReader(input);
    const version = r.u8('term runs version');
    if (version !== CODEC_VERSION) throw new CodecError('ERR_RAFT_CODEC_VERSION', `term runs: unsupported version ${version}`);
    const n = r.count('term runs', 16);
    const runs = TermRuns.empty();
    for (let k = 0; k < n; k++) {
      const start = r.u64('run start');
      const term = r.u64('run term');
      if (k > 0 && (start <= runs.starts[k - 1]! || term <= runs.terms[k - 1]!)) {
        throw new CodecError('ERR_RAFT_CODEC_CORRUPT', `term run ${k} (${start}, ${term}) does not follow its predecessor`);
      }
      runs.starts.push(start);
      runs.terms.push(term);
    }
    r.done('term runs');
    return runs;
  }

  /** [start, term] pairs, for tests and diagnostics. */
  toArray(): Array<[number, number]> {
    return this.starts.map((s, k) => [s, this.terms[k]!]);
  }
}
