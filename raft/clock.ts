// The real Clock (raft/ports.ts): Node timers and a monotonic time source. Only the driver's
// edges use it; the simulator substitutes test/sim/sim-clock.ts, so nothing in raft/ reads
// time any other way.
import { performance } from 'node:perf_hooks';
import type { Clock } from './ports.js';

export class SystemClock implements Clock {
  /** Monotonic milliseconds (performance.now: never jumps with wall-clock changes). */
  nowMs(): number {
    return performance.now();
  }

  every(intervalMs: number, fn: () => void): () => void {
    if (!(intervalMs > 0)) throw new RangeError(`every: interval must be > 0 ms, got ${intervalMs}`);
    const timer = setInterval(fn, intervalMs);
    return () => clearInterval(timer);
  }

  after(delayMs: number, fn: () => void): () => void {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  }
}

/** The process-wide real clock. */
export const systemClock: Clock = new SystemClock();
