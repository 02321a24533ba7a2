// Binlog bytes this node's relay log has taken in: every committed byte its files grew by, counted
// as the relay publishes it ('advance'). History held at start is not counted again.
import type { RelayLog } from '../relaylog/relay-log.js';

export class IngestCounter {
  /** Served end of each file last seen. */
  readonly #ends = new Map<string, number>();
  #total = 0;
  readonly #onAdvance = (advance: { file: string; endPos: number }): void => this.#advanced(advance.file, advance.endPos);
  readonly #onPurged = (names: string[]): void => {
    for (const name of names) this.#ends.delete(name);
  };

  constructor(private readonly relay: RelayLog) {
    for (const f of relay.allFiles()) this.#ends.set(f.name, f.endPos);
    relay.on('advance', this.#onAdvance);
    relay.on('purged', this.#onPurged);
  }

  /** Bytes taken in since this counter started. */
  get total(): number {
    return this.#total;
  }

  close(): void {
    this.relay.off('advance', this.#onAdvance);
    this.relay.off('purged', this.#onPurged);
  }

  #advanced(name: string, endPos: number): void {
    const from = this.#ends.get(name) ?? this.relay.allFiles().find((f) => f.name === name)?.firstPos ?? endPos;
    // A file cut back (a snapshot installed) restarts from where it is now.
    if (endPos > from) this.#total += endPos - from;
    this.#ends.set(name, endPos);
  }
}
