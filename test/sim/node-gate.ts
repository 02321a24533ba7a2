// One incarnation of a simulated node. Everything the node's clock, transport and disk schedule
// runs through its gate, so a crash cancels all of the incarnation's pending work at once and a
// pause (a GC stall, SIGSTOP) defers it until the pause ends.
//
// Invariants: after kill() no callback of this incarnation runs again; while paused, none runs
// before pausedUntilMs (deferred callbacks keep their relative order).
import type { Scheduler, SimEvent } from './scheduler.js';
import type { NodeId } from '../../raft/core/types.js';

export class NodeGate {
  private dead = false;
  private pausedUntil = 0;

  constructor(
    readonly nodeId: NodeId,
    /** Counts restarts of this node id, from 0. */
    readonly incarnation: number,
    private readonly sched: Scheduler,
  ) {}

  get alive(): boolean {
    return !this.dead;
  }

  get paused(): boolean {
    return this.sched.nowMs < this.pausedUntil;
  }

  get pausedUntilMs(): number {
    return this.pausedUntil;
  }

  /** Runs fn after delayMs on this incarnation, unless it is killed first. */
  after(delayMs: number, label: string, fn: () => void): SimEvent {
    return this.sched.after(delayMs, label, () => this.fire(label, fn));
  }

  kill(): void {
    this.dead = true;
  }

  pause(durationMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.sched.nowMs + durationMs);
  }

  private fire(label: string, fn: () => void): void {
    if (this.dead) return;
    if (this.sched.nowMs < this.pausedUntil) {
      this.sched.at(this.pausedUntil, `${label} (after pause)`, () => this.fire(label, fn));
      return;
    }
    fn();
  }
}
