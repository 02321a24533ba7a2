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
    // Caught-up dumps ask for the newest bytes: find the first chunk walking back from the end
    // (a megabyte of small commits is thousands of chunks).
    let k = this.#chunks.length - 1;
    let at = this.#end - this.#chunks[k]!.length;
    while (at > pos) at -= this.#chunks[--k]!.length;
    const out: Uint8Array[] = [];
    for (; at < end; k++) {
      const chunk = this.#chunks[k]!;
      out.push(chunk.subarray(Math.max(pos, at) - at, Math.min(end, at + chunk.length) - at));
      at += chunk.length;
    }
    return out;
  }

  #restart(name: string, pos: number): void {
    this.forget();
    this.#name = name;
    this.#start = this.#end = pos;
  }
}
