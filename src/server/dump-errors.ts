// Why a dump cannot go on, with the code and wording of the real servers (MariaDB 10.11 captures
// in notes §4, sql_repl.cc; MySQL 8.0.26+ rpl_binlog_sender.cc). Errors met while a file is open
// carry the coordinates suffix the server appends ("; the first event 'f' at p, …").
import { ER_MASTER_FATAL_ERROR_READING_BINLOG, formatTemplate, BINLOG_ERROR_TEXT } from '../mysql/error-codes.js';
import { formatMariaDbGtid, type MariaDbGtid } from '../binlog/gtid-set-mariadb.js';
import type { ServerFlavor } from '../mysql/flavor.js';

/** MariaDB ER_SLAVE_SAME_ID: the older of two dumps with one server_id (not 1236: the replica
 *  treats it as a network error and reconnects, as against a real MariaDB master). */
export const ER_SLAVE_SAME_ID = 4052;

/** Where a dump was when it failed, for the message suffix. */
export interface DumpCoordinates {
  /** The file and position the client asked for ('.' for an empty name, as MariaDB prints). */
  startFile: string;
  startPos: number;
  file: string;
  /** Start of the last event read. */
  lastEventPos: number;
  /** Position after the last byte read. */
  lastBytePos: number;
}

export class DumpError extends Error {
  constructor(
    readonly errno: number,
    message: string,
    /** The client asked for something past the relay's end: another node of the cluster may
     *  have served it already, and this one will have it in a moment. */
    readonly ahead = false,
  ) {
    super(message);
  }
}

function fatal(message: string, ahead = false): DumpError {
  return new DumpError(ER_MASTER_FATAL_ERROR_READING_BINLOG, message, ahead);
}

function withCoordinates(message: string, c: DumpCoordinates): string {
  return `${message}; the first event '${c.startFile}' at ${c.startPos}, the last event read from '${c.file}' at ${c.lastEventPos}, the last byte read from '${c.file}' at ${c.lastBytePos}.`;
}

/** The messages of one flavor. */
export class DumpErrors {
  constructor(readonly flavor: ServerFlavor) {}

  private get source(): string {
    return this.flavor === 'mysql' ? 'source' : 'master';
  }

  firstLogNotFound(ahead = false): DumpError {
    return fatal(BINLOG_ERROR_TEXT.FIRST_LOG_NOT_FOUND, ahead);
  }

  impossiblePosition(file: string, pos: number, ahead = false): DumpError {
    if (this.flavor === 'mysql') {
      return fatal(pos < 4 ? 'Client requested source to start replication from position < 4.' : 'Client requested source to start replication from position > file size.', ahead);
    }
    return fatal(formatTemplate(BINLOG_ERROR_TEXT.IMPOSSIBLE_POSITION, [file, pos, file, 4, file, 4]), ahead);
  }

  /** Not diverged means beyond the binlog's end: `ahead`. */
  gtidNotInBinlog(gtid: MariaDbGtid, diverged: boolean): DumpError {
    let message = formatTemplate(BINLOG_ERROR_TEXT.GTID_NOT_IN_BINLOG, [formatMariaDbGtid(gtid)]);
    if (diverged) {
      message +=
        ". Since the master's binlog contains GTIDs with higher sequence numbers, it probably means that the slave has diverged due to executing extra erroneous transactions";
    }
    return fatal(message, !diverged);
  }

  gtidHole(gtid: MariaDbGtid): DumpError {
    return fatal(
      `The binlog on the master is missing the GTID ${formatMariaDbGtid(gtid)} requested by the slave (even though both a prior and a subsequent sequence number does exist), and GTID strict mode is enabled`,
    );
  }

  /** MariaDB: no binlog file starts at or before the connect state. */
  gtidStatePurged(): DumpError {
    return fatal(
      'Could not find GTID state requested by slave in any binlog files. Probably the slave state is too old and required binlog files have been purged.',
    );
  }

  /** MySQL: the replica lacks transactions only in purged files. */
  purgedRequiredGtids(replicaSet: string, missing: string): DumpError {
    return fatal(formatTemplate(BINLOG_ERROR_TEXT.PURGED_REQUIRED_GTIDS, [replicaSet, missing]));
  }

  /** MySQL: the replica has transactions of a source UUID this relay never had. */
  replicaHasMoreGtids(): DumpError {
    return new DumpError(ER_MASTER_FATAL_ERROR_READING_BINLOG, 
      "Replica has more GTIDs than the source has, using the source's SERVER_UUID. This may indicate that the end of the binary log was truncated or that the last binary log file was lost, e.g., after a power or disk failure when sync_binlog != 1. The source may or may not have rolled back transactions that were already replicated to the replica. Suggest to replicate any transactions that source has rolled back from replica to source, and/or commit empty transactions on source to account for transactions that have been committed on source but are not included in GTID_EXECUTED.",
      true,
    );
  }

  anonymousWithAutoPosition(file: string, pos: number): DumpError {
    return fatal(`Cannot replicate anonymous transaction when AUTO_POSITION = 1, at file '${file}', position ${pos}.`);
  }

  checksumNotDeclared(c: DumpCoordinates): DumpError {
    const who = this.flavor === 'mysql' ? 'Replica' : 'Slave';
    return fatal(withCoordinates(`${who} can not handle replication events with the checksum that ${this.source} is configured to log`, c));
  }

  truncatedEvent(c: DumpCoordinates): DumpError {
    return fatal(withCoordinates(`binlog truncated in the middle of event; consider out of disk space on ${this.source}`, c));
  }

  noFormatDescription(c: DumpCoordinates): DumpError {
    return fatal(withCoordinates('Failed to find format descriptor event in start of binlog', c));
  }

  readFailed(c: DumpCoordinates): DumpError {
    return fatal(withCoordinates('I/O error reading log event', c));
  }

  /** A failure met while streaming, with the coordinates suffix. */
  streamFailure(message: string, c: DumpCoordinates): DumpError {
    return fatal(withCoordinates(message, c));
  }

  sameServerId(c: DumpCoordinates): DumpError {
    if (this.flavor === 'mysql') {
      return fatal(withCoordinates('A replica with the same server_uuid/server_id as this replica has connected to the source', c));
    }
    return new DumpError(ER_SLAVE_SAME_ID, withCoordinates(BINLOG_ERROR_TEXT.DUPLICATE_SERVER_ID, c));
  }
}
