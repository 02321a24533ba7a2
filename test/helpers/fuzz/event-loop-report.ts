// The event-loop delay of a node process under fuzzing, measured inside that process by
// event-loop-probe.ts (preloaded with `--import`, through TEST_NODE_FLAGS) and read here. The
// probe appends one JSON line per PROBE_WINDOW_MS window to the file named by FUZZ_LOOP_DELAY_FILE.

/** Environment variable naming the probe's output file (not BINRELAY_*: that is the node's config). */
export const LOOP_DELAY_FILE_ENV = 'FUZZ_LOOP_DELAY_FILE';
export const PROBE_RESOLUTION_MS = 10;
export const PROBE_WINDOW_MS = 250;

export interface LoopDelayWindow {
  /** Date.now() at the end of the window. */
  t: number;
  /** Longest stall in the window (ms beyond the probe's timer period): the larger of
   *  perf_hooks' monitorEventLoopDelay maximum and a timer-drift probe's. */
  maxMs: number;
  /** Longest stall in the window counting only the time the event loop's thread was running
   *  (its CPU time over the stall, in 10 ms ticks): on a loaded machine a process that is not
   *  scheduled sees its timers late without any code of its own blocking the loop. */
  busyMs: number;
  /** monitorEventLoopDelay's 99th percentile (ms beyond the resolution). */
  p99Ms: number;
}

/** The windows whose end lies in [from, to] (ms since the epoch), worst `key` first. */
export function loopDelayWindows(text: string, from: number, to: number, key: 'maxMs' | 'busyMs'): LoopDelayWindow[] {
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as LoopDelayWindow)
    .filter((w) => w.t >= from && w.t <= to).sort((a, b) => b[key] - a[key]);
}
