// A log-flood guard: events an outsider can cause at will (refused hellos, garbage frames,
// connections over a limit) are logged at most `perMinute` times per minute. The rest are counted;
// the next line written carries `suppressed` (how many were dropped since the last one), and
// takeSuppressed() hands a count still owed to a periodic summary line, so nothing is silently lost.

export class RateLimitedLog {
  private windowStart = -Infinity;
  private writtenInWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Null: drop this line (it is counted). Otherwise write it, with `suppressed` when above 0. */
  take(): { suppressed: number } | null {
    const t = this.now();
    if (t - this.windowStart >= 60_000) {
      this.windowStart = t;
      this.writtenInWindow = 0;
    }
    if (this.writtenInWindow >= this.perMinute) {
      this.suppressed++;
      return null;
    }
    this.writtenInWindow++;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return { suppressed };
  }

  /** Lines dropped and not yet reported; resets the count. */
  takeSuppressed(): number {
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}
