// Ingest and serving throughput over the last minutes, for the dashboard: a sample of the two
// byte counters every few seconds, kept in a bounded ring, answered as rates per interval.
export interface ThroughputPoint {
  /** End of the interval, ms since the epoch. */
  at: number;
  ingest_bytes_per_s: number;
  served_bytes_per_s: number;
}

interface Sample {
  at: number;
  ingested: number;
  served: number;
}

export const THROUGHPUT_SAMPLE_MS = 5_000;
/** Ten minutes of samples. */
const SAMPLES_KEPT = 121;

export class ThroughputHistory {
  readonly #samples: Sample[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly counters: { readonly ingestedBytes: number; readonly servedBytes: number },
    private readonly now: () => number = Date.now,
  ) {}

  start(everyMs = THROUGHPUT_SAMPLE_MS): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  sample(): void {
    this.#samples.push({ at: this.now(), ingested: this.counters.ingestedBytes, served: this.counters.servedBytes });
    if (this.#samples.length > SAMPLES_KEPT) this.#samples.shift();
  }

  points(): ThroughputPoint[] {
    const points: ThroughputPoint[] = [];
    for (let i = 1; i < this.#samples.length; i++) {
      const a = this.#samples[i - 1]!;
      const b = this.#samples[i]!;
      const seconds = Math.max(0.001, (b.at - a.at) / 1000);
      points.push({ at: b.at, ingest_bytes_per_s: (b.ingested - a.ingested) / seconds, served_bytes_per_s: (b.served - a.served) / seconds });
    }
    return points;
  }
}
