// Test support: where the fixture binlog files live (test/fixtures/), and parsers for the two kinds of listing that
// come with them — `mysqlbinlog`/`mariadb-binlog` text output and our `*.events.txt` listings —
// so tests compare the codec against the listings instead of hand-copied numbers.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BinlogEvent } from '../../../src/binlog/binlog-event.js';
import { BinlogEventReader } from '../../../src/binlog/event-reader.js';
import { BinlogError } from '../../../src/binlog/binlog-error.js';

/** The fixture files kept in the repo (test/fixtures/), from the repo root (the cwd of test runs). */
export function fixturesDir(): string {
  return resolve(process.cwd(), 'test/fixtures');
}

export function fixturePath(...parts: string[]): string {
  return join(fixturesDir(), ...parts);
}

export function readFixture(...parts: string[]): Buffer {
  return readFileSync(fixturePath(...parts));
}

export interface ListedEvent {
  pos: number;
  /** end_log_pos / next position as listed. */
  end: number;
  /** Our type name (mapped from the listing's label). */
  type: string;
  serverId: number;
  /** GTID carried by the event (GTID_NEXT / `GTID d-s-n`), null for none or ANONYMOUS. */
  gtid: string | null;
  /** Stored CRC32 as listed, when the listing shows it. */
  crc?: number;
  /** Everything after the fixed columns (labels, key=value details). */
  detail: string;
  /** mysqlbinlog QUERY events: the statement printed after the header (session SETs dropped). */
  statement?: string;
  /** For PREVIOUS_GTIDS / GTID_LIST: the listed set. */
  set?: string;
  /** events.txt only: event length and header flags. */
  length?: number;
  flags?: number;
  timestamp?: number;
  /** events.txt only: the events listed inside a TRANSACTION_PAYLOAD. */
  inner?: ListedEvent[];
}

/** Key=value pairs of a detail string (`db=foo q=...` stops at q=, which runs to the end). */
export function detailFields(detail: string): Record<string, string> {
  const out: Record<string, string> = {};
  const qAt = detail.search(/(^|\s)q=/);
  const head = qAt >= 0 ? detail.slice(0, qAt) : detail;
  if (qAt >= 0) out.q = detail.slice(detail.indexOf('q=', qAt) + 2);
  for (const m of head.matchAll(/(\w+)=(\S*)/g)) out[m[1]!] = m[2]!;
  return out;
}

const EVENTS_LINE = /^(\s*)(\d+)\s+(\S+)\s+len=(\d+)\s+next=(\d+)\s+flags=0x([0-9a-f]+) sid=(\d+) ts=(\d+)(?: crc=(\w+))?\s?(.*)$/;

/** Parses a `*.events.txt` listing (test/fixtures/mysql8-binlog/SOURCES.md describes it). */
export function parseEventsListing(text: string): ListedEvent[] {
  const events: ListedEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = EVENTS_LINE.exec(line);
    if (!m) throw new Error(`unrecognized listing line: ${line}`);
    const detail = m[10] ?? '';
    const f = detailFields(detail);
    const ev: ListedEvent = {
      pos: Number(m[2]), type: m[3]!, length: Number(m[4]), end: Number(m[5]), flags: parseInt(m[6]!, 16),
      serverId: Number(m[7]), timestamp: Number(m[8]), gtid: f.gtid ?? null, detail,
    };
    if (ev.type === 'PREVIOUS_GTIDS') ev.set = detail.trim();
    if (m[1]!.length > 0) {
      const parent = events[events.length - 1];
      if (!parent) throw new Error('inner event without a parent');
      (parent.inner ??= []).push(ev);
    } else {
      events.push(ev);
    }
  }
  return events;
}

const HEADER_LINE = /^#\d{6}\s+\d{1,2}:\d{2}:\d{2} server id (\d+)\s+end_log_pos (\d+)(?:\s+CRC32 0x([0-9a-f]+))?\s+(.*)$/;

/** How `mysqlbinlog`/`mariadb-binlog` label event types, mapped to our names. Row events are
 *  labelled alike for v1 and v2, so the flavor decides (MariaDB 10.x writes v1, MySQL 5.7+ v2). */
function typeFromLabel(rest: string, flavor: 'mysql' | 'mariadb'): string {
  const label = rest.split(/[\s:]/)[0]!;
  const rows = (name: string) => (flavor === 'mariadb' ? `${name}_V1` : name);
  switch (label) {
    case 'Start': return 'FORMAT_DESCRIPTION';
    case 'Previous-GTIDs': return 'PREVIOUS_GTIDS';
    case 'GTID': return flavor === 'mariadb' ? 'MARIADB_GTID' : 'GTID';
    case 'Anonymous_GTID': return 'ANONYMOUS_GTID';
    case 'Query': return 'QUERY';
    case 'Table_map': return 'TABLE_MAP';
    case 'Write_rows': return rows('WRITE_ROWS');
    case 'Update_rows': return rows('UPDATE_ROWS');
    case 'Delete_rows': return rows('DELETE_ROWS');
    case 'Xid': return 'XID';
    case 'XID': return 'XA_PREPARE'; // mariadb-binlog: "XID = X'…'" then "XA PREPARE …"
    case 'Rotate': return 'ROTATE';
    case 'Stop': return 'STOP';
    case 'Gtid': return 'MARIADB_GTID_LIST'; // "Gtid list [...]"
    case 'Binlog': return 'MARIADB_BINLOG_CHECKPOINT'; // "Binlog checkpoint f"
    case 'Annotate_rows': return 'MARIADB_ANNOTATE_ROWS';
    case 'Rows_query': return 'ROWS_QUERY';
    case 'Intvar': return 'INTVAR';
    case 'User_var': return 'USER_VAR';
    case 'Rand': return 'RAND';
    default: throw new Error(`unknown mysqlbinlog event label "${label}" in: ${rest}`);
  }
}

/**
 * Parses `mysqlbinlog` / `mariadb-binlog` text output (without -v or --hexdump requirements).
 * `# at N` lines queue offsets that the following `#yymmdd hh:mm:ss server id …` header lines
 * consume in order (mariadb-binlog prints ANNOTATE_ROWS and the TABLE_MAP after it as two `# at`
 * lines followed by two headers).
 */
export function parseMysqlbinlogListing(text: string, flavor: 'mysql' | 'mariadb'): ListedEvent[] {
  const events: ListedEvent[] = [];
  const pending: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const at = /^# at (\d+)$/.exec(line);
    if (at) {
      pending.push(Number(at[1]));
      continue;
    }
    const h = HEADER_LINE.exec(line);
    if (h) {
      const pos = pending.shift();
      if (pos === undefined) throw new Error(`event header without "# at": ${line}`);
      const rest = h[4]!;
      const type = typeFromLabel(rest, flavor);
      const ev: ListedEvent = {
        pos, end: Number(h[2]), type, serverId: Number(h[1]), gtid: null, detail: rest,
        ...(h[3] ? { crc: parseInt(h[3], 16) } : {}),
      };
      const mariaGtid = /^GTID (\d+-\d+-\d+)/.exec(rest);
      if (flavor === 'mariadb' && mariaGtid) ev.gtid = mariaGtid[1]!;
      const list = /^Gtid list \[(.*)\]/.exec(rest);
      if (list) ev.set = list[1]!;
      if (type === 'PREVIOUS_GTIDS') {
        // The set follows on "# " lines, continued with ",\n" for several UUIDs.
        let set = '';
        while (lines[i + 1]?.startsWith('# ') && !lines[i + 1]!.startsWith('# at ')) set += lines[++i]!.slice(2);
        ev.set = set.trim();
      }
      events.push(ev);
      continue;
    }
    const last = events[events.length - 1];
    if (last?.type === 'QUERY' && !line.startsWith('#') && !/^(SET |use |\/\*!|DELIMITER)/.test(line)) {
      const text = line.replace(/\/\*!\*\/;$/, '');
      if (text.trim()) last.statement = last.statement === undefined ? text : `${last.statement}\n${text}`;
    }
    const next = /GTID_NEXT= '([^']+)'/.exec(line);
    if (next && next[1] !== 'AUTOMATIC') {
      if (last && (last.type === 'GTID' || last.type === 'ANONYMOUS_GTID')) last.gtid = next[1] === 'ANONYMOUS' ? null : next[1]!.toLowerCase();
    }
  }
  if (pending.length) throw new Error(`"# at" without an event header: ${pending.join(',')}`);
  return events;
}

/** Every binlog fixture with its listing: [binary path, listed events, flavor]. */
export function allFixtureListings(): Array<{ name: string; path: string; events: ListedEvent[] }> {
  const out: Array<{ name: string; path: string; events: ListedEvent[] }> = [];
  for (const [bin, txt] of [['mysql_bin.000011', '11.txt'], ['mysql_bin.000012', '12.txt']] as const) {
    out.push({
      name: `mysql57-binlog/${bin}`, path: fixturePath('mysql57-binlog', bin),
      events: parseMysqlbinlogListing(readFileSync(fixturePath('mysql57-binlog', txt), 'utf8'), 'mysql'),
    });
  }
  for (const file of readdirSync(fixturePath('mysql8-binlog')).filter((f) => f.endsWith('.events.txt')).sort()) {
    const bin = file.slice(0, -'.events.txt'.length);
    out.push({
      name: `mysql8-binlog/${bin}`, path: fixturePath('mysql8-binlog', bin),
      events: parseEventsListing(readFileSync(fixturePath('mysql8-binlog', file), 'utf8')),
    });
  }
  return out;
}

/** Seeded floats in [0, 1) for property-style tests (test/helpers/seeded-random.ts). */
export { seededRandom } from '../../helpers/seeded-random.js';

/** All events of a binlog file read with the codec's reader (for tests of per-event parsers). */
export function readEventsOf(path: string): BinlogEvent[] {
  const reader = new BinlogEventReader();
  const events = reader.feed(readFileSync(path));
  reader.end();
  return events;
}

/** True when `fn` throws the codec's BINLOG_BAD_GTID error. */
export function badGtid(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    return e instanceof BinlogError && e.code === 'BINLOG_BAD_GTID';
  }
}
