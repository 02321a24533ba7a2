// MariaDB GTIDs and GTID positions. A GTID is `domain-server-seq` (u32, u32, u64). A position
// (gtid_slave_pos, @slave_connect_state, gtid_binlog_pos) holds one GTID per replication domain:
// `0-1-100,1-2-7`. In gtid_strict_mode sequence numbers only grow inside a domain, so a
// transaction d-s-n is already executed when the position's seq for domain d is ≥ n, whatever
// its server id. Canonical text: domains ascending, no spaces.
import { BinlogError } from './binlog-error.js';

export interface MariaDbGtid {
  domain: number;
  serverId: number;
  seq: bigint;
}

const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

export function parseMariaDbGtid(text: string): MariaDbGtid {
  const m = /^\s*(\d{1,10})-(\d{1,10})-(\d{1,20})\s*$/.exec(text);
  if (!m) throw new BinlogError('BINLOG_BAD_GTID', `invalid MariaDB GTID "${text}"`);
  const domain = Number(m[1]);
  const serverId = Number(m[2]);
  const seq = BigInt(m[3]!);
  if (domain > U32_MAX || serverId > U32_MAX || seq > U64_MAX) throw new BinlogError('BINLOG_BAD_GTID', `MariaDB GTID "${text}" out of range`);
  return { domain, serverId, seq };
}

export function formatMariaDbGtid(gtid: MariaDbGtid): string {
  return `${gtid.domain}-${gtid.serverId}-${gtid.seq}`;
}

export class MariaDbGtidSet {
  private readonly byDomain = new Map<number, MariaDbGtid>();

  static empty(): MariaDbGtidSet {
    return new MariaDbGtidSet();
  }

  /** Parses `d-s-n,d-s-n`; two GTIDs of the same domain are an error, as for @slave_connect_state. */
  static parse(text: string): MariaDbGtidSet {
    const set = new MariaDbGtidSet();
    const trimmed = text.trim();
    if (trimmed === '') return set;
    for (const part of trimmed.split(',')) {
      const gtid = parseMariaDbGtid(part);
      if (set.byDomain.has(gtid.domain)) throw new BinlogError('BINLOG_BAD_GTID', `domain ${gtid.domain} appears twice in "${text}"`);
      set.byDomain.set(gtid.domain, gtid);
    }
    return set;
  }

  /** Position from a list that may hold several GTIDs per domain (a GTID_LIST / binlog state):
   *  the highest sequence number of each domain wins. */
  static fromList(gtids: Iterable<MariaDbGtid>): MariaDbGtidSet {
    const set = new MariaDbGtidSet();
    for (const g of gtids) {
      const cur = set.byDomain.get(g.domain);
      if (!cur || g.seq >= cur.seq) set.byDomain.set(g.domain, { ...g });
    }
    return set;
  }

  clone(): MariaDbGtidSet {
    return MariaDbGtidSet.fromList(this.byDomain.values());
  }

  isEmpty(): boolean {
    return this.byDomain.size === 0;
  }

  /** The latest GTID of a domain, if any. */
  get(domain: number): MariaDbGtid | undefined {
    const g = this.byDomain.get(domain);
    return g ? { ...g } : undefined;
  }

  /** GTIDs ascending by domain. */
  gtids(): MariaDbGtid[] {
    return [...this.byDomain.values()].sort((a, b) => a.domain - b.domain).map((g) => ({ ...g }));
  }

  toString(): string {
    return this.gtids().map(formatMariaDbGtid).join(',');
  }

  /** Records that `gtid` was executed: it becomes its domain's entry. Returns this. */
  update(gtid: MariaDbGtid): this {
    this.byDomain.set(gtid.domain, { ...gtid });
    return this;
  }

  /** Strict-mode "already executed": the domain's seq is ≥ the GTID's seq. */
  containsGtid(gtid: MariaDbGtid): boolean {
    const cur = this.byDomain.get(gtid.domain);
    return cur !== undefined && cur.seq >= gtid.seq;
  }

  /** Whether every domain of `other` is at or behind this position. */
  contains(other: MariaDbGtidSet): boolean {
    for (const g of other.byDomain.values()) if (!this.containsGtid(g)) return false;
    return true;
  }

  /** Per domain, the more advanced of the two positions. */
  union(other: MariaDbGtidSet): MariaDbGtidSet {
    return MariaDbGtidSet.fromList([...this.byDomain.values(), ...other.byDomain.values()]);
  }

  equals(other: MariaDbGtidSet): boolean {
    return this.toString() === other.toString();
  }
}
