// Proposes records in order while keeping at most about `maxBytes` of them unsettled, so a
// producer faster than raft (a disk read) is held back instead of queueing gigabytes in memory.
// After the first failed proposal nothing more is proposed: a later record would only be refused
// for the gap the failed one leaves.

export class ProposalWindow<R> {
  private inflightBytes = 0;
  private readonly inflight = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly propose: (record: R) => Promise<unknown>,
    private readonly maxBytes: number,
  ) {}

  /** The first proposal's error, once one failed. */
  get failed(): { error: unknown } | null {
    return this.failure;
  }

  /** Proposes `record` now (in call order); `size` counts against the window until it settles. */
  submit(record: R, size: number): void {
    if (this.failure) return;
    let proposal: Promise<unknown>;
    try {
      proposal = this.propose(record);
    } catch (err) {
      proposal = Promise.reject(err);
    }
    this.inflightBytes += size;
    const settled: Promise<void> = proposal.then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= { error };
      },
    ).finally(() => {
      this.inflightBytes -= size;
      this.inflight.delete(settled);
    });
    this.inflight.add(settled);
  }

  /** Resolves once the unsettled bytes are back within the window (or a proposal failed). */
  async whenRoom(): Promise<void> {
    while (this.inflightBytes > this.maxBytes && !this.failure) await Promise.race(this.inflight);
  }

  /** Resolves once every proposal made so far has settled. */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all(this.inflight);
  }
}
