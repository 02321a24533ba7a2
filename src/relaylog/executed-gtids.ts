// The relay's executed GTID state in the upstream's own flavor: a MariaDB GTID position (the last
// GTID per domain) or a MySQL GTID set. Fed by the GTID events of published transactions.
import type { BinlogEvent } from '../binlog/binlog-event.js';
import { GTID_EVENT, GTID_LIST_EVENT, PREVIOUS_GTIDS_LOG_EVENT } from '../binlog/event-type.js';
import { formatMariaDbGtid, MariaDbGtidSet, parseMariaDbGtid } from '../binlog/gtid-set-mariadb.js';
import { formatMysqlGtid, MysqlGtidSet, parseMysqlGtid } from '../binlog/gtid-set-mysql.js';
import { parseMariaDbGtidEvent } from '../binlog/mariadb-gtid-event.js';
import { parseMariaDbGtidListEvent } from '../binlog/mariadb-gtid-list-event.js';
import { isMysqlGtidEventType, parseMysqlGtidEvent } from '../binlog/mysql-gtid-event.js';
import { parsePreviousGtidsEvent } from '../binlog/previous-gtids-event.js';

export type Flavor = 'mariadb' | 'mysql';

export class ExecutedGtids {
  private constructor(
    readonly flavor: Flavor | null,
    private mariadb: MariaDbGtidSet,
    private readonly mysql: MysqlGtidSet,
  ) {}

  /** Parses `text` in the flavor's form; with no flavor yet, the state must be empty. */
  static parse(flavor: Flavor | null, text: string): ExecutedGtids {
    if (flavor === 'mariadb') return new ExecutedGtids(flavor, MariaDbGtidSet.parse(text), MysqlGtidSet.empty());
    if (flavor === 'mysql') return new ExecutedGtids(flavor, MariaDbGtidSet.empty(), MysqlGtidSet.parse(text));
    if (text.trim() !== '') throw new Error(`GTID state "${text}" without a flavor`);
    return new ExecutedGtids(null, MariaDbGtidSet.empty(), MysqlGtidSet.empty());
  }

  /** The GTID a transaction-starting event carries, as text; null for any other event. */
  gtidOf(event: BinlogEvent): string | null {
    const type = event.header.type;
    if (type === GTID_EVENT) return formatMariaDbGtid(parseMariaDbGtidEvent(event).gtid);
    if (isMysqlGtidEventType(type)) {
      const parsed = parseMysqlGtidEvent(event);
      return parsed.gtid ? formatMysqlGtid(parsed.gtid) : null;
    }
    return null;
  }

  add(gtid: string): void {
    if (this.flavor === 'mariadb') this.mariadb.update(parseMariaDbGtid(gtid));
    else if (this.flavor === 'mysql') this.mysql.add(parseMysqlGtid(gtid));
    else throw new Error(`GTID ${gtid} before the flavor is known`);
  }

  /** Adds a whole state (a file's starting GTID_LIST / PREVIOUS_GTIDS) in the flavor's sense. */
  merge(text: string): void {
    if (this.flavor === 'mariadb') this.mariadb = this.mariadb.union(MariaDbGtidSet.parse(text));
    else if (this.flavor === 'mysql') this.mysql.addAll(MysqlGtidSet.parse(text));
    else throw new Error(`GTID state ${text} before the flavor is known`);
  }

  get mariadbSet(): MariaDbGtidSet {
    return this.mariadb;
  }

  get mysqlSet(): MysqlGtidSet {
    return this.mysql;
  }

  toString(): string {
    if (this.flavor === 'mariadb') return this.mariadb.toString();
    if (this.flavor === 'mysql') return this.mysql.toString();
    return '';
  }
}

/** The GTID state a file starts with, from its GTID_LIST (MariaDB) or PREVIOUS_GTIDS (MySQL). */
export function fileStartGtids(event: BinlogEvent): string {
  if (event.header.type === GTID_LIST_EVENT) return MariaDbGtidSet.fromList(parseMariaDbGtidListEvent(event).gtids).toString();
  if (event.header.type === PREVIOUS_GTIDS_LOG_EVENT) return parsePreviousGtidsEvent(event).toString();
  throw new Error(`event type ${event.header.type} carries no GTID state`);
}
