// SHOW STATUS on the binlog server: the few counters that tools watching a master read from it
// (Orchestrator reads Uptime, dashboards Threads_connected), in MySQL's names and order.

/** What the binlog server counts. */
export interface ServerCounters {
  /** Seconds since the binlog server started. */
  uptimeSeconds: number;
  /** Client connections open now, this one included. */
  threadsConnected: number;
}

/** The status variables, sorted by name as SHOW STATUS lists them. */
export function statusVariables(c: ServerCounters): [name: string, value: string][] {
  return [
    ['Threads_connected', String(c.threadsConnected)],
    ['Uptime', String(c.uptimeSeconds)],
    // FLUSH STATUS is not supported: nothing was ever flushed.
    ['Uptime_since_flush_status', String(c.uptimeSeconds)],
  ];
}
