// The bytes last written to the relay's newest binlog file, held in memory (bounded): a dump
// that is caught up takes a just-published commit from here as views, instead of reading the
// file back through the thread pool. The views are of the applied records' own buffers, which
// nothing writes to again. Any write that does not continue the held range starts it over, and
// a cut or removal of the file forgets what it no longer holds.
export class RecentBytes {
  #name: string | null = null;
  #start = 0;
  #end = 0;
  #chunks: Uint8Array[] = [];
  #held = 0;

  constructor(private readonly maxBytes: number) {}

  written(name: string, pos: number, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (name !== this.#name || pos !== this.#end) this.#restart(name, pos);
    this.#chunks.push(bytes);
    this.#held += bytes.length;
    this.#end += bytes.length;
    while (this.#chunks.length > 1 && this.#held - this.#chunks[0]!.length >= this.maxBytes) {
      const dropped = this.#chunks.shift()!;
      this.#held -= dropped.length;
      this.#start += dropped.length;
    }
  }

  /** `name` was cut to `length` bytes: what lies past it is gone. */
  cut(name: string, length: number): void {
    if (name === this.#name && length < this.#end) this.forget();
  }

  forget(): void {
    this.#name = null;
    this.#chunks = [];
    this.#held = this.#start = this.#end = 0;
  }

  /** Views of [pos, end) of `name`, or null when not all of it is held. */
  span(name: string, pos: number, end: number): Uint8Array[] | null {
    if (name !== this.#name || pos < this.#start || end > this.#end || pos >= end) return null;
    const out: Uint8Array[] = [];
    let at = this.#start;
    for (const chunk of this.#chunks) {
      const from = Math.max(pos, at);
      const to = Math.min(end, at + chunk.length);
      if (from < to) out.push(chunk.subarray(from - at, to - at));
      at += chunk.length;
      if (at >= end) break;
    }
    return out;
  }

  #restart(name: string, pos: number): void {
    this.forget();
    this.#name = name;
    this.#start = this.#end = pos;
  }
}
