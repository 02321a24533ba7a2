// `binrelay inspect FILE [--json]`: lists the events of a binlog or relay-log file, one per line,
// streaming the file (memory stays flat whatever its size).
//
// Text format, one aligned line per event:
//   pos=<offset>  end=<header log_pos>  type=<TYPE_NAME>  server_id=<n>  gtid=<gtid or ->  [detail]
// e.g.
//   pos=4          end=123          type=FORMAT_DESCRIPTION        server_id=3150       gtid=-  server=5.7.23-log binlog_v=4 checksum=CRC32
//   pos=194        end=259          type=GTID                      server_id=3150       gtid=214eb71f-96ec-11e8-ab4f-fa163e72d4ae:11790
// `--json`: one object per line with exactly {"pos","end","type","serverId","gtid"} (gtid null
// when the event carries none). MySQL GTIDs print as uuid:n (uuid:tag:n when tagged), MariaDB's
// as domain-server-seq. A TRANSACTION_PAYLOAD is listed as one event at its file offset; the
// events compressed inside it have no file offset of their own and are not listed.
// Every CRC32 is verified. On a corrupt or truncated file the good events are printed first, then
// the error goes to stderr and the exit code is 1.
import { BinlogError } from '../binlog/binlog-error.js';
import { readBinlogFile } from '../binlog/binlog-file.js';
import { summarizeEvent } from '../binlog/event-summary.js';
import { FORMAT_DESCRIPTION_EVENT } from '../binlog/event-type.js';
import { parseFormatDescription, type FormatDescription } from '../binlog/format-description.js';

const USAGE = `usage: binrelay inspect FILE [--json]

Lists the events of a MySQL/MariaDB binlog or relay-log file, one per line: the event's offset,
its header log_pos, type, server id and GTID. Every event's CRC32 is checked.

options:
  --json      one JSON object per line: {"pos","end","type","serverId","gtid"}
  -h, --help  show this help
`;

export interface InspectOptions {
  json: boolean;
}

export interface InspectResult {
  events: number;
  /** Set when the file is corrupt or truncated; the events before it were written. */
  error?: BinlogError;
}

const FLUSH_LINES = 512;

/** Streams `path` and writes one line per event through `write` (called with whole lines). */
export async function inspectFile(path: string, options: InspectOptions, write: (text: string) => void): Promise<InspectResult> {
  let lines: string[] = [];
  const flush = () => {
    if (lines.length) write(lines.join(''));
    lines = [];
  };
  let events = 0;
  let fde: FormatDescription | undefined;
  try {
    for await (const event of readBinlogFile(path)) {
      // QUERY layouts depend on the governing FDE's post-header lengths.
      if (event.header.type === FORMAT_DESCRIPTION_EVENT) fde = parseFormatDescription(event.bytes);
      const s = summarizeEvent(event, fde);
      const h = event.header;
      lines.push(options.json
        ? `${JSON.stringify({ pos: event.offset, end: h.logPos, type: s.type, serverId: h.serverId, gtid: s.gtid })}\n`
        : textLine(event.offset, h.logPos, s.type, h.serverId, s.gtid, s.info));
      events++;
      if (lines.length >= FLUSH_LINES) flush();
    }
  } catch (err) {
    flush();
    if (err instanceof BinlogError) return { events, error: err };
    throw err;
  }
  flush();
  return { events };
}

function textLine(pos: number, end: number, type: string, serverId: number, gtid: string | null, info: string): string {
  const line = `pos=${String(pos).padEnd(10)} end=${String(end).padEnd(10)} type=${type.padEnd(25)} server_id=${String(serverId).padEnd(10)} gtid=${gtid ?? '-'}`;
  return info ? `${line}  ${info}\n` : `${line}\n`;
}

export async function runInspect(args: string[]): Promise<number> {
  let json = false;
  const files: string[] = [];
  for (const arg of args) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (arg === '--json') json = true;
    else if (arg.startsWith('-') && arg !== '-') {
      process.stderr.write(`binrelay inspect: unknown option ${arg}\n\n${USAGE}`);
      return 2;
    } else files.push(arg);
  }
  if (files.length !== 1) {
    process.stderr.write(`binrelay inspect: expected exactly one FILE\n\n${USAGE}`);
    return 2;
  }
  const file = files[0]!;
  let result: InspectResult;
  try {
    result = await inspectFile(file, { json }, (text) => process.stdout.write(text));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`binrelay inspect: ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}\n`);
    return 1;
  }
  if (result.error) {
    process.stderr.write(`binrelay inspect: ${file}: ${result.error.code}: ${result.error.message}; ${result.events} good events listed before it\n`);
    return 1;
  }
  return 0;
}
