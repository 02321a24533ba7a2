// The server errors binrelay sends, with the numbers, SQLSTATEs and message templates of the real
// servers (MariaDB 10.11 `perror` and errmsg-utf8.txt; checked live against mariadbd 10.11.19
// for 1045, 1047, 1064, 1094, 1141, 1193, 1243, 1305, 1582, 1835, 1927; PURGE BINARY LOGS' 1292, 1373, 1441 against
// mariadbd 10.11.18, pinned by test/e2e/server/purge-errors.test.ts). Templates use the servers' printf forms
// (%s, %d, %lu, %-.64s …) so messages can be rendered with the same truncation rules.

export const ER_CON_COUNT_ERROR = 1040;
export const ER_HANDSHAKE_ERROR = 1043;
export const ER_ACCESS_DENIED_ERROR = 1045;
export const ER_UNKNOWN_COM_ERROR = 1047;
export const ER_PARSE_ERROR = 1064;
export const ER_NO_SUCH_THREAD = 1094;
export const ER_UNKNOWN_ERROR = 1105;
export const ER_HOST_IS_BLOCKED = 1129;
export const ER_NONEXISTING_GRANT = 1141;
export const ER_SYNTAX_ERROR = 1149;
export const ER_NET_PACKET_TOO_LARGE = 1153;
export const ER_NET_PACKETS_OUT_OF_ORDER = 1156;
export const ER_NET_READ_ERROR = 1158;
export const ER_NET_READ_INTERRUPTED = 1159;
export const ER_NET_ERROR_ON_WRITE = 1160;
export const ER_NET_WRITE_INTERRUPTED = 1161;
export const ER_TOO_LONG_STRING = 1162;
export const ER_UNKNOWN_SYSTEM_VARIABLE = 1193;
export const ER_ERROR_WHEN_EXECUTING_COMMAND = 1220;
export const ER_USER_LIMIT_REACHED = 1226;
export const ER_MASTER_FATAL_ERROR_READING_BINLOG = 1236;
export const ER_UNKNOWN_STMT_HANDLER = 1243;
export const ER_NOT_SUPPORTED_AUTH_MODE = 1251;
export const ER_TRUNCATED_WRONG_VALUE = 1292;
export const ER_UNSUPPORTED_PS = 1295;
export const ER_SP_DOES_NOT_EXIST = 1305;
export const ER_UNKNOWN_TARGET_BINLOG = 1373;
export const ER_BINLOG_PURGE_PROHIBITED = 1375;
export const ER_DATETIME_FUNCTION_OVERFLOW = 1441;
export const ER_WRONG_VALUE = 1525;
export const ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT = 1582;
export const ER_MASTER_HAS_PURGED_REQUIRED_GTIDS = 1789;
export const ER_MALFORMED_PACKET = 1835;
export const ER_WARN_PURGE_LOG_IN_USE = 1867;
export const ER_CONNECTION_KILLED = 1927;

export interface ServerErrorDefinition {
  readonly code: number;
  readonly name: string;
  readonly sqlState: string;
  /** printf-style template as in errmsg-utf8.txt. */
  readonly template: string;
}

const DEFINITIONS: readonly ServerErrorDefinition[] = [
  { code: ER_CON_COUNT_ERROR, name: 'ER_CON_COUNT_ERROR', sqlState: '08004', template: 'Too many connections' },
  { code: ER_HANDSHAKE_ERROR, name: 'ER_HANDSHAKE_ERROR', sqlState: '08S01', template: 'Bad handshake' },
  {
    code: ER_ACCESS_DENIED_ERROR,
    name: 'ER_ACCESS_DENIED_ERROR',
    sqlState: '28000',
    template: "Access denied for user '%-.48s'@'%-.64s' (using password: %s)",
  },
  { code: ER_UNKNOWN_COM_ERROR, name: 'ER_UNKNOWN_COM_ERROR', sqlState: '08S01', template: 'Unknown command' },
  { code: ER_PARSE_ERROR, name: 'ER_PARSE_ERROR', sqlState: '42000', template: "%s near '%-.80s' at line %d" },
  { code: ER_NO_SUCH_THREAD, name: 'ER_NO_SUCH_THREAD', sqlState: 'HY000', template: 'Unknown thread id: %lu' },
  { code: ER_UNKNOWN_ERROR, name: 'ER_UNKNOWN_ERROR', sqlState: 'HY000', template: 'Unknown error' },
  {
    code: ER_HOST_IS_BLOCKED,
    name: 'ER_HOST_IS_BLOCKED',
    sqlState: 'HY000',
    template: "Host '%-.64s' is blocked because of many connection errors; unblock with 'mariadb-admin flush-hosts'",
  },
  { code: ER_NONEXISTING_GRANT, name: 'ER_NONEXISTING_GRANT', sqlState: '42000', template: "There is no such grant defined for user '%-.48s' on host '%-.64s'" },
  {
    code: ER_SYNTAX_ERROR,
    name: 'ER_SYNTAX_ERROR',
    sqlState: '42000',
    template:
      'You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use',
  },
  {
    code: ER_NET_PACKET_TOO_LARGE,
    name: 'ER_NET_PACKET_TOO_LARGE',
    sqlState: '08S01',
    template: "Got a packet bigger than 'max_allowed_packet' bytes",
  },
  { code: ER_NET_PACKETS_OUT_OF_ORDER, name: 'ER_NET_PACKETS_OUT_OF_ORDER', sqlState: '08S01', template: 'Got packets out of order' },
  { code: ER_NET_READ_ERROR, name: 'ER_NET_READ_ERROR', sqlState: '08S01', template: 'Got an error reading communication packets' },
  { code: ER_NET_READ_INTERRUPTED, name: 'ER_NET_READ_INTERRUPTED', sqlState: '08S01', template: 'Got timeout reading communication packets' },
  { code: ER_NET_ERROR_ON_WRITE, name: 'ER_NET_ERROR_ON_WRITE', sqlState: '08S01', template: 'Got an error writing communication packets' },
  { code: ER_NET_WRITE_INTERRUPTED, name: 'ER_NET_WRITE_INTERRUPTED', sqlState: '08S01', template: 'Got timeout writing communication packets' },
  { code: ER_TOO_LONG_STRING, name: 'ER_TOO_LONG_STRING', sqlState: '42000', template: "Result string is longer than 'max_allowed_packet' bytes" },
  { code: ER_UNKNOWN_SYSTEM_VARIABLE, name: 'ER_UNKNOWN_SYSTEM_VARIABLE', sqlState: 'HY000', template: "Unknown system variable '%-.64s'" },
  { code: ER_ERROR_WHEN_EXECUTING_COMMAND, name: 'ER_ERROR_WHEN_EXECUTING_COMMAND', sqlState: 'HY000', template: 'Error when executing command %s: %-.128s' },
  {
    code: ER_USER_LIMIT_REACHED,
    name: 'ER_USER_LIMIT_REACHED',
    sqlState: '42000',
    template: "User '%-.64s' has exceeded the '%s' resource (current value: %ld)",
  },
  // On the wire a master sends 1236 with a free-text reason (BINLOG_ERROR_TEXT below); the
  // replica itself wraps it as "Got fatal error 1236 from master when reading data from binary
  // log: '<reason>'".
  { code: ER_MASTER_FATAL_ERROR_READING_BINLOG, name: 'ER_MASTER_FATAL_ERROR_READING_BINLOG', sqlState: 'HY000', template: '%s' },
  // MariaDB's template is "(%.*s)": the statement id, printed as a decimal number.
  {
    code: ER_UNKNOWN_STMT_HANDLER,
    name: 'ER_UNKNOWN_STMT_HANDLER',
    sqlState: 'HY000',
    template: 'Unknown prepared statement handler (%s) given to %s',
  },
  {
    code: ER_NOT_SUPPORTED_AUTH_MODE,
    name: 'ER_NOT_SUPPORTED_AUTH_MODE',
    sqlState: '08004',
    template: 'Client does not support authentication protocol requested by server; consider upgrading MariaDB client',
  },
  // Also sent with ER_WRONG_VALUE's words when nothing of the value could be read: MariaDB warns
  // 1292 "Incorrect datetime value: 'x'" (make_truncated_value_warning).
  {
    code: ER_TRUNCATED_WRONG_VALUE,
    name: 'ER_TRUNCATED_WRONG_VALUE',
    sqlState: '22007',
    template: "Truncated incorrect %-.32T value: '%-.128T'",
  },
  {
    code: ER_UNSUPPORTED_PS,
    name: 'ER_UNSUPPORTED_PS',
    sqlState: 'HY000',
    template: 'This command is not supported in the prepared statement protocol yet',
  },
  { code: ER_SP_DOES_NOT_EXIST, name: 'ER_SP_DOES_NOT_EXIST', sqlState: '42000', template: '%s %s does not exist' },
  { code: ER_UNKNOWN_TARGET_BINLOG, name: 'ER_UNKNOWN_TARGET_BINLOG', sqlState: 'HY000', template: 'Target log not found in binlog index' },
  {
    code: ER_BINLOG_PURGE_PROHIBITED,
    name: 'ER_BINLOG_PURGE_PROHIBITED',
    sqlState: 'HY000',
    template: 'Server configuration does not permit binlog purge',
  },
  {
    code: ER_DATETIME_FUNCTION_OVERFLOW,
    name: 'ER_DATETIME_FUNCTION_OVERFLOW',
    sqlState: '22008',
    template: 'Datetime function: %-.32s field overflow',
  },
  { code: ER_WRONG_VALUE, name: 'ER_WRONG_VALUE', sqlState: '22007', template: "Incorrect %-.32s value: '%-.128T'" },
  {
    code: ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT,
    name: 'ER_WRONG_PARAMCOUNT_TO_NATIVE_FCT',
    sqlState: '42000',
    template: "Incorrect parameter count in the call to native function '%-.192s'",
  },
  // A message id only: MySQL sends its text with errno 1236 (see BINLOG_ERROR_TEXT).
  {
    code: ER_MASTER_HAS_PURGED_REQUIRED_GTIDS,
    name: 'ER_MASTER_HAS_PURGED_REQUIRED_GTIDS',
    sqlState: 'HY000',
    template:
      'The slave is connecting using CHANGE MASTER TO MASTER_AUTO_POSITION = 1, but the master has purged binary logs containing GTIDs that the slave requires.',
  },
  { code: ER_MALFORMED_PACKET, name: 'ER_MALFORMED_PACKET', sqlState: 'HY000', template: 'Malformed communication packet' },
  // In MariaDB 10.11's catalogue but never sent by it (a purge stops silently at a file a dump
  // reads); MySQL 5.6+ warns with it, and so does binrelay for a file it keeps on disk for a reader.
  {
    code: ER_WARN_PURGE_LOG_IN_USE,
    name: 'ER_WARN_PURGE_LOG_IN_USE',
    sqlState: 'HY000',
    template: 'file %s was not purged because it was being read by %d thread(s), purged only %d out of %d files',
  },
  { code: ER_CONNECTION_KILLED, name: 'ER_CONNECTION_KILLED', sqlState: '70100', template: 'Connection was killed' },
];

export const SERVER_ERRORS: ReadonlyMap<number, ServerErrorDefinition> = new Map(DEFINITIONS.map((d) => [d.code, d]));

/** Reasons sent with ER_MASTER_FATAL_ERROR_READING_BINLOG (1236), verbatim from real masters
 *  (MariaDB 10.11 captures and MySQL 8 sources; see the protocol notes). */
export const BINLOG_ERROR_TEXT = {
  FIRST_LOG_NOT_FOUND: 'Could not find first log file name in binary log index file',
  /** MariaDB; %s = the requested GTID. */
  GTID_NOT_IN_BINLOG: "Error: connecting slave requested to start from GTID %s, which is not in the master's binlog",
  /** MariaDB; %s/%d = file and position of first event, last event, last byte. */
  IMPOSSIBLE_POSITION:
    "Client requested master to start replication from impossible position; the first event '%s' at %d, the last event read from '%s' at %d, the last byte read from '%s' at %d.",
  TRUNCATED_EVENT: 'binlog truncated in the middle of event; consider out of disk space on master',
  /** MariaDB; sent to the older of two dumps with one server_id. */
  DUPLICATE_SERVER_ID: 'A slave with the same server_uuid/server_id is already connected',
  /** MySQL 8.0.2x–9.x; %s = the replica's GTID set, then the missing set. */
  PURGED_REQUIRED_GTIDS:
    "Cannot replicate because the source purged required binary logs. Replicate the missing transactions from elsewhere, or provision a new replica from backup. Consider increasing the source's binary log expiration period. The GTID set sent by the replica is '%s', and the missing transactions are '%s'",
} as const;

/** SQLSTATE for `code`; unmapped errors are 'HY000' (general error), as on real servers. */
export function sqlStateFor(code: number): string {
  return SERVER_ERRORS.get(code)?.sqlState ?? 'HY000';
}

// %[-][width][.precision][l|ll|z][s|d|u|i|T|M]; '.*' precision is not used in our templates.
const CONVERSION = /%(-?)(\d*)(?:\.(\d+))?(?:ll|l|z)?([sduiTM%])/g;

/** Renders a printf-style template the way the server does: %-.Ns truncates to N characters. */
export function formatTemplate(template: string, args: readonly (string | number | bigint)[]): string {
  let next = 0;
  return template.replace(CONVERSION, (_match, _left: string, _width: string, precision: string | undefined, kind: string) => {
    if (kind === '%') return '%';
    const arg = args[next++];
    let text = arg === undefined ? '' : String(arg);
    if (kind === 's' || kind === 'T') {
      if (precision !== undefined) text = text.slice(0, Number(precision));
    }
    return text;
  });
}

/** The message for `code` with its template filled from `args`. */
export function errorMessage(code: number, ...args: (string | number | bigint)[]): string {
  const def = SERVER_ERRORS.get(code);
  return def === undefined ? `Unknown error ${code}` : formatTemplate(def.template, args);
}

/** ER_ACCESS_DENIED_ERROR's message; `host` is the client address as the server saw it. */
export function accessDeniedMessage(user: string, host: string, usedPassword: boolean): string {
  return errorMessage(ER_ACCESS_DENIED_ERROR, user, host, usedPassword ? 'YES' : 'NO');
}

/** ER_PARSE_ERROR's message for a statement the server does not understand, near its start. */
export function parseErrorMessage(sql: string, line = 1): string {
  return errorMessage(ER_PARSE_ERROR, errorMessage(ER_SYNTAX_ERROR), sql, line);
}
