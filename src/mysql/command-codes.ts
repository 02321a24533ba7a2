// Command bytes (enum_server_command in include/my_command.h): the first byte of every payload a
// client sends after authentication.

export const COM_SLEEP = 0x00;
export const COM_QUIT = 0x01;
export const COM_INIT_DB = 0x02;
export const COM_QUERY = 0x03;
export const COM_FIELD_LIST = 0x04;
export const COM_CREATE_DB = 0x05;
export const COM_DROP_DB = 0x06;
export const COM_REFRESH = 0x07;
export const COM_SHUTDOWN = 0x08;
export const COM_STATISTICS = 0x09;
export const COM_PROCESS_INFO = 0x0a;
export const COM_CONNECT = 0x0b;
export const COM_PROCESS_KILL = 0x0c;
export const COM_DEBUG = 0x0d;
export const COM_PING = 0x0e;
export const COM_TIME = 0x0f;
export const COM_DELAYED_INSERT = 0x10;
export const COM_CHANGE_USER = 0x11;
export const COM_BINLOG_DUMP = 0x12;
export const COM_TABLE_DUMP = 0x13;
export const COM_CONNECT_OUT = 0x14;
export const COM_REGISTER_SLAVE = 0x15;
export const COM_STMT_PREPARE = 0x16;
export const COM_STMT_EXECUTE = 0x17;
export const COM_STMT_SEND_LONG_DATA = 0x18;
export const COM_STMT_CLOSE = 0x19;
export const COM_STMT_RESET = 0x1a;
export const COM_SET_OPTION = 0x1b;
export const COM_STMT_FETCH = 0x1c;
export const COM_DAEMON = 0x1d;
export const COM_BINLOG_DUMP_GTID = 0x1e;
export const COM_RESET_CONNECTION = 0x1f;

const NAMES: ReadonlyMap<number, string> = new Map([
  [COM_SLEEP, 'COM_SLEEP'],
  [COM_QUIT, 'COM_QUIT'],
  [COM_INIT_DB, 'COM_INIT_DB'],
  [COM_QUERY, 'COM_QUERY'],
  [COM_FIELD_LIST, 'COM_FIELD_LIST'],
  [COM_CREATE_DB, 'COM_CREATE_DB'],
  [COM_DROP_DB, 'COM_DROP_DB'],
  [COM_REFRESH, 'COM_REFRESH'],
  [COM_SHUTDOWN, 'COM_SHUTDOWN'],
  [COM_STATISTICS, 'COM_STATISTICS'],
  [COM_PROCESS_INFO, 'COM_PROCESS_INFO'],
  [COM_CONNECT, 'COM_CONNECT'],
  [COM_PROCESS_KILL, 'COM_PROCESS_KILL'],
  [COM_DEBUG, 'COM_DEBUG'],
  [COM_PING, 'COM_PING'],
  [COM_TIME, 'COM_TIME'],
  [COM_DELAYED_INSERT, 'COM_DELAYED_INSERT'],
  [COM_CHANGE_USER, 'COM_CHANGE_USER'],
  [COM_BINLOG_DUMP, 'COM_BINLOG_DUMP'],
  [COM_TABLE_DUMP, 'COM_TABLE_DUMP'],
  [COM_CONNECT_OUT, 'COM_CONNECT_OUT'],
  [COM_REGISTER_SLAVE, 'COM_REGISTER_SLAVE'],
  [COM_STMT_PREPARE, 'COM_STMT_PREPARE'],
  [COM_STMT_EXECUTE, 'COM_STMT_EXECUTE'],
  [COM_STMT_SEND_LONG_DATA, 'COM_STMT_SEND_LONG_DATA'],
  [COM_STMT_CLOSE, 'COM_STMT_CLOSE'],
  [COM_STMT_RESET, 'COM_STMT_RESET'],
  [COM_SET_OPTION, 'COM_SET_OPTION'],
  [COM_STMT_FETCH, 'COM_STMT_FETCH'],
  [COM_DAEMON, 'COM_DAEMON'],
  [COM_BINLOG_DUMP_GTID, 'COM_BINLOG_DUMP_GTID'],
  [COM_RESET_CONNECTION, 'COM_RESET_CONNECTION'],
]);

/** 'COM_BINLOG_DUMP' for 0x12; 'COM_UNKNOWN_0x99' for bytes no server knows (for logs). */
export function commandName(command: number): string {
  return NAMES.get(command) ?? `COM_UNKNOWN_0x${command.toString(16).padStart(2, '0')}`;
}
