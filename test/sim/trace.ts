// The run's event trace, VOPR style: one line per event. The whole trace is folded into a
// running hash (two runs of a seed must produce the same hash: that is what "replays exactly"
// means), and the last lines are kept to print when a checker fails.

export class Trace {
  private readonly ring: string[];
  private next = 0;
  private count = 0;
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193;

  constructor(private readonly keepLines: number, private readonly echo: ((line: string) => void) | null = null) {
    this.ring = new Array<string>(keepLines);
  }

  /** Lines recorded so far. */
  get lines(): number {
    return this.count;
  }

  record(nowMs: number, text: string): void {
    const line = `${nowMs.toFixed(3).padStart(10)} ${text}`;
    this.ring[this.next] = line;
    this.next = (this.next + 1) % this.keepLines;
    this.count++;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      this.h1 = Math.imul(this.h1 ^ c, 0x01000193);
      this.h2 = Math.imul(this.h2 ^ c, 0x5bd1e995) ^ (this.h2 >>> 15);
    }
    this.h1 = Math.imul(this.h1 ^ 10, 0x01000193);
    if (this.echo !== null) this.echo(line);
  }

  /** A fingerprint of every line recorded, in order. */
  hash(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }

  /** The last n lines (at most keepLines), oldest first. */
  tail(n = this.keepLines): string[] {
    const k = Math.min(n, this.keepLines, this.count);
    const out: string[] = [];
    for (let i = k; i > 0; i--) {
      out.push(this.ring[(this.next - i + this.keepLines) % this.keepLines]!);
    }
    return out;
  }
}
