// Preloaded into a node process (`node --import <this file>`, through TEST_NODE_FLAGS) to measure
// its event loop without any hook in production code: perf_hooks' monitorEventLoopDelay and a
// timer-drift probe that also reads the CPU time of the loop's thread, summed up per window into
// the file FUZZ_LOOP_DELAY_FILE names (one JSON line per window, see event-loop-report.ts).
// Without that variable it does nothing.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LOOP_DELAY_FILE_ENV, PROBE_RESOLUTION_MS, PROBE_WINDOW_MS, type LoopDelayWindow } from './event-loop-report.js';

const THREAD_STAT = '/proc/thread-self/stat';
const TICK_MS = 10; // USER_HZ = 100 on Linux

/** CPU time of the thread running the event loop (Linux: /proc, 10 ms ticks), else of the whole
 *  process (other threads, such as the GC's helpers, then count too). */
const loopThreadCpuMs: () => number = existsSync(THREAD_STAT)
  ? () => {
    const stat = readFileSync(THREAD_STAT, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime
  }
  : () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };

const out = process.env[LOOP_DELAY_FILE_ENV];
if (out) {
  const histogram = monitorEventLoopDelay({ resolution: PROBE_RESOLUTION_MS });
  histogram.enable();
  let drift = 0;
  let busy = 0;
  let last = performance.now();
  let lastCpu = loopThreadCpuMs();
  setInterval(() => {
    const now = performance.now();
    const cpu = loopThreadCpuMs();
    const stall = now - last - PROBE_RESOLUTION_MS;
    // A stall the loop's thread did not run for is the machine's (another process had the CPU).
    drift = Math.max(drift, stall);
    busy = Math.max(busy, Math.min(stall, cpu - lastCpu));
    last = now;
    lastCpu = cpu;
  }, PROBE_RESOLUTION_MS).unref();
  const round = (ms: number): number => Math.round(ms * 10) / 10;
  setInterval(() => {
    // The histogram records the time between its timer's runs: the stall is what exceeds the period.
    const eld = histogram.count > 0 ? histogram.max / 1e6 - PROBE_RESOLUTION_MS : 0;
    const window: LoopDelayWindow = {
      t: Date.now(),
      maxMs: round(Math.max(eld, drift)),
      busyMs: round(busy),
      p99Ms: histogram.count > 0 ? round(histogram.percentile(99) / 1e6 - PROBE_RESOLUTION_MS) : 0,
    };
    histogram.reset();
    drift = 0;
    busy = 0;
    appendFileSync(out, `${JSON.stringify(window)}\n`);
  }, PROBE_WINDOW_MS).unref();
}
