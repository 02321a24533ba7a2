// What one client session may hold and ask for. A replica sets about ten short user variables and
// selects a few system variables; without caps one logged-in client could grow a session without
// bound (50 000 user variables were once accepted) or have a big literal echoed back to it (an
// 8 MiB one came back twice: as the column name and as the value). Each cap is far above what
// replicas and tools send; going over one is a MySQL error, and the session stays usable.

/** User variables per session (ER_USER_LIMIT_REACHED, resource 'user_variables'). */
export const MAX_USER_VARIABLES = 256;
/** Characters of all user variables' names and values together ('user_variables_size'). */
export const MAX_USER_VARIABLES_CHARS = 1024 * 1024;
/** One literal or variable value (ER_TOO_LONG_STRING); a MariaDB GTID position with a thousand
 *  domains is about 30 000 characters. */
export const MAX_VALUE_CHARS = 64 * 1024;
/** The values of one result row together (ER_TOO_LONG_STRING). */
export const MAX_ROW_CHARS = 1024 * 1024;
/** A column named after the select item as written is cut here, as servers cut item names
 *  (MAX_ALIAS_NAME). */
export const MAX_COLUMN_LABEL_CHARS = 256;
/** Characters of one statement: a longer one is refused unread with ER_TOO_LONG_STRING, as a
 *  value over MAX_VALUE_CHARS is. The token cap does not bound whitespace, comments or literals:
 *  lexing a 16 MiB literal (within max_allowed_packet) once blocked the event loop for 3.5 s,
 *  where 256 KiB take about 10 ms. */
export const MAX_STATEMENT_CHARS = 256 * 1024;
/** Tokens of one statement, and how deep parentheses and function calls nest; beyond either the
 *  statement is a syntax error, as a real parser's stack overflow is. */
export const MAX_STATEMENT_TOKENS = 10_000;
export const MAX_EXPRESSION_DEPTH = 64;

export type SessionResource = 'user_variables' | 'user_variables_size';

/** A session would go over a cap on what it holds. */
export class SessionLimitError extends Error {
  readonly code = 'SERVER_SESSION_LIMIT';
  constructor(
    readonly resource: SessionResource,
    readonly limit: number,
  ) {
    super(`session limit ${resource} (${limit}) reached`);
  }
}
