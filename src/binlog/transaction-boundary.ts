// Transaction boundaries for both flavors: fed every event in order, says for each one whether it
// opens, continues or closes a transaction, forms one on its own, or stands outside any.
// MySQL (libs/mysql/binlog/event/trx_boundary_parser.cpp): GTID / ANONYMOUS_GTID / GTID_TAGGED
//   starts; then `BEGIN`/`XA START` opens a multi-event body that XID, `COMMIT`, `ROLLBACK`,
//   `XA COMMIT|ROLLBACK` or XA_PREPARE closes; any other statement right after the GTID is a DDL
//   and closes at once; a TRANSACTION_PAYLOAD right after the GTID is the whole body.
// MariaDB: a GTID event (162) without FL_STANDALONE opens a body closed by XID or a COMMIT/ROLLBACK
//   query (or XA_PREPARE / `XA COMMIT|ROLLBACK`); a standalone GTID is closed by its first QUERY.
// Without GTIDs (old servers): `BEGIN` opens; INTVAR/RAND/USER_VAR are preludes of the statement
//   after them; a lone statement is a whole transaction.
// ROTATE, FORMAT_DESCRIPTION, PREVIOUS_GTIDS, GTID_LIST, BINLOG_CHECKPOINT, heartbeats, STOP and
// other bookkeeping events are outside transactions — even when they show up in the middle of one
// (a relay log may rotate mid-transaction) — and leave the state alone.
// A GTID (or BEGIN) arriving while a transaction is open abandons it: `interrupted` reports that
// (an upstream that lost a transaction half way, a relay log cut short).
import type { BinlogEvent } from './binlog-event.js';
import { LOG_EVENT_IGNORABLE_F } from './event-header.js';
import * as T from './event-type.js';
import type { FormatDescription } from './format-description.js';
import { parseMariaDbGtidEvent } from './mariadb-gtid-event.js';
import { queryKindOf } from './query-event.js';

/** start: first event of a transaction; inside; end: last event; whole: a transaction of one
 *  event; outside: part of no transaction. */
export type BoundaryRole = 'outside' | 'start' | 'inside' | 'end' | 'whole';

export interface BoundaryStep {
  role: BoundaryRole;
  /** An open transaction was abandoned by this event (it started a new one or closed an orphan). */
  interrupted: boolean;
}

type State =
  | 'none'
  /** MySQL GTID seen, waiting for BEGIN, a DDL or a payload. */
  | 'gtid'
  /** MariaDB standalone GTID seen: the next QUERY closes. */
  | 'standalone'
  /** Multi-event body open (after BEGIN or a non-standalone MariaDB GTID). */
  | 'dml'
  /** INTVAR/RAND/USER_VAR seen: the next statement closes. */
  | 'prelude';

const OUTSIDE_TYPES = new Set<number>([
  T.START_EVENT_V3, T.STOP_EVENT, T.ROTATE_EVENT, T.FORMAT_DESCRIPTION_EVENT, T.SLAVE_EVENT,
  T.HEARTBEAT_LOG_EVENT, T.HEARTBEAT_LOG_EVENT_V2, T.PREVIOUS_GTIDS_LOG_EVENT,
  T.TRANSACTION_CONTEXT_EVENT, T.GTID_LIST_EVENT, T.BINLOG_CHECKPOINT_EVENT, T.START_ENCRYPTION_EVENT,
]);

const PRELUDE_TYPES = new Set<number>([T.INTVAR_EVENT, T.RAND_EVENT, T.USER_VAR_EVENT]);

/** Events that only ever sit inside a body (never a statement of their own). */
const BODY_TYPES = new Set<number>([
  T.TABLE_MAP_EVENT, T.ROWS_QUERY_LOG_EVENT, T.ANNOTATE_ROWS_EVENT, ...T.ROWS_EVENT_TYPES,
  T.VIEW_CHANGE_EVENT, T.BEGIN_LOAD_QUERY_EVENT, T.APPEND_BLOCK_EVENT, T.EXECUTE_LOAD_QUERY_EVENT,
  T.CREATE_FILE_EVENT, T.EXEC_LOAD_EVENT, T.DELETE_FILE_EVENT, T.LOAD_EVENT, T.NEW_LOAD_EVENT,
]);

export class TransactionBoundaryTracker {
  private state: State = 'none';

  /** Whether the last event fed left a transaction open. */
  get inTransaction(): boolean {
    return this.state !== 'none';
  }

  /** Forget any open transaction (e.g. after a reconnect that restarts at a boundary). */
  reset(): void {
    this.state = 'none';
  }

  /** Classifies one event; `fde` is only needed for QUERY post-header lengths other than 13. */
  feed(event: BinlogEvent, fde?: FormatDescription): BoundaryStep {
    const type = event.header.type;
    if (OUTSIDE_TYPES.has(type)) return step('outside');
    switch (type) {
      case T.GTID_LOG_EVENT:
      case T.ANONYMOUS_GTID_LOG_EVENT:
      case T.GTID_TAGGED_LOG_EVENT:
        return this.open('gtid');
      case T.GTID_EVENT:
        return this.open(parseMariaDbGtidEvent(event).standalone ? 'standalone' : 'dml');
      case T.QUERY_EVENT:
        return this.query(queryKindOf(event, fde));
      case T.QUERY_COMPRESSED_EVENT:
        // Only long statements get compressed: never BEGIN/COMMIT.
        return this.query('STATEMENT');
      case T.XID_EVENT:
      case T.XA_PREPARE_LOG_EVENT:
      case T.TRANSACTION_PAYLOAD_EVENT:
      case T.INCIDENT_EVENT:
        return this.close();
    }
    if (PRELUDE_TYPES.has(type)) {
      if (this.state === 'none') {
        this.state = 'prelude';
        return step('start');
      }
      if (this.state === 'gtid') this.state = 'prelude';
      return step('inside');
    }
    if (BODY_TYPES.has(type)) {
      if (this.state === 'none') return step('whole');
      // A body event straight after a MySQL GTID ends it, as MySQL's parser has it.
      if (this.state === 'gtid') return this.close();
      return step('inside');
    }
    // Unknown or ignorable types: part of an open transaction, else bookkeeping.
    if (this.state !== 'none') return step('inside');
    return step((event.header.flags & LOG_EVENT_IGNORABLE_F) !== 0 ? 'outside' : 'whole');
  }

  private open(next: State): BoundaryStep {
    const interrupted = this.state !== 'none';
    this.state = next;
    return { role: 'start', interrupted };
  }

  private close(): BoundaryStep {
    if (this.state === 'none') return step('whole');
    this.state = 'none';
    return step('end');
  }

  private query(kind: ReturnType<typeof queryKindOf>): BoundaryStep {
    switch (kind) {
      case 'BEGIN':
        if (this.state === 'gtid' || this.state === 'standalone') {
          this.state = 'dml';
          return step('inside');
        }
        return this.open('dml');
      case 'COMMIT':
      case 'ROLLBACK':
      case 'XA_END':
        return this.close();
      case 'STATEMENT':
        if (this.state === 'dml') return step('inside');
        return this.close();
    }
  }
}

function step(role: BoundaryRole): BoundaryStep {
  return { role, interrupted: false };
}
