// The syncer's upstream candidates and what it last learnt of each: which one it follows, which
// are unreachable or refused (and why), and when the current one became unreachable, which is
// what starts a failover once it lasts `failover_after_ms`.

export const CANDIDATE_STATES = ['current', 'standby', 'unreachable', 'refused'] as const;
export type CandidateState = typeof CANDIDATE_STATES[number];

export interface CandidateView {
  addr: string;
  state: CandidateState;
  last_error: string | null;
  /** When the syncer last tried it (ISO time), null when never. */
  checked_at: string | null;
}

export class UpstreamCandidates {
  private currentIndex = 0;
  private readonly views: CandidateView[];
  /** Since when (ms) the current upstream has been unreachable; null while it streams. */
  private unreachableSince: number | null = null;

  constructor(readonly addrs: readonly string[]) {
    if (addrs.length === 0) throw new Error('no upstream candidate');
    this.views = addrs.map((addr, i) => ({ addr, state: i === 0 ? 'current' : 'standby', last_error: null, checked_at: null }));
  }

  get current(): string {
    return this.addrs[this.currentIndex]!;
  }

  /** The first candidate is the one the operator pointed the syncer at (force applies to it only). */
  get isFirst(): boolean {
    return this.currentIndex === 0;
  }

  /** The current upstream streams: the unreachable clock stops. */
  streaming(): void {
    this.unreachableSince = null;
    this.mark(this.current, 'current', null, Date.now());
  }

  /** The current upstream failed (connection, stream or refusal) at `now`. */
  failed(error: string, refused: boolean, now = Date.now()): void {
    this.unreachableSince ??= now;
    this.mark(this.current, refused ? 'refused' : 'unreachable', error, now);
  }

  /** ms until a failover is due (0: due now); null when there is nothing to fail over to. */
  failoverDueIn(afterMs: number, now = Date.now()): number | null {
    if (this.addrs.length < 2 || this.unreachableSince === null) return null;
    return Math.max(0, this.unreachableSince + afterMs - now);
  }

  /** The other candidates in the order to try: the operator's order, starting after the current. */
  others(): string[] {
    const n = this.addrs.length;
    return Array.from({ length: n - 1 }, (_, k) => this.addrs[(this.currentIndex + 1 + k) % n]!);
  }

  /** A probed candidate's verdict. */
  probed(addr: string, error: string | null, refused: boolean, now = Date.now()): void {
    this.mark(addr, error === null ? 'standby' : refused ? 'refused' : 'unreachable', error, now);
  }

  /** Follows `addr` from now on; the unreachable clock restarts for it. */
  switchTo(addr: string): void {
    const i = this.addrs.indexOf(addr);
    if (i < 0) throw new Error(`${addr} is no candidate`);
    const old = this.views[this.currentIndex]!;
    if (old.state === 'current') old.state = 'standby';
    this.currentIndex = i;
    this.unreachableSince = null;
    this.views[i]!.state = 'current';
  }

  view(): CandidateView[] {
    return this.views.map((v) => ({ ...v }));
  }

  private mark(addr: string, state: CandidateState, error: string | null, now: number): void {
    const v = this.views.find((c) => c.addr === addr);
    if (!v) return;
    v.state = addr === this.current && state === 'standby' ? 'current' : state;
    v.last_error = error;
    v.checked_at = new Date(now).toISOString();
  }
}
