// Small utilities of the end-to-end benches: statistics, the PASS/MISS summary, clean-up of
// everything a bench starts (also on SIGINT), RSS sampling, and writing the page cache back.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
export const secs = (xs: number[]): string => xs.map((s) => s.toFixed(2)).join(', ');
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const now = (): number => performance.now();

export const summary: string[] = [];
export function target(name: string, value: string, pass: boolean, goal: string): void {
  summary.push(`${pass ? 'PASS' : 'MISS'}  ${name.padEnd(34)} ${value.padEnd(22)} target ${goal}`);
}

export const cleanups: (() => Promise<void> | void)[] = [];
export async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      console.error(`cleanup: ${(err as Error).message}`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanupAll().finally(() => process.exit(130));
  });
}

/** Stops what `starting` yields at clean-up, even if the run is interrupted while it starts. */
export function track<T extends { stop(): Promise<void> }>(starting: Promise<T>): Promise<T> {
  cleanups.push(async () => {
    const it = await starting.catch(() => null);
    await it?.stop();
  });
  return starting;
}

/** Writes back every dirty page of the machine (sync(1)), so that a timed run's fsyncs do not
 *  also pay for what an earlier run left in the page cache. */
export function settleDisk(): void {
  const r = spawnSync('sync', { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`sync failed: ${r.error?.message ?? `exit ${r.status}`}`);
}

export function tempDir(base: string, prefix: string): string {
  const dir = mkdtempSync(join(base, prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Peak VmRSS (bytes) of a set of pids, sampled every 100 ms until stopped. */
export function rssSampler(pids: () => number[]): { stop(): number[] } {
  const peaks = new Map<number, number>();
  const sample = (): void => {
    for (const pid of pids()) {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, Number(m[1]) * 1024));
      } catch {
        // exited
      }
    }
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return [...peaks.values()];
    },
  };
}

/** CPU seconds (user + system, every thread) a pid has used so far; 0 once it exited. */
function cpuSecondsOf(pid: number): number {
  try {
    // The fields after the command name (which may hold spaces) start at its closing ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ ticks
  } catch {
    return 0;
  }
}

/** The CPU seconds a set of pids uses from now: `used()` sums each one's growth since. */
export function cpuMeter(pids: number[]): { used(): number } {
  const start = pids.map(cpuSecondsOf);
  return { used: () => pids.reduce((sum, pid, i) => sum + cpuSecondsOf(pid) - start[i]!, 0) };
}

/** Bytes a directory tree takes on disk (allocated blocks). */
export function diskUsage(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? diskUsage(path) : statSync(path).blocks * 512;
  }
  return total;
}
