// MySQL GTID sets: `uuid:1-5:7-9,uuid2:3`, with 8.3+ tags: `uuid:1-5:mytag:1-3` (a tag applies to
// the intervals after it, until the next tag). Canonical text is what MySQL prints: UUIDs
// lowercase and ascending, untagged intervals first then tags ascending, intervals merged
// ("1-3" and "4" become "1-4"), single GTIDs as "n".
// Sequence numbers (GNOs) are bigints: MySQL allows 1 .. 2^63−2.
// Sets are mutable only through add()/addInterval()/addAll(); union/subtract return new sets.
import { BinlogError } from './binlog-error.js';

/** One MySQL GTID; `tag` is '' for an untagged GTID. */
export interface MysqlGtid {
  uuid: string;
  tag: string;
  gno: bigint;
}

/** Inclusive interval of sequence numbers. */
export interface GnoInterval {
  start: bigint;
  end: bigint;
}

/** One transaction source (uuid + tag) and its intervals. */
export interface TsidIntervals {
  uuid: string;
  tag: string;
  intervals: readonly GnoInterval[];
}

/** GNO_END: one past the largest sequence number. */
export const GNO_END = (1n << 63n) - 1n;
const MAX_TAG_LENGTH = 32;
const UUID_RE = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;
const TAG_RE = /^[a-z_][a-z0-9_]*$/i;

/** Canonical lowercase dashed form of a UUID, accepting 32-hex and braced forms. */
export function normalizeUuid(text: string): string {
  const m = UUID_RE.exec(text.trim());
  if (!m) throw new BinlogError('BINLOG_BAD_GTID', `invalid UUID "${text}"`);
  return `${m[1]}-${m[2]}-${m[3]}-${m[4]}-${m[5]}`.toLowerCase();
}

export function normalizeTag(text: string): string {
  const t = text.trim();
  if (t.length > MAX_TAG_LENGTH || (t !== '' && !TAG_RE.test(t))) throw new BinlogError('BINLOG_BAD_GTID', `invalid GTID tag "${text}"`);
  return t.toLowerCase();
}

export function uuidToBytes(uuid: string): Uint8Array {
  return Buffer.from(normalizeUuid(uuid).replace(/-/g, ''), 'hex');
}

export function uuidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new BinlogError('BINLOG_BAD_GTID', `a UUID has 16 bytes, got ${bytes.length}`);
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Parses `uuid:n` or `uuid:tag:n`. */
export function parseMysqlGtid(text: string): MysqlGtid {
  const parts = text.trim().split(':');
  if (parts.length < 2 || parts.length > 3) throw new BinlogError('BINLOG_BAD_GTID', `invalid GTID "${text}"`);
  const uuid = normalizeUuid(parts[0]!);
  const tag = parts.length === 3 ? normalizeTag(parts[1]!) : '';
  return { uuid, tag, gno: parseGno(parts[parts.length - 1]!, text) };
}

export function formatMysqlGtid(gtid: MysqlGtid): string {
  return gtid.tag ? `${gtid.uuid}:${gtid.tag}:${gtid.gno}` : `${gtid.uuid}:${gtid.gno}`;
}

function parseGno(text: string, whole: string): bigint {
  const t = text.trim();
  if (!/^\d{1,19}$/.test(t)) throw new BinlogError('BINLOG_BAD_GTID', `invalid sequence number "${text}" in "${whole}"`);
  const n = BigInt(t);
  if (n < 1n || n >= GNO_END) throw new BinlogError('BINLOG_BAD_GTID', `sequence number ${t} out of range in "${whole}"`);
  return n;
}

function key(uuid: string, tag: string): string {
  return `${uuid}:${tag}`;
}

export class MysqlGtidSet {
  /** key(uuid, tag) → sorted, disjoint, non-adjacent inclusive intervals (never empty). */
  private readonly sets = new Map<string, GnoInterval[]>();

  static empty(): MysqlGtidSet {
    return new MysqlGtidSet();
  }

  /** Parses MySQL's text form; whitespace and newlines around separators are allowed. */
  static parse(text: string): MysqlGtidSet {
    const set = new MysqlGtidSet();
    const trimmed = text.trim();
    if (trimmed === '') return set;
    for (const sidText of trimmed.split(',')) {
      const parts = sidText.split(':').map((p) => p.trim());
      if (parts[0] === '' && parts.length === 1) throw new BinlogError('BINLOG_BAD_GTID', `empty element in GTID set "${text}"`);
      const uuid = normalizeUuid(parts[0]!);
      let tag = '';
      for (const part of parts.slice(1)) {
        if (/^[a-z_]/i.test(part)) {
          tag = normalizeTag(part);
          continue;
        }
        const dash = part.indexOf('-');
        const start = parseGno(dash < 0 ? part : part.slice(0, dash), text);
        const end = dash < 0 ? start : parseGno(part.slice(dash + 1), text);
        if (end < start) throw new BinlogError('BINLOG_BAD_GTID', `interval "${part}" ends before it starts in "${text}"`);
        set.addInterval(uuid, tag, start, end);
      }
    }
    return set;
  }

  /** Builds a set from decoded (uuid, tag, intervals) entries, normalizing them. */
  static fromEntries(entries: Iterable<TsidIntervals>): MysqlGtidSet {
    const set = new MysqlGtidSet();
    for (const e of entries) for (const iv of e.intervals) set.addInterval(e.uuid, e.tag, iv.start, iv.end);
    return set;
  }

  clone(): MysqlGtidSet {
    const copy = new MysqlGtidSet();
    for (const [k, ivs] of this.sets) copy.sets.set(k, ivs.map((iv) => ({ ...iv })));
    return copy;
  }

  isEmpty(): boolean {
    return this.sets.size === 0;
  }

  /** Whether any transaction source has a tag (decides the binary encoding format). */
  hasTags(): boolean {
    for (const k of this.sets.keys()) if (!k.endsWith(':')) return true;
    return false;
  }

  /** Entries sorted by (uuid, tag). */
  entries(): TsidIntervals[] {
    return [...this.sets.entries()]
      .map(([k, intervals]) => {
        const i = k.indexOf(':');
        return { uuid: k.slice(0, i), tag: k.slice(i + 1), intervals };
      })
      .sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  }

  /** Number of GTIDs in the set. */
  count(): bigint {
    let n = 0n;
    for (const ivs of this.sets.values()) for (const iv of ivs) n += iv.end - iv.start + 1n;
    return n;
  }

  toString(): string {
    const groups: string[] = [];
    let current = '';
    let currentUuid = '';
    for (const e of this.entries()) {
      const ivs = e.intervals.map((iv) => (iv.start === iv.end ? `${iv.start}` : `${iv.start}-${iv.end}`)).join(':');
      const piece = e.tag ? `${e.tag}:${ivs}` : ivs;
      if (e.uuid === currentUuid) {
        current += `:${piece}`;
      } else {
        if (current) groups.push(current);
        current = `${e.uuid}:${piece}`;
        currentUuid = e.uuid;
      }
    }
    if (current) groups.push(current);
    return groups.join(',');
  }

  /** Adds one GTID in place; returns this. */
  add(gtid: MysqlGtid): this {
    return this.addInterval(gtid.uuid, gtid.tag, gtid.gno, gtid.gno);
  }

  /** Adds an inclusive interval in place; returns this. */
  addInterval(uuid: string, tag: string, start: bigint, end: bigint): this {
    if (start < 1n || end >= GNO_END || end < start) {
      throw new BinlogError('BINLOG_BAD_GTID', `invalid interval ${start}-${end}`);
    }
    const k = key(normalizeUuid(uuid), normalizeTag(tag));
    const ivs = this.sets.get(k);
    if (!ivs) {
      this.sets.set(k, [{ start, end }]);
      return this;
    }
    // Fast path: appending after the last interval (the common case of a growing executed set).
    const last = ivs[ivs.length - 1]!;
    if (start > last.end) {
      if (start === last.end + 1n) last.end = end;
      else ivs.push({ start, end });
      return this;
    }
    this.sets.set(k, unionIntervals(ivs, [{ start, end }]));
    return this;
  }

  /** Adds every GTID of `other` in place; returns this. */
  addAll(other: MysqlGtidSet): this {
    for (const [k, ivs] of other.sets) {
      const mine = this.sets.get(k);
      this.sets.set(k, mine ? unionIntervals(mine, ivs) : ivs.map((iv) => ({ ...iv })));
    }
    return this;
  }

  union(other: MysqlGtidSet): MysqlGtidSet {
    return this.clone().addAll(other);
  }

  /** The GTIDs of this set that are not in `other`. */
  subtract(other: MysqlGtidSet): MysqlGtidSet {
    const out = new MysqlGtidSet();
    for (const [k, ivs] of this.sets) {
      const theirs = other.sets.get(k);
      const rest = theirs ? subtractIntervals(ivs, theirs) : ivs.map((iv) => ({ ...iv }));
      if (rest.length) out.sets.set(k, rest);
    }
    return out;
  }

  /** The GTIDs in both sets. */
  intersect(other: MysqlGtidSet): MysqlGtidSet {
    return this.subtract(this.subtract(other));
  }

  containsGtid(gtid: MysqlGtid): boolean {
    const ivs = this.sets.get(key(gtid.uuid, gtid.tag));
    if (!ivs) return false;
    let lo = 0;
    let hi = ivs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const iv = ivs[mid]!;
      if (gtid.gno < iv.start) hi = mid - 1;
      else if (gtid.gno > iv.end) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Whether every GTID of `other` is in this set (other ⊆ this). */
  contains(other: MysqlGtidSet): boolean {
    for (const [k, ivs] of other.sets) {
      const mine = this.sets.get(k);
      if (!mine || subtractIntervals(ivs, mine).length > 0) return false;
    }
    return true;
  }

  equals(other: MysqlGtidSet): boolean {
    return this.contains(other) && other.contains(this);
  }
}

/** Union of two sorted disjoint interval lists, merging overlapping and adjacent intervals. */
export function unionIntervals(a: readonly GnoInterval[], b: readonly GnoInterval[]): GnoInterval[] {
  const all = [...a, ...b].sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  const out: GnoInterval[] = [];
  for (const iv of all) {
    const last = out[out.length - 1];
    if (last && iv.start <= last.end + 1n) {
      if (iv.end > last.end) last.end = iv.end;
    } else {
      out.push({ start: iv.start, end: iv.end });
    }
  }
  return out;
}

/** a − b for sorted disjoint interval lists. */
export function subtractIntervals(a: readonly GnoInterval[], b: readonly GnoInterval[]): GnoInterval[] {
  const out: GnoInterval[] = [];
  let j = 0;
  for (const iv of a) {
    let start = iv.start;
    const end = iv.end;
    while (j < b.length && b[j]!.end < start) j++;
    let k = j;
    while (k < b.length && b[k]!.start <= end) {
      const cut = b[k]!;
      if (cut.start > start) out.push({ start, end: cut.start - 1n });
      if (cut.end >= end) {
        start = end + 1n;
        break;
      }
      start = cut.end + 1n;
      k++;
    }
    if (start <= end) out.push({ start, end });
  }
  return out;
}
