// SHOW STATUS on the binlog server: the few counters that tools watching a master read from it
// (Orchestrator reads Uptime, dashboards Threads_connected), in MySQL's names and order.

/** What the binlog server counts. */
export interface ServerCounters {
  /** Seconds since the binlog server started. */
  uptimeSeconds: number;
  /** Client connections open now, this one included. */
  threadsConnected: number;
  /** Statements clients sent since the binlog server started. */
  questions: number;
}

/** The status variables, sorted by name as SHOW STATUS lists them. */
export function statusVariables(c: ServerCounters): [name: string, value: string][] {
  return [
    ['Questions', String(c.questions)],
    ['Threads_connected', String(c.threadsConnected)],
    ['Uptime', String(c.uptimeSeconds)],
    // FLUSH STATUS is not supported: nothing was ever flushed.
    ['Uptime_since_flush_status', String(c.uptimeSeconds)],
  ];
}

/** COM_STATISTICS (`mariadb-admin status`): the server's one-line summary, in its words. What the
 *  binlog server has no notion of (slow queries, opened tables) is 0. */
export function statisticsLine(c: ServerCounters): string {
  const perSecond = c.uptimeSeconds > 0 ? c.questions / c.uptimeSeconds : c.questions;
  return `Uptime: ${c.uptimeSeconds}  Threads: ${c.threadsConnected}  Questions: ${c.questions}  Slow queries: 0  Opens: 0  Open tables: 0  Queries per second avg: ${perSecond.toFixed(3)}`;
}
