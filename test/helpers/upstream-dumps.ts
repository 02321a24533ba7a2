// Watches an upstream's binlog dump threads while a test disturbs the relay cluster: the relay
// must never hold two dumps for long (two syncers, one of them a zombie, would kick each other's
// dump: MariaDB drops the older dump of a server_id when a new one registers).
import type { MariaDb } from './mariadb.js';

export interface DumpSample {
  readonly at: number;
  /** Binlog dump threads of `user` in the upstream's processlist. */
  readonly dumps: number;
}

export interface DumpWatch {
  /** Stops sampling; resolves with every sample taken. */
  stop(): Promise<DumpSample[]>;
}

/** Samples `information_schema.processlist` every `everyMs`. */
export function watchBinlogDumps(up: MariaDb, user: string, everyMs = 100): DumpWatch {
  const samples: DumpSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const [row] = await up.query(
        "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE user = ? AND command LIKE 'Binlog Dump%'", [user],
      ).catch(() => [undefined]);
      if (row !== undefined) samples.push({ at: Date.now(), dumps: Number(row.n) });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** The longest stretch (ms, first to last sample of a run) with more than one dump at once. */
export function longestDoubleDumpMs(samples: readonly DumpSample[]): number {
  let longest = 0;
  let runStart: number | null = null;
  for (const s of samples) {
    if (s.dumps > 1) {
      runStart ??= s.at;
      longest = Math.max(longest, s.at - runStart);
    } else {
      runStart = null;
    }
  }
  return longest;
}
