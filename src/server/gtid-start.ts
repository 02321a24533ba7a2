// Where a GTID-positioned dump starts. Pure functions over the relay's file list, so they are
// unit-tested on synthetic lists.
//
// MariaDB (sql_repl.cc: check_slave_start_position, gtid_find_binlog_file,
// contains_all_slave_gtid): first every GTID of the connect state is checked against the binlog
// state; then, newest file first, the start file is the first one whose GTID_LIST shows that no
// requested GTID lies in an earlier file. A requested GTID that is the very last one of its
// domain before that file is dropped from the state: nothing of that domain needs skipping.
//
// MySQL (rpl_binlog_sender.cc: check_start_file): the replica must not have GTIDs of a source the
// relay knows beyond what the relay has, must have every purged GTID, and the start file is the
// newest one whose PREVIOUS_GTIDS is contained in the replica's set.
import type { MariaDbGtid, MariaDbGtidSet } from '../binlog/gtid-set-mariadb.js';
import { MysqlGtidSet } from '../binlog/gtid-set-mysql.js';
import type { DumpErrors } from './dump-errors.js';

export interface SlaveStateEntry {
  gtid: MariaDbGtid;
  /** The binlog had nothing of this domain when the dump started (START_ON_EMPTY_DOMAIN): the
   *  position is re-checked when the domain shows up. */
  emptyDomain: boolean;
  /** A domain that was empty at the start showed up with another server's GTID last: the
   *  requested one must be met while streaming. */
  unverified: boolean;
}

/** The GTIDs still to be reached, by domain (slave_connection_state). */
export type SlaveConnectionState = Map<number, SlaveStateEntry>;

export interface GtidStartOptions {
  /** @slave_gtid_ignore_duplicates: a position ahead of the binlog is accepted. */
  ignoreDuplicates: boolean;
}

/** The binlog state: the last GTID of every (domain, server_id) pair the binlog holds. */
export class BinlogState {
  readonly #byPair = new Map<string, MariaDbGtid>();
  readonly #byDomain = new Map<number, MariaDbGtid>();

  constructor(gtids: Iterable<MariaDbGtid>) {
    for (const g of gtids) this.update(g);
  }

  update(g: MariaDbGtid): void {
    this.#byPair.set(`${g.domain}-${g.serverId}`, g);
    const cur = this.#byDomain.get(g.domain);
    // In strict mode the newest GTID of a domain has its highest sequence number.
    if (!cur || g.seq >= cur.seq) this.#byDomain.set(g.domain, g);
  }

  /** find_in_binlog_state */
  find(domain: number, serverId: number): MariaDbGtid | undefined {
    return this.#byPair.get(`${domain}-${serverId}`);
  }

  /** lookup_domain_in_binlog_state: the domain's last GTID. */
  lastOfDomain(domain: number): MariaDbGtid | undefined {
    return this.#byDomain.get(domain);
  }
}

/** check_slave_start_position: every requested GTID must be in the binlog (or its domain empty). */
export function checkMariaDbStartPosition(
  requested: MariaDbGtidSet,
  binlogState: BinlogState,
  options: GtidStartOptions,
  errors: DumpErrors,
): SlaveConnectionState {
  const state: SlaveConnectionState = new Map();
  for (const gtid of requested.gtids()) {
    const entry: SlaveStateEntry = { gtid, emptyDomain: false, unverified: false };
    state.set(gtid.domain, entry);
    const found = binlogState.find(gtid.domain, gtid.serverId);
    if (found && found.seq >= gtid.seq) continue;
    const last = binlogState.lastOfDomain(gtid.domain);
    if (!last) {
      entry.emptyDomain = true;
      continue;
    }
    // With --gtid-ignore-duplicates the replica may have it from another master already.
    if (options.ignoreDuplicates && last.seq < gtid.seq) continue;
    throw errors.gtidNotInBinlog(gtid, last.seq >= gtid.seq);
  }
  return state;
}

/** contains_all_slave_gtid: no requested GTID lies in a file before the one with this list. */
export function containsAllSlaveGtids(state: SlaveConnectionState, list: readonly MariaDbGtid[]): boolean {
  for (let i = 0; i < list.length; i++) {
    const listed = list[i]!;
    const entry = state.get(listed.domain);
    if (!entry) return false; // the replica needs this domain from its very beginning
    const g = entry.gtid;
    if (g.serverId === listed.serverId && g.seq <= listed.seq) {
      if (g.seq < listed.seq) return false;
      // g is the last GTID logged before this file only if it ends its domain's group.
      if (i + 1 < list.length && list[i + 1]!.domain === listed.domain) return false;
    }
  }
  return true;
}

export interface ListedFile {
  name: string;
  /** The file's GTID_LIST (the binlog state before it), null when unknown. */
  gtidList: readonly MariaDbGtid[] | null;
}

/**
 * gtid_find_binlog_file: the index (in `files`, oldest first) of the file to start from. Entries
 * whose GTID is the last of its domain before that file are removed from `state`.
 */
export function findMariaDbStartFile(files: readonly ListedFile[], state: SlaveConnectionState, errors: DumpErrors): number {
  for (let i = files.length - 1; i >= 0; i--) {
    const list = files[i]!.gtidList;
    if (list !== null && !containsAllSlaveGtids(state, list)) continue;
    for (const listed of list ?? []) {
      const entry = state.get(listed.domain);
      if (entry && entry.gtid.serverId === listed.serverId && entry.gtid.seq === listed.seq) state.delete(listed.domain);
    }
    return i;
  }
  throw errors.gtidStatePurged();
}

/** is_pos_reached: nothing left to skip (entries waiting on an empty domain do not count). */
export function isPositionReached(state: SlaveConnectionState): boolean {
  for (const entry of state.values()) if (!entry.emptyDomain) return false;
  return true;
}

export interface MysqlListedFile {
  name: string;
  /** PREVIOUS_GTIDS: what was executed before the file. */
  previousGtids: MysqlGtidSet;
}

/** The index of the file a MySQL auto-position dump starts from (check_start_file). */
export function findMysqlStartFile(
  files: readonly MysqlListedFile[],
  replica: MysqlGtidSet,
  executed: MysqlGtidSet,
  purged: MysqlGtidSet,
  errors: DumpErrors,
): number {
  // The source compares against its own UUID; the relay speaks for every source it holds.
  const known = new Set(executed.entries().map((e) => `${e.uuid}:${e.tag}`));
  const ours = MysqlGtidSet.fromEntries(replica.entries().filter((e) => known.has(`${e.uuid}:${e.tag}`)));
  if (!ours.subtract(executed).isEmpty()) throw errors.replicaHasMoreGtids();
  const missingPurged = purged.subtract(replica);
  if (!missingPurged.isEmpty()) throw errors.purgedRequiredGtids(replica.toString(), missingPurged.toString());
  for (let i = files.length - 1; i >= 0; i--) {
    if (replica.contains(files[i]!.previousGtids)) return i;
  }
  throw errors.purgedRequiredGtids(replica.toString(), files[0] ? files[0].previousGtids.subtract(replica).toString() : '');
}
