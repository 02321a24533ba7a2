// The Event_type and Info columns of SHOW BINLOG EVENTS, as MariaDB and MySQL print them for an
// event (their Log_event::get_type_str and pack_info). Statement text and names come out as the
// events carry them; events whose detail neither server prints give an empty Info.
import { eventBody, type BinlogEvent } from './binlog-event.js';
import { ByteReader } from './byte-reader.js';
import * as T from './event-type.js';
import { parseFormatDescription, postHeaderLength, type FormatDescription, type ServerFlavor } from './format-description.js';
import { formatMariaDbGtid } from './gtid-set-mariadb.js';
import { formatMysqlGtid } from './gtid-set-mysql.js';
import { parseBinlogCheckpointEvent } from './mariadb-binlog-checkpoint-event.js';
import { FL_PREPARED_XA, parseMariaDbGtidEvent } from './mariadb-gtid-event.js';
import { parseMariaDbGtidListEvent } from './mariadb-gtid-list-event.js';
import { parseMysqlGtidEvent } from './mysql-gtid-event.js';
import { parsePreviousGtidsEvent } from './previous-gtids-event.js';
import { parseQueryEvent } from './query-event.js';
import { parseRotateEvent } from './rotate-event.js';
import { parseTransactionPayloadEvent } from './transaction-payload-event.js';
import { parseXidEvent } from './xid-event.js';
import { collationById } from '../mysql/collation-names.js';

const TYPE_NAMES = new Map<number, string>([
  [T.START_EVENT_V3, 'Start_v3'], [T.QUERY_EVENT, 'Query'], [T.STOP_EVENT, 'Stop'], [T.ROTATE_EVENT, 'Rotate'],
  [T.INTVAR_EVENT, 'Intvar'], [T.LOAD_EVENT, 'Load'], [T.SLAVE_EVENT, 'Slave'], [T.CREATE_FILE_EVENT, 'Create_file'],
  [T.APPEND_BLOCK_EVENT, 'Append_block'], [T.EXEC_LOAD_EVENT, 'Exec_load'], [T.DELETE_FILE_EVENT, 'Delete_file'],
  [T.NEW_LOAD_EVENT, 'New_load'], [T.RAND_EVENT, 'RAND'], [T.USER_VAR_EVENT, 'User var'],
  [T.FORMAT_DESCRIPTION_EVENT, 'Format_desc'], [T.XID_EVENT, 'Xid'], [T.BEGIN_LOAD_QUERY_EVENT, 'Begin_load_query'],
  [T.EXECUTE_LOAD_QUERY_EVENT, 'Execute_load_query'], [T.TABLE_MAP_EVENT, 'Table_map'],
  [T.PRE_GA_WRITE_ROWS_EVENT, 'Write_rows_event_old'], [T.PRE_GA_UPDATE_ROWS_EVENT, 'Update_rows_event_old'],
  [T.PRE_GA_DELETE_ROWS_EVENT, 'Delete_rows_event_old'], [T.WRITE_ROWS_EVENT_V1, 'Write_rows_v1'],
  [T.UPDATE_ROWS_EVENT_V1, 'Update_rows_v1'], [T.DELETE_ROWS_EVENT_V1, 'Delete_rows_v1'], [T.INCIDENT_EVENT, 'Incident'],
  [T.HEARTBEAT_LOG_EVENT, 'Heartbeat'], [T.IGNORABLE_LOG_EVENT, 'Ignorable'], [T.ROWS_QUERY_LOG_EVENT, 'Rows_query'],
  [T.WRITE_ROWS_EVENT, 'Write_rows'], [T.UPDATE_ROWS_EVENT, 'Update_rows'], [T.DELETE_ROWS_EVENT, 'Delete_rows'],
  [T.GTID_LOG_EVENT, 'Gtid'], [T.ANONYMOUS_GTID_LOG_EVENT, 'Anonymous_Gtid'], [T.PREVIOUS_GTIDS_LOG_EVENT, 'Previous_gtids'],
  [T.TRANSACTION_CONTEXT_EVENT, 'Transaction_context'], [T.VIEW_CHANGE_EVENT, 'View_change'],
  [T.XA_PREPARE_LOG_EVENT, 'XA_prepare'], [T.PARTIAL_UPDATE_ROWS_EVENT, 'Update_rows_partial'],
  [T.TRANSACTION_PAYLOAD_EVENT, 'Transaction_payload'], [T.HEARTBEAT_LOG_EVENT_V2, 'Heartbeat'],
  [T.GTID_TAGGED_LOG_EVENT, 'Gtid_tagged_log_event'],
  [T.ANNOTATE_ROWS_EVENT, 'Annotate_rows'], [T.BINLOG_CHECKPOINT_EVENT, 'Binlog_checkpoint'], [T.GTID_EVENT, 'Gtid'],
  [T.GTID_LIST_EVENT, 'Gtid_list'], [T.START_ENCRYPTION_EVENT, 'Start_encryption'], [T.QUERY_COMPRESSED_EVENT, 'Query_compressed'],
  [T.WRITE_ROWS_COMPRESSED_EVENT_V1, 'Write_rows_compressed_v1'], [T.UPDATE_ROWS_COMPRESSED_EVENT_V1, 'Update_rows_compressed_v1'],
  [T.DELETE_ROWS_COMPRESSED_EVENT_V1, 'Delete_rows_compressed_v1'], [T.WRITE_ROWS_COMPRESSED_EVENT, 'Write_rows_compressed'],
  [T.UPDATE_ROWS_COMPRESSED_EVENT, 'Update_rows_compressed'], [T.DELETE_ROWS_COMPRESSED_EVENT, 'Delete_rows_compressed'],
]);

/** Rows event flag: the last rows event of its statement. */
const STMT_END_F = 0x0001;
/** Query event flag: the statement runs without the event's database as default (no `use`). */
const LOG_EVENT_SUPPRESS_USE_F = 0x0008;
/** MySQL's query status variable that carries a DDL's xid. */
const Q_DDL_LOGGED_WITH_XID = 17;

/** Event_type as both servers name it ("Unknown" for a code they do not know). */
export function showEventType(type: number): string {
  return TYPE_NAMES.get(type) ?? 'Unknown';
}

/** Info of SHOW BINLOG EVENTS for `event`; `fde` is its file's FORMAT_DESCRIPTION. */
export function showEventInfo(event: BinlogEvent, fde: FormatDescription | undefined, flavor: ServerFlavor): string {
  const type = event.header.type;
  if (T.ROWS_EVENT_TYPES.has(type)) return rowsInfo(event, fde);
  switch (type) {
    case T.FORMAT_DESCRIPTION_EVENT: {
      const f = parseFormatDescription(event.bytes);
      return `Server ver: ${f.serverVersion}, Binlog ver: ${f.binlogVersion}`;
    }
    case T.QUERY_EVENT:
    case T.QUERY_COMPRESSED_EVENT:
      return queryInfo(event, fde, flavor);
    case T.ROTATE_EVENT: {
      const r = parseRotateEvent(event);
      return `${r.nextFile};pos=${r.position}`;
    }
    case T.XID_EVENT:
      return `COMMIT /* xid=${parseXidEvent(event).xid} */`;
    case T.INTVAR_EVENT: {
      const r = new ByteReader(eventBody(event));
      const kind = r.u8();
      return `${kind === 1 ? 'LAST_INSERT_ID' : kind === 2 ? 'INSERT_ID' : 'INVALID_INT'}=${r.i64()}`;
    }
    case T.RAND_EVENT: {
      const r = new ByteReader(eventBody(event));
      return `rand_seed1=${r.u64()},rand_seed2=${r.u64()}`;
    }
    case T.USER_VAR_EVENT:
      return userVarInfo(event, flavor);
    case T.TABLE_MAP_EVENT:
      return tableMapInfo(event, fde);
    case T.ANNOTATE_ROWS_EVENT:
      return Buffer.from(eventBody(event)).toString('utf8');
    case T.ROWS_QUERY_LOG_EVENT:
      // One length byte (the statement may be longer: the rest of the body is the text).
      return `# ${Buffer.from(eventBody(event).subarray(1)).toString('utf8')}`;
    case T.BINLOG_CHECKPOINT_EVENT:
      return parseBinlogCheckpointEvent(event).file;
    case T.GTID_LIST_EVENT:
      return `[${parseMariaDbGtidListEvent(event).gtids.map(formatMariaDbGtid).join(',')}]`;
    case T.GTID_EVENT:
      return mariaDbGtidInfo(event);
    case T.GTID_LOG_EVENT:
    case T.GTID_TAGGED_LOG_EVENT:
    case T.ANONYMOUS_GTID_LOG_EVENT: {
      const g = parseMysqlGtidEvent(event).gtid;
      return `SET @@SESSION.GTID_NEXT= '${g ? formatMysqlGtid(g) : 'ANONYMOUS'}'`;
    }
    case T.PREVIOUS_GTIDS_LOG_EVENT:
      // MySQL's default set format: a comma and a newline between UUIDs.
      return parsePreviousGtidsEvent(event).toString().replaceAll(',', ',\n');
    case T.XA_PREPARE_LOG_EVENT:
      return xaPrepareInfo(event);
    case T.IGNORABLE_LOG_EVENT:
      return flavor === 'mysql' ? '# Unrecognized ignorable event' : '';
    case T.TRANSACTION_PAYLOAD_EVENT: {
      const p = parseTransactionPayloadEvent(event);
      return `compression='${p.compression}', decompressed_size=${p.uncompressedSize} bytes`;
    }
    default:
      return '';
  }
}

function queryInfo(event: BinlogEvent, fde: FormatDescription | undefined, flavor: ServerFlavor): string {
  const q = parseQueryEvent(event, fde);
  let info = q.database !== '' && (event.header.flags & LOG_EVENT_SUPPRESS_USE_F) === 0 ? `use ${quoteIdentifier(q.database)}; ${q.query}` : q.query;
  if (flavor === 'mysql') {
    const xid = ddlXid(q.statusVars);
    if (xid !== null) info += ` /* xid=${xid} */`;
  }
  return info;
}

function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** Byte sizes of MySQL's query status variables before Q_DDL_LOGGED_WITH_XID, for walking to
 *  it (a function of the bytes that follow the code when the size varies). */
function statusVarSize(code: number, r: ByteReader): number | null {
  switch (code) {
    case 0: return 4; // Q_FLAGS2_CODE
    case 1: return 8; // Q_SQL_MODE_CODE
    case 3: return 4; // Q_AUTO_INCREMENT
    case 4: return 6; // Q_CHARSET_CODE
    case 7: case 8: return 2; // Q_LC_TIME_NAMES_CODE, Q_CHARSET_DATABASE_CODE
    case 9: return 8; // Q_TABLE_MAP_FOR_UPDATE_CODE
    case 10: return 4; // Q_MASTER_DATA_WRITTEN_CODE
    case 13: return 3; // Q_MICROSECONDS
    case 16: return 1; // Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP
    case 18: return 2; // Q_DEFAULT_COLLATION_FOR_UTF8MB4
    case 19: case 20: return 1; // Q_SQL_REQUIRE_PRIMARY_KEY, Q_DEFAULT_TABLE_ENCRYPTION
    case 5: case 6: return r.u8(); // Q_TIME_ZONE_CODE, Q_CATALOG_NZ_CODE: length, then the text
    case 11: { // Q_INVOKER: user, host
      const user = r.u8();
      r.skip(user);
      return r.u8();
    }
    case 12: { // Q_UPDATED_DB_NAMES: count, then NUL-terminated names (none past the maximum)
      const count = r.u8();
      for (let i = 0; i < count && count !== 254; i++) while (r.u8() !== 0);
      return 0;
    }
    default: return null;
  }
}

/** The xid MySQL 8 stores with a DDL statement (Q_DDL_LOGGED_WITH_XID), or null. */
function ddlXid(statusVars: Uint8Array): bigint | null {
  try {
    const r = new ByteReader(statusVars);
    while (r.remaining > 0) {
      const code = r.u8();
      if (code === Q_DDL_LOGGED_WITH_XID) return r.u64();
      const size = statusVarSize(code, r);
      if (size === null) return null; // a variable this walk does not know: stop
      r.skip(size);
    }
  } catch {
    // a short or odd status block: no xid
  }
  return null;
}

/** The table id (6 bytes, 4 under a 6-byte post-header) and flags that open a table map or rows
 *  event, with the reader left after them. */
function tableIdAndFlags(event: BinlogEvent, fde: FormatDescription | undefined): { tableId: bigint; flags: number; r: ByteReader } {
  const r = new ByteReader(eventBody(event));
  const idBytes = postHeaderLength(fde, event.header.type, 8) === 6 ? 4 : 6;
  return { tableId: r.uintNBig(idBytes), flags: r.u16(), r };
}

function tableMapInfo(event: BinlogEvent, fde: FormatDescription | undefined): string {
  const { tableId, r } = tableIdAndFlags(event, fde);
  const db = Buffer.from(r.bytes(r.u8())).toString('utf8');
  r.skip(1);
  const table = Buffer.from(r.bytes(r.u8())).toString('utf8');
  return `table_id: ${tableId} (${db}.${table})`;
}

function rowsInfo(event: BinlogEvent, fde: FormatDescription | undefined): string {
  const { tableId, flags } = tableIdAndFlags(event, fde);
  return `table_id: ${tableId}${flags & STMT_END_F ? ' flags: STMT_END_F' : ''}`;
}

function mariaDbGtidInfo(event: BinlogEvent): string {
  const g = parseMariaDbGtidEvent(event);
  let info = g.standalone ? 'GTID ' : g.flags2 & FL_PREPARED_XA ? 'XA START ' : 'BEGIN GTID ';
  if (g.flags2 & FL_PREPARED_XA && g.xid) info += `${serializeXid(g.xid.gtrid, g.xid.bqual, g.xid.formatId)} GTID `;
  info += formatMariaDbGtid(g.gtid);
  if (g.commitId !== undefined) info += ` cid=${g.commitId}`;
  return info;
}

/** USER_VAR_EVENT: name, then a null flag, or type, collation id, value (and flags). */
function userVarInfo(event: BinlogEvent, flavor: ServerFlavor): string {
  const r = new ByteReader(eventBody(event));
  const name = Buffer.from(r.bytes(r.u32())).toString('utf8');
  const head = `@${quoteIdentifier(name)}=`;
  if (r.u8() !== 0) return `${head}NULL`;
  const valueType = r.u8();
  const collationId = r.u32();
  const value = Buffer.from(r.bytes(r.u32()));
  const flags = r.remaining > 0 ? r.u8() : 0;
  switch (valueType) {
    case 1: // REAL_RESULT
      return `${head}${formatDouble(value.readDoubleLE(0))}`;
    case 2: // INT_RESULT
      return `${head}${flags & 1 ? value.readBigUInt64LE(0) : value.readBigInt64LE(0)}`;
    case 4: // DECIMAL_RESULT: precision, scale, MySQL's binary decimal
      return `${head}${decodeBinaryDecimal(value.subarray(2), value[0]!, value[1]!)}`;
    default: { // STRING_RESULT: a hex literal (MariaDB X'..', MySQL 0x..) with its charset and collation
      const collation = collationById(collationId);
      const digits = value.toString('hex').toUpperCase();
      const hex = flavor === 'mysql' ? (digits === '' ? '""' : `0x${digits}`) : `X'${digits}'`;
      return `${head}_${collation?.charset ?? '???'} ${hex} COLLATE ${collation?.name ?? '???'}`;
    }
  }
}

/** A double as the servers print one with %.14g. */
function formatDouble(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const text = v.toPrecision(14);
  if (text.includes('e')) {
    const [mantissa, exponent] = text.split('e') as [string, string];
    const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    const e = Number(exponent);
    return `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

/** MySQL's binary DECIMAL(precision, scale) as text with `scale` decimals. */
export function decodeBinaryDecimal(bytes: Uint8Array, precision: number, scale: number): string {
  const intg = precision - scale;
  const b = Buffer.from(bytes);
  const negative = (b[0]! & 0x80) === 0;
  b[0]! ^= 0x80;
  if (negative) for (let i = 0; i < b.length; i++) b[i] = b[i]! ^ 0xff;
  let at = 0;
  const take = (digits: number): string => {
    const n = DIG2BYTES[digits]!;
    const v = b.readUIntBE(at, n);
    at += n;
    return String(v).padStart(digits, '0');
  };
  let whole = '';
  if (intg % 9 > 0) whole += take(intg % 9);
  for (let i = 0; i < Math.floor(intg / 9); i++) {
    whole += String(b.readUInt32BE(at)).padStart(9, '0');
    at += 4;
  }
  let frac = '';
  for (let i = 0; i < Math.floor(scale / 9); i++) {
    frac += String(b.readUInt32BE(at)).padStart(9, '0');
    at += 4;
  }
  if (scale % 9 > 0) frac += take(scale % 9);
  whole = whole.replace(/^0+/, '') || '0';
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${frac}` : ''}`;
}

/** XA_PREPARE_LOG_EVENT: one_phase u8, formatID u32, gtrid and bqual lengths u32, their bytes. */
function xaPrepareInfo(event: BinlogEvent): string {
  const r = new ByteReader(eventBody(event));
  const onePhase = r.u8() !== 0;
  const formatId = r.u32();
  const gtridLength = r.u32();
  const bqualLength = r.u32();
  const xid = serializeXid(r.bytes(gtridLength), r.bytes(bqualLength), formatId);
  return onePhase ? `XA COMMIT ${xid} ONE PHASE` : `XA PREPARE ${xid}`;
}

/** An XID as XA RECOVER ... FORMAT='SQL' writes it: X'gtrid',X'bqual',formatID. */
function serializeXid(gtrid: Uint8Array, bqual: Uint8Array, formatId: number): string {
  const hex = (v: Uint8Array): string => Buffer.from(v).toString('hex');
  return `X'${hex(gtrid)}',X'${hex(bqual)}',${formatId}`;
}
