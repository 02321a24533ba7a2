// The last warnings and errors this process logged, for the dashboard: the event name, the
// message and the time, nothing else from the line (fields may carry what a page must not show).
export interface LoggedProblem {
  at: string;
  level: 'warn' | 'error' | 'fatal';
  event: string | null;
  message: string;
}

const KEPT = 50;
const problems: LoggedProblem[] = [];

/** pino's numeric level → ours; below warn is not a problem. */
function levelName(level: number): LoggedProblem['level'] | null {
  return level >= 60 ? 'fatal' : level >= 50 ? 'error' : level >= 40 ? 'warn' : null;
}

/** Records a log call's arguments (pino's logMethod hook: `[obj?, msg?, ...]`). */
export function recordProblem(level: number, args: readonly unknown[]): void {
  const name = levelName(level);
  if (name === null) return;
  const [first, second] = args;
  const fields = typeof first === 'object' && first !== null ? (first as { event?: unknown }) : null;
  const message = typeof first === 'string' ? first : typeof second === 'string' ? second : '';
  problems.push({ at: new Date().toISOString(), level: name, event: typeof fields?.event === 'string' ? fields.event : null, message: message.slice(0, 300) });
  if (problems.length > KEPT) problems.shift();
}

/** Newest first. */
export function recentProblems(): LoggedProblem[] {
  return [...problems].reverse();
}
