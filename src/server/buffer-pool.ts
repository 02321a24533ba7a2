// Fixed-size buffers shared by every dump of the process. A dump frames into 256 KiB buffers and
// hands each to the socket; the kernel takes it some time later, by when the dump has moved on
// to the next ones. Fresh buffers per rotation cost ~half a copy's bytes in ArrayBuffer churn,
// and V8 answers external-memory growth with mark-compacts: measured, 40% of a serving node's
// CPU on one 200 MB copy went to GC. Buffers the kernel has taken come back here for any dump's
// next frames. Idle buffers are capped, so many replicas do not pin memory once they go quiet.
export class BufferPool {
  readonly #free: Buffer[] = [];
  /** Buffers allocated because none was free (for tests and logs). */
  allocated = 0;

  constructor(readonly size: number, readonly maxFree: number) {}

  /** Buffers waiting to be reused. */
  get free(): number {
    return this.#free.length;
  }

  take(): Buffer {
    const buf = this.#free.pop();
    if (buf) return buf;
    this.allocated++;
    return Buffer.allocUnsafe(this.size);
  }

  /** `buf` is no longer referenced by anyone (a socket write completed): it may be reused. */
  give(buf: Buffer): void {
    if (this.#free.length < this.maxFree && buf.length === this.size) this.#free.push(buf);
  }
}
