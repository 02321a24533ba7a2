// The simulator's only notion of time: a discrete-event queue ordered by (atMs, seq). `seq` is a
// global counter assigned at scheduling time, so events due at the same instant run in the order
// they were scheduled and a run is a pure function of the seed.
//
// Invariant: nowMs never decreases; an event never runs before its atMs.

/** A scheduled callback. Cancelled events stay in the heap and are skipped when popped. */
export interface SimEvent {
  readonly atMs: number;
  readonly seq: number;
  readonly label: string;
  readonly run: () => void;
  cancelled: boolean;
}

export class SchedulerError extends Error {
  readonly code = 'SIM_SCHEDULER';
}

export class Scheduler {
  private heap: SimEvent[] = [];
  /** Called with each event just before it runs (the trace hooks in here). */
  beforeRun: ((ev: SimEvent) => void) | null = null;
  private seqNext = 0;
  private now = 0;
  private live = 0;

  get nowMs(): number {
    return this.now;
  }

  /** Events scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.live;
  }

  /** Schedules `run` at absolute time atMs (>= now). Returns the event (cancel via cancel()). */
  at(atMs: number, label: string, run: () => void): SimEvent {
    if (!(atMs >= this.now)) throw new SchedulerError(`event ${label} at ${atMs} is in the past (now ${this.now})`);
    const ev: SimEvent = { atMs, seq: this.seqNext++, label, run, cancelled: false };
    this.push(ev);
    this.live++;
    return ev;
  }

  after(delayMs: number, label: string, run: () => void): SimEvent {
    return this.at(this.now + Math.max(0, delayMs), label, run);
  }

  cancel(ev: SimEvent): void {
    if (!ev.cancelled) {
      ev.cancelled = true;
      this.live--;
    }
  }

  /** Time of the next live event, or null when the queue is empty. */
  peekMs(): number | null {
    this.dropCancelled();
    return this.heap.length === 0 ? null : this.heap[0]!.atMs;
  }

  /** Pops the next live event, advances time to it and runs it. Returns it, or null if none. */
  step(): SimEvent | null {
    this.dropCancelled();
    const ev = this.pop();
    if (ev === undefined) return null;
    this.live--;
    ev.cancelled = true; // a ran event can no longer be cancelled
    this.now = ev.atMs;
    if (this.beforeRun !== null) this.beforeRun(ev);
    ev.run();
    return ev;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private static before(a: SimEvent, b: SimEvent): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }

  private push(ev: SimEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!Scheduler.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): SimEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && Scheduler.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && Scheduler.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Lets every microtask queued so far (and any it queues) run. Safe for determinism because the
 *  simulation does no real I/O and arms no real timers: nothing else can run in between. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
