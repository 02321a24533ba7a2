// Server status flags carried by OK and EOF packets (SERVER_STATUS_* in include/mysql_com.h).
// binrelay has no transactions; it reports autocommit like an idle real server does.

export const SERVER_STATUS_IN_TRANS = 0x0001;
export const SERVER_STATUS_AUTOCOMMIT = 0x0002;
export const SERVER_MORE_RESULTS_EXISTS = 0x0008;
export const SERVER_QUERY_NO_GOOD_INDEX_USED = 0x0010;
export const SERVER_QUERY_NO_INDEX_USED = 0x0020;
export const SERVER_STATUS_CURSOR_EXISTS = 0x0040;
export const SERVER_STATUS_LAST_ROW_SENT = 0x0080;
export const SERVER_STATUS_DB_DROPPED = 0x0100;
export const SERVER_STATUS_NO_BACKSLASH_ESCAPES = 0x0200;
export const SERVER_STATUS_METADATA_CHANGED = 0x0400;
export const SERVER_QUERY_WAS_SLOW = 0x0800;
export const SERVER_PS_OUT_PARAMS = 0x1000;
export const SERVER_STATUS_IN_TRANS_READONLY = 0x2000;
export const SERVER_SESSION_STATE_CHANGED = 0x4000;

export const DEFAULT_SERVER_STATUS = SERVER_STATUS_AUTOCOMMIT;
