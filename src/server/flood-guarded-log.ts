// A log-flood guard for events any client can cause at will (refused connections, failed logins,
// protocol errors, refused statements): at most `perMinute` lines per event per minute. The rest
// are counted, not written; the next line of that event carries `suppressed` (how many were
// dropped since the last one written), and flush() writes what is still owed, so a flood is
// visible without drowning the log.
import type { Logger } from 'pino';
import { RateLimitedLog } from '../../raft/rate-limited-log.js';

export const DEFAULT_LINES_PER_MINUTE = 20;

export interface GuardedFields {
  /** The event name; each one has its own budget. */
  event: string;
  [key: string]: unknown;
}

export class FloodGuardedLog {
  readonly #budgets = new Map<string, RateLimitedLog>();

  constructor(
    private readonly logger: Logger,
    private readonly perMinute: number = DEFAULT_LINES_PER_MINUTE,
    private readonly now: () => number = Date.now,
  ) {}

  write(level: 'error' | 'warn' | 'info', fields: GuardedFields, message: string): void {
    let budget = this.#budgets.get(fields.event);
    if (!budget) {
      budget = new RateLimitedLog(this.perMinute, this.now);
      this.#budgets.set(fields.event, budget);
    }
    const line = budget.take();
    if (line === null) return;
    this.logger[level](line.suppressed > 0 ? { ...fields, suppressed: line.suppressed } : fields, message);
  }

  /** One line per event with dropped lines not yet reported (at shutdown). */
  flush(): void {
    for (const [event, budget] of this.#budgets) {
      const suppressed = budget.takeSuppressed();
      if (suppressed > 0) this.logger.warn({ event: 'server.log.suppressed', of: event, suppressed }, 'log lines suppressed by the flood guard');
    }
  }
}
