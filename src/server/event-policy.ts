// Per event of the relay, what a real master does with it for this dump: send it, leave it out,
// or send a rewritten copy. Pure state machines over events (no I/O), one per flavor.
//
// MariaDB (send_event_to_slave in sql_repl.cc): a GTID dump skips whole event groups up to the
// requested GTID of each domain, then sends a fake GTID_LIST once a domain's position is reached;
// ANNOTATE_ROWS go only to clients that set dump flag 0x02; replicas below capability 4 get GTID
// events as BEGIN queries and no GTID_LIST / BINLOG_CHECKPOINT (or same-size dummies when they
// cannot tolerate holes).
// MySQL (Binlog_sender::skip_event): a GTID dump leaves out every transaction whose GTID the
// replica has, for the whole stream; the end of a skipped run is announced with a heartbeat.
import { LOG_EVENT_HEADER_LEN, readEventHeader } from '../binlog/event-header.js';
import * as T from '../binlog/event-type.js';
import { MariaDbGtidSet, type MariaDbGtid } from '../binlog/gtid-set-mariadb.js';
import type { MysqlGtidSet } from '../binlog/gtid-set-mysql.js';
import { FL_STANDALONE, parseMariaDbGtidEvent } from '../binlog/mariadb-gtid-event.js';
import { parseMysqlGtidEvent } from '../binlog/mysql-gtid-event.js';
import { queryKindOf } from '../binlog/query-event.js';
import type { BinlogEvent } from '../binlog/binlog-event.js';
import { BINLOG_SEND_ANNOTATE_ROWS_EVENT } from './dump-request.js';
import type { DumpErrors } from './dump-errors.js';
import type { SlaveConnectionState } from './gtid-start.js';
import { beginEvent, dummyEvent } from './mariadb-compat.js';
import {
  MARIA_SLAVE_CAPABILITY_ANNOTATE, MARIA_SLAVE_CAPABILITY_BINLOG_CHECKPOINT, MARIA_SLAVE_CAPABILITY_GTID,
  MARIA_SLAVE_CAPABILITY_TOLERATE_HOLES,
} from './session-variables.js';

/** One event of the stream as the policies see it. */
export interface EventView {
  type: number;
  /** Offset of the event in its file, and of the byte after it. */
  start: number;
  end: number;
  /** The whole event as one array (a view when possible); only called when needed. */
  bytes(): Uint8Array;
  /** Events of the file carry a CRC32. */
  checksum: boolean;
}

export type Verdict = 'send' | 'drop' | Buffer;

export interface EventPolicy {
  decide(ev: EventView): Verdict;
  /** The GTID position reached by what was sent (for the replica list). */
  progressGtid(): string;
}

function toEvent(ev: EventView): BinlogEvent {
  const bytes = ev.bytes();
  return { offset: ev.start, header: readEventHeader(bytes), bytes, checksumLength: ev.checksum ? 4 : 0 };
}

/** Log_event::is_part_of_group: events that never end a standalone group. */
const PART_OF_GROUP = new Set<number>([
  T.GTID_EVENT, T.XID_EVENT, T.XA_PREPARE_LOG_EVENT, T.USER_VAR_EVENT, T.INTVAR_EVENT, T.RAND_EVENT,
  T.TABLE_MAP_EVENT, T.ANNOTATE_ROWS_EVENT,
]);

type Skip = 'none' | 'standalone' | 'transaction';

export interface MariaDbPolicyOptions {
  /** null: a file/position dump (nothing skipped). */
  state: SlaveConnectionState | null;
  strictMode: boolean;
  flags: number;
  capability: number;
  /** The relay's binlog state now (re-checks of domains that were empty at the start). */
  binlogState: () => MariaDbGtidSet;
  errors: DumpErrors;
  /** Where the replica starts (its connect state, or the file's GTID state). */
  startGtids: MariaDbGtidSet;
}

export class MariaDbEventPolicy implements EventPolicy {
  readonly #o: MariaDbPolicyOptions;
  #skip: Skip = 'none';
  #sendFakeList = false;
  /** GTIDs met while searching, latest per (domain, server), as MariaDB's until_binlog_state. */
  readonly #seen = new Map<string, MariaDbGtid>();
  readonly #progress: MariaDbGtidSet;
  /** A fake GTID_LIST to send right after the event just decided on. */
  fakeGtidList: MariaDbGtid[] | null = null;

  constructor(options: MariaDbPolicyOptions) {
    this.#o = options;
    this.#progress = options.startGtids.clone();
  }

  /** The requested GTIDs still to be reached. */
  get state(): SlaveConnectionState | null {
    return this.#o.state;
  }

  progressGtid(): string {
    return this.#progress.toString();
  }

  /** A requested GTID that was never met although the relay holds later ones of its domain. */
  unverifiedEntry(): MariaDbGtid | null {
    for (const e of this.#o.state?.values() ?? []) if (e.unverified) return e.gtid;
    return null;
  }

  decide(ev: EventView): Verdict {
    this.fakeGtidList = null;
    const o = this.#o;
    const state = o.state;
    let gtidEvent: ReturnType<typeof parseMariaDbGtidEvent> | null = null;
    if (ev.type === T.GTID_EVENT) gtidEvent = parseMariaDbGtidEvent(toEvent(ev));
    if (gtidEvent && state && state.size > 0) this.#search(gtidEvent.gtid, gtidEvent.flags2);

    switch (this.#skip) {
      case 'standalone':
        if (!PART_OF_GROUP.has(ev.type)) this.#skip = 'none';
        return this.#afterEvent('drop');
      case 'transaction':
        if (ev.type === T.XID_EVENT || ev.type === T.XA_PREPARE_LOG_EVENT || (ev.type === T.QUERY_EVENT && isCommitOrRollback(ev))) {
          this.#skip = 'none';
        }
        return this.#afterEvent('drop');
      case 'none':
        break;
    }
    if (gtidEvent) this.#progress.update(gtidEvent.gtid);
    const cap = o.capability;
    if (ev.type === T.ANNOTATE_ROWS_EVENT && (o.flags & BINLOG_SEND_ANNOTATE_ROWS_EVENT) === 0) {
      if (cap >= MARIA_SLAVE_CAPABILITY_TOLERATE_HOLES) return this.#afterEvent('drop');
      if (cap < MARIA_SLAVE_CAPABILITY_ANNOTATE) return this.#afterEvent(dummyOf(ev, 'Failed to replace row annotate event with dummy: too small event.'));
    }
    if (gtidEvent && cap < MARIA_SLAVE_CAPABILITY_GTID) {
      const failed = 'Failed to replace GTID event with backwards-compatible event: corrupt event.';
      if (gtidEvent.standalone) return this.#afterEvent(cap < MARIA_SLAVE_CAPABILITY_TOLERATE_HOLES ? dummyOf(ev, failed) : 'drop');
      const begin = beginEvent(ev.bytes(), ev.checksum);
      if (!begin) throw new PolicyError(failed);
      return this.#afterEvent(begin);
    }
    if ((ev.type === T.BINLOG_CHECKPOINT_EVENT && cap < MARIA_SLAVE_CAPABILITY_BINLOG_CHECKPOINT) || (ev.type === T.GTID_LIST_EVENT && cap < MARIA_SLAVE_CAPABILITY_GTID)) {
      if (cap >= MARIA_SLAVE_CAPABILITY_TOLERATE_HOLES) return this.#afterEvent('drop');
      return this.#afterEvent(dummyOf(ev, 'Failed to replace binlog checkpoint or gtid list event with dummy: too small event.'));
    }
    return this.#afterEvent('send');
  }

  /** The GTID of a new group while some domain's position is not reached yet. */
  #search(gtid: MariaDbGtid, flags2: number): void {
    const o = this.#o;
    const state = o.state!;
    const key = `${gtid.domain}-${gtid.serverId}`;
    this.#seen.delete(key);
    this.#seen.set(key, { ...gtid });
    const entry = state.get(gtid.domain);
    if (!entry) return;
    const wanted = entry.gtid;
    if (entry.emptyDomain) {
      // The domain appeared after the dump started: the position must exist after all.
      const last = o.binlogState().get(gtid.domain);
      if (!last || last.seq < wanted.seq) throw o.errors.gtidNotInBinlog(wanted, false);
      if (last.serverId !== wanted.serverId) entry.unverified = true;
      entry.emptyDomain = false;
    }
    if (gtid.serverId !== wanted.serverId || gtid.seq <= wanted.seq) {
      this.#skip = flags2 & FL_STANDALONE ? 'standalone' : 'transaction';
    }
    if (gtid.serverId === wanted.serverId && gtid.seq >= wanted.seq) {
      if (o.strictMode && gtid.seq > wanted.seq) throw o.errors.gtidHole(wanted);
      this.#sendFakeList = true;
      state.delete(gtid.domain);
      this.#progress.update(wanted);
    } else if (entry.unverified && gtid.seq > wanted.seq) {
      // Sequence numbers only grow in a domain: the requested GTID will not come any more.
      throw o.errors.gtidNotInBinlog(wanted, true);
    }
  }

  #afterEvent(verdict: Verdict): Verdict {
    if (this.#sendFakeList && this.#skip === 'none') {
      this.#sendFakeList = false;
      this.fakeGtidList = this.#seenList();
    }
    return verdict;
  }

  /** Domains ascending; inside a domain the latest GTID last (as a binlog state lists them). */
  #seenList(): MariaDbGtid[] {
    const all = [...this.#seen.values()];
    return all.map((g, i) => ({ g, i })).sort((a, b) => a.g.domain - b.g.domain || a.i - b.i).map(({ g }) => g);
  }
}

/** An event could not be rewritten for an old replica; the message is the master's. */
export class PolicyError extends Error {
  readonly code = 'SERVER_EVENT_REWRITE';
}

function dummyOf(ev: EventView, failure: string): Buffer {
  const dummy = dummyEvent(ev.bytes(), ev.checksum);
  if (!dummy) throw new PolicyError(failure);
  return dummy;
}

function isCommitOrRollback(ev: EventView): boolean {
  const bytes = ev.bytes();
  if (bytes.length < LOG_EVENT_HEADER_LEN + 13) return false;
  const kind = queryKindOf(toEvent(ev));
  return kind === 'COMMIT' || kind === 'ROLLBACK';
}

export interface MysqlPolicyOptions {
  /** The replica's GTIDs (COM_BINLOG_DUMP_GTID), null for a file/position dump. */
  exclude: MysqlGtidSet | null;
  errors: DumpErrors;
  fileName: () => string;
}

export class MysqlEventPolicy implements EventPolicy {
  readonly #o: MysqlPolicyOptions;
  readonly #progress: MysqlGtidSet | null;
  #inExcludedGroup = false;
  /** End of the bytes skipped since the last event sent, to announce with a heartbeat. */
  skippedUpTo: number | null = null;

  constructor(options: MysqlPolicyOptions) {
    this.#o = options;
    this.#progress = options.exclude ? options.exclude.clone() : null;
  }

  progressGtid(): string {
    return this.#progress?.toString() ?? '';
  }

  decide(ev: EventView): Verdict {
    const exclude = this.#o.exclude;
    if (exclude) {
      if (ev.type === T.ANONYMOUS_GTID_LOG_EVENT) throw this.#o.errors.anonymousWithAutoPosition(this.#o.fileName(), ev.start);
      if (ev.type === T.GTID_LOG_EVENT || ev.type === T.GTID_TAGGED_LOG_EVENT) {
        const gtid = parseMysqlGtidEvent(toEvent(ev)).gtid;
        this.#inExcludedGroup = gtid !== null && exclude.containsGtid(gtid);
        if (gtid && !this.#inExcludedGroup) this.#progress?.add(gtid);
      } else if (ev.type === T.ROTATE_EVENT) {
        this.#inExcludedGroup = false;
      }
      if (this.#inExcludedGroup) {
        this.skippedUpTo = ev.end;
        return 'drop';
      }
    }
    return 'send';
  }
}
