// `log-format: pretty`: pino's JSON lines turned into one readable line each for a terminal —
//   06:33:00.123 INFO  n1 raft.leader.changed leader changed  leader=2 term=3 role=leader
// the time, level, node, event and message first, then the other fields as key=value (objects as
// JSON), and an error's stack indented below. Colours only on a TTY. Small enough to keep here
// rather than adding pino-pretty and its dependencies to the image for one formatter.
import { Writable } from 'node:stream';

const LEVELS: Readonly<Record<number, { name: string; colour: number }>> = {
  10: { name: 'TRACE', colour: 90 }, 20: { name: 'DEBUG', colour: 36 }, 30: { name: 'INFO', colour: 32 },
  40: { name: 'WARN', colour: 33 }, 50: { name: 'ERROR', colour: 31 }, 60: { name: 'FATAL', colour: 35 },
};
/** Printed in the head of the line, or not at all. */
const HEAD_KEYS = new Set(['level', 'time', 'node', 'event', 'msg', 'pid', 'hostname', 'err']);

/** One JSON log line → one readable line (plus an error's stack). A line that is not JSON passes. */
export function prettyLine(json: string, colours = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const paint = (code: number, text: string): string => (colours ? `\x1b[${code}m${text}\x1b[0m` : text);
  const level = LEVELS[Number(entry.level)] ?? { name: String(entry.level), colour: 0 };
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : new Date(Number(entry.time)).toISOString().slice(11, 23);
  const head = [paint(90, time), paint(level.colour, level.name.padEnd(5)), entry.node, entry.event && paint(1, String(entry.event)), entry.msg]
    .filter((part) => part !== undefined && part !== '').join(' ');
  const fields = Object.entries(entry).filter(([key]) => !HEAD_KEYS.has(key))
    .map(([key, value]) => `${paint(90, `${key}=`)}${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const err = entry.err as { message?: string; stack?: string } | undefined;
  const stack = err ? `\n    ${(err.stack ?? err.message ?? JSON.stringify(err)).split('\n').join('\n    ')}` : '';
  return `${head}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}${stack}\n`;
}

/** A destination for pino that writes pretty lines to `out`. */
export function prettyLogStream(out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Writable {
  const colours = out.isTTY === true;
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += chunk.toString();
      let at: number;
      while ((at = pending.indexOf('\n')) >= 0) {
        out.write(prettyLine(pending.slice(0, at), colours));
        pending = pending.slice(at + 1);
      }
      done();
    },
  });
}
