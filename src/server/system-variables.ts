// The server's system variables as replicas and tools read them (SELECT @@x, SHOW VARIABLES).
// Each flavor exposes the names its real server has: a MariaDB master has gtid_domain_id and
// gtid_binlog_pos but no gtid_mode, a MySQL source the reverse; asking for a name the flavor
// lacks is ER_UNKNOWN_SYSTEM_VARIABLE, which is also how replicas learn that semi-sync is not
// offered (no rpl_semi_sync_* variable exists here).
import type { ServerFlavor } from '../mysql/flavor.js';

export interface ServerFacts {
  flavor: ServerFlavor;
  serverId: number;
  serverUuid: string;
  /** The version in the greeting (MariaDB's carries the "5.5.5-" prefix). */
  serverVersion: string;
  port: number;
  hostname: string;
  /** The relay's binlog_checksum: the algorithm of its newest file, CRC32 before any file. */
  binlogChecksum: 'CRC32' | 'NONE';
  /** Executed GTIDs in the flavor's text form. */
  executedGtids: string;
  purgedGtids: string;
  /** The binlog files' path without the .NNNNNN suffix (@@log_bin_basename); null before any file. */
  binlogBasePath: string | null;
  /** Retention by age, in seconds (@@binlog_expire_logs_seconds); 0 keeps files for ever. */
  expireLogsSeconds: number;
}

export interface SystemValue {
  /** As SHOW VARIABLES prints it. */
  text: string;
  /** As SELECT @@x returns it: a boolean's 1 or 0, NULL for one never set. */
  selected: string | null;
  /** SELECT @@x returns an integer (a LONGLONG column). */
  numeric: boolean;
}

/** VERSION() and @@version: the greeting's version without MariaDB's "5.5.5-" marker. */
export function plainVersion(serverVersion: string): string {
  return serverVersion.replace(/^5\.5\.5-/, '');
}

function text(value: string): SystemValue {
  return { text: value, selected: value, numeric: false };
}

function num(value: number | bigint): SystemValue {
  return { text: String(value), selected: String(value), numeric: true };
}

/** A boolean: ON/OFF in SHOW VARIABLES, 1/0 to SELECT (tools scan it into a bool). */
function bool(on: boolean): SystemValue {
  return { text: on ? 'ON' : 'OFF', selected: on ? '1' : '0', numeric: true };
}

/** A string never set: NULL to SELECT, empty in SHOW VARIABLES. */
function unset(): SystemValue {
  return { text: '', selected: null, numeric: false };
}

/** Every variable of the flavor, by lower-case name. */
export function systemVariables(f: ServerFacts): Map<string, SystemValue> {
  const vars = new Map<string, SystemValue>([
    ['auto_increment_increment', num(1)],
    ['auto_increment_offset', num(1)],
    ['autocommit', bool(true)],
    ['binlog_expire_logs_seconds', num(f.expireLogsSeconds)],
    ['binlog_checksum', text(f.binlogChecksum)],
    ['binlog_format', text('ROW')],
    ['binlog_row_image', text('FULL')],
    ['character_set_client', text('utf8mb4')],
    ['character_set_connection', text('utf8mb4')],
    ['character_set_results', text('utf8mb4')],
    ['character_set_server', text('utf8mb4')],
    ['collation_connection', text(f.flavor === 'mysql' ? 'utf8mb4_0900_ai_ci' : 'utf8mb4_general_ci')],
    ['collation_server', text(f.flavor === 'mysql' ? 'utf8mb4_0900_ai_ci' : 'utf8mb4_general_ci')],
    ['hostname', text(f.hostname)],
    ['init_connect', text('')],
    ['interactive_timeout', num(28800)],
    ['license', text('GPL')],
    ['log_bin', bool(true)],
    ['log_bin_basename', f.binlogBasePath === null ? unset() : text(f.binlogBasePath)],
    // There is no index file: this is where a MariaDB master would keep it.
    ['log_bin_index', f.binlogBasePath === null ? unset() : text(`${f.binlogBasePath}.index`)],
    ['log_slave_updates', bool(true)],
    ['lower_case_table_names', num(0)],
    ['max_allowed_packet', num(1073741824)],
    ['net_buffer_length', num(16384)],
    ['net_read_timeout', num(30)],
    ['net_write_timeout', num(60)],
    ['performance_schema', bool(false)],
    ['port', num(f.port)],
    ['query_cache_size', num(0)],
    ['query_cache_type', text('OFF')],
    ['read_only', bool(true)],
    // NULL on a real server unless set: so IFNULL(@@report_host, …) takes its fallback.
    ['report_host', unset()],
    ['server_id', num(f.serverId)],
    ['server_uuid', text(f.serverUuid)],
    ['sql_mode', text('')],
    ['system_time_zone', text('UTC')],
    ['time_zone', text('SYSTEM')],
    ['version', text(plainVersion(f.serverVersion))],
    ['version_comment', text('binrelay binlog server')],
    ['wait_timeout', num(28800)],
  ]);
  if (f.flavor === 'mysql') {
    vars.set('gtid_mode', text('ON'));
    vars.set('enforce_gtid_consistency', text('ON'));
    vars.set('gtid_executed', text(f.executedGtids));
    vars.set('gtid_purged', text(f.purgedGtids));
    vars.set('log_replica_updates', bool(true));
    vars.set('transaction_isolation', text('REPEATABLE-READ'));
    vars.set('transaction_read_only', bool(false));
  } else {
    // A DOUBLE of days on MariaDB, shown with six decimals (1.000000 for 86400 s).
    const days = (f.expireLogsSeconds / 86_400).toFixed(6);
    vars.set('expire_logs_days', { text: days, selected: String(Number(days)), numeric: false });
    vars.set('gtid_domain_id', num(0));
    vars.set('gtid_binlog_pos', text(f.executedGtids));
    vars.set('gtid_binlog_state', text(f.executedGtids));
    vars.set('gtid_current_pos', text(f.executedGtids));
    vars.set('gtid_slave_pos', text(''));
    vars.set('gtid_strict_mode', bool(true));
    vars.set('tx_isolation', text('REPEATABLE-READ'));
    vars.set('tx_read_only', bool(false));
    vars.set('transaction_isolation', text('REPEATABLE-READ'));
  }
  return vars;
}

export function lookupSystemVariable(f: ServerFacts, name: string): SystemValue | undefined {
  return systemVariables(f).get(name.toLowerCase());
}
