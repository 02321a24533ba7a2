// The Clock port (raft/ports.ts) over simulated time. Each node may run its timers at a skewed
// rate (tick-rate skew: a slow or fast crystal), so election timeouts drift apart between nodes.
import type { Clock } from '../../raft/ports.js';
import type { NodeGate } from './node-gate.js';
import type { Scheduler, SimEvent } from './scheduler.js';

export class SimClock implements Clock {
  /** @param rate multiplies every interval: 1.1 means this node's timers run 10 % slow. */
  constructor(
    private readonly sched: Scheduler,
    private readonly gate: NodeGate,
    private readonly rate = 1,
  ) {}

  nowMs(): number {
    return this.sched.nowMs;
  }

  every(intervalMs: number, fn: () => void): () => void {
    let stopped = false;
    let current: SimEvent | null = null;
    const label = `n${this.gate.nodeId} tick`;
    const arm = (): void => {
      current = this.gate.after(intervalMs * this.rate, label, () => {
        if (stopped) return;
        arm();
        fn();
      });
    };
    arm();
    return () => {
      stopped = true;
      if (current !== null) this.sched.cancel(current);
    };
  }

  after(delayMs: number, fn: () => void): () => void {
    let stopped = false;
    const ev = this.gate.after(delayMs * this.rate, `n${this.gate.nodeId} timer`, () => {
      if (!stopped) fn();
    });
    return () => {
      stopped = true;
      this.sched.cancel(ev);
    };
  }
}
