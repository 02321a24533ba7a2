// When a dump owes its replica a heartbeat: after `period` without sending anything (MariaDB's
// wait_new_events waits one period for new events, then sends one; MySQL also while skipping).
// The period comes in nanoseconds from @master_heartbeat_period / @source_heartbeat_period;
// 0 means none. Time is passed in, so the logic is tested without timers.

/** setTimeout's ceiling (about 24.8 days); longer periods never fire in practice anyway. */
const MAX_TIMER_MS = 0x7fffffff;

/** The period in whole milliseconds (at least 1), or null when heartbeats are off. */
export function heartbeatPeriodMs(periodNs: bigint): number | null {
  if (periodNs <= 0n) return null;
  const ms = Number((periodNs + 500_000n) / 1_000_000n);
  return Math.min(Math.max(ms, 1), MAX_TIMER_MS);
}

export class HeartbeatSchedule {
  readonly periodMs: number | null;
  #lastActivity: number;

  constructor(periodNs: bigint, now: number) {
    this.periodMs = heartbeatPeriodMs(periodNs);
    this.#lastActivity = now;
  }

  /** Something reached the replica at `now` (events or a heartbeat): the idle time restarts. */
  activity(now: number): void {
    this.#lastActivity = now;
  }

  /** Milliseconds until a heartbeat is due (0 when it is), null when heartbeats are off. */
  dueIn(now: number): number | null {
    if (this.periodMs === null) return null;
    return Math.max(0, this.#lastActivity + this.periodMs - now);
  }

  isDue(now: number): boolean {
    return this.dueIn(now) === 0;
  }
}
