// Capability flags exchanged in the handshake (include/mysql_com.h). Values are unsigned 32-bit;
// bit 31 does not fit a signed JS int, so combine with `|` and normalise with `>>> 0`.

/** MySQL: "new more secure passwords". MariaDB reuses bit 0 as CLIENT_MYSQL: a MariaDB server
 *  clears it to say "I am MariaDB" (and then reads extended capabilities from the filler). */
export const CLIENT_LONG_PASSWORD = 1;
export const CLIENT_MYSQL = 1;
export const CLIENT_FOUND_ROWS = 1 << 1;
export const CLIENT_LONG_FLAG = 1 << 2;
export const CLIENT_CONNECT_WITH_DB = 1 << 3;
export const CLIENT_NO_SCHEMA = 1 << 4;
export const CLIENT_COMPRESS = 1 << 5;
export const CLIENT_ODBC = 1 << 6;
export const CLIENT_LOCAL_FILES = 1 << 7;
export const CLIENT_IGNORE_SPACE = 1 << 8;
export const CLIENT_PROTOCOL_41 = 1 << 9;
export const CLIENT_INTERACTIVE = 1 << 10;
export const CLIENT_SSL = 1 << 11;
export const CLIENT_IGNORE_SIGPIPE = 1 << 12;
export const CLIENT_TRANSACTIONS = 1 << 13;
export const CLIENT_RESERVED = 1 << 14;
export const CLIENT_SECURE_CONNECTION = 1 << 15;
export const CLIENT_MULTI_STATEMENTS = 1 << 16;
export const CLIENT_MULTI_RESULTS = 1 << 17;
export const CLIENT_PS_MULTI_RESULTS = 1 << 18;
export const CLIENT_PLUGIN_AUTH = 1 << 19;
export const CLIENT_CONNECT_ATTRS = 1 << 20;
export const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21;
export const CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS = 1 << 22;
export const CLIENT_SESSION_TRACK = 1 << 23;
export const CLIENT_DEPRECATE_EOF = 1 << 24;
export const CLIENT_OPTIONAL_RESULTSET_METADATA = 1 << 25;
export const CLIENT_ZSTD_COMPRESSION_ALGORITHM = 1 << 26;
export const CLIENT_QUERY_ATTRIBUTES = 1 << 27;
export const MULTI_FACTOR_AUTHENTICATION = 1 << 28;
export const CLIENT_SSL_VERIFY_SERVER_CERT = 0x40000000;
export const CLIENT_REMEMBER_OPTIONS = 0x80000000;

/** MariaDB extended capabilities (sent in the last 4 filler bytes when CLIENT_MYSQL is clear).
 *  We advertise none: EXTENDED_METADATA, for one, would add a field to every column definition. */
export const MARIADB_CLIENT_PROGRESS = 1;
export const MARIADB_CLIENT_COM_MULTI = 1 << 1;
export const MARIADB_CLIENT_STMT_BULK_OPERATIONS = 1 << 2;
export const MARIADB_CLIENT_EXTENDED_METADATA = 1 << 3;
export const MARIADB_CLIENT_CACHE_METADATA = 1 << 4;

/** What every binrelay server can honour, whatever the flavor. No SSL (unless configured), no
 *  compression, no multi-statements, no session tracking; DEPRECATE_EOF is supported but opt-in. */
export const BASE_SERVER_CAPABILITIES =
  (CLIENT_LONG_FLAG |
    CLIENT_CONNECT_WITH_DB |
    CLIENT_PROTOCOL_41 |
    CLIENT_TRANSACTIONS |
    CLIENT_SECURE_CONNECTION |
    CLIENT_PLUGIN_AUTH |
    CLIENT_CONNECT_ATTRS |
    CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) >>>
  0;

/** Flags this library never implements: advertising them would be a lie the client acts on.
 *  CLIENT_SSL is the exception: a connection given a TLS context adds it back (tls-upgrade.ts). */
export const UNSUPPORTED_SERVER_CAPABILITIES =
  (CLIENT_SSL |
    CLIENT_COMPRESS |
    CLIENT_ZSTD_COMPRESSION_ALGORITHM |
    CLIENT_MULTI_STATEMENTS |
    CLIENT_SESSION_TRACK |
    CLIENT_OPTIONAL_RESULTSET_METADATA |
    CLIENT_QUERY_ATTRIBUTES |
    MULTI_FACTOR_AUTHENTICATION |
    CLIENT_LOCAL_FILES) >>>
  0;

export function hasCapability(capabilities: number, flag: number): boolean {
  return (capabilities & flag) !== 0;
}

/** The flags both sides agreed on: clients (mysql2, libmysql) send flags the server never offered. */
export function negotiateCapabilities(server: number, client: number): number {
  return (server & client) >>> 0;
}
