// Per-address backoff on failed logins: 200 wrong passwords were once refused in 142 ms, an open
// door to guessing. The first few failures from an address are free (a replica configured with an
// old password retries); after them each failure shuts the address out for twice as long as the
// last, up to a ceiling, and a connection from it meanwhile is refused before the greeting
// (ER_HOST_IS_BLOCKED). A login that succeeds, or a quiet period, forgets the address.

export interface AuthBackoffPolicy {
  /** Failures before the first block. */
  freeFailures: number;
  /** The first block; each later failure doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** An address with no failure for this long starts over. */
  forgetAfterMs: number;
  /** Addresses tracked at once; beyond it the one that failed least recently is forgotten. */
  maxTracked: number;
}

export const DEFAULT_AUTH_BACKOFF: Readonly<AuthBackoffPolicy> = {
  freeFailures: 3,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  forgetAfterMs: 600_000,
  maxTracked: 10_000,
};

interface FailureRecord {
  failures: number;
  lastFailure: number;
  blockedUntil: number;
}

export class AuthBackoff {
  /** Insertion order is the order of the last failure. */
  readonly #byIp = new Map<string, FailureRecord>();

  constructor(
    private readonly policy: AuthBackoffPolicy = DEFAULT_AUTH_BACKOFF,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long `ip` must still wait before it may try again; 0 when it may now. */
  blockedFor(ip: string): number {
    const r = this.#byIp.get(ip);
    return r ? Math.max(0, r.blockedUntil - this.now()) : 0;
  }

  /** Records a failed login; returns the block it starts (0 while failures are still free). */
  failed(ip: string): number {
    const t = this.now();
    const p = this.policy;
    const previous = this.#byIp.get(ip);
    const r = previous && t - previous.lastFailure < p.forgetAfterMs ? previous : { failures: 0, lastFailure: t, blockedUntil: 0 };
    r.failures++;
    r.lastFailure = t;
    const over = r.failures - p.freeFailures - 1;
    const delay = over < 0 ? 0 : Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.min(over, 30));
    r.blockedUntil = t + delay;
    this.#byIp.delete(ip);
    this.#byIp.set(ip, r);
    if (this.#byIp.size > p.maxTracked) this.#byIp.delete(this.#byIp.keys().next().value!);
    return delay;
  }

  succeeded(ip: string): void {
    this.#byIp.delete(ip);
  }

  /** Failures counted for `ip` (0 once forgotten). */
  failures(ip: string): number {
    const r = this.#byIp.get(ip);
    return r && this.now() - r.lastFailure < this.policy.forgetAfterMs ? r.failures : 0;
  }
}
