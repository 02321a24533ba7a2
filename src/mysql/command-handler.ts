// The application side of a server connection: what to do with each command after login.

import type { ServerConnection } from './server-connection.js';

/** Payloads passed on include the command byte, so offsets match the protocol documentation
 *  (COM_BINLOG_DUMP's binlog position is at offset 1). */
export interface CommandHandler {
  /** COM_QUERY. Must reply (sendOk / sendError / sendResultSet); the next command is not read
   *  until the returned promise settles. A query left unanswered gets ER_UNKNOWN_ERROR. */
  onQuery(sql: string, conn: ServerConnection): void | Promise<void>;
  /** Any command other than COM_QUERY, COM_QUIT, COM_PING and COM_INIT_DB (which are built in).
   *  Return false to have the connection answer as a server that lacks the command
   *  (statement-commands.ts for the prepared-statement ones, else ER_UNKNOWN_COM_ERROR). A streaming command
   *  (COM_BINLOG_DUMP) may keep the promise pending for as long as it streams. */
  onCommand?(command: number, payload: Buffer, conn: ServerConnection): boolean | Promise<boolean>;
}

/** Called once per authenticated connection: the place for per-session state. */
export type CommandHandlerFactory = (conn: ServerConnection) => CommandHandler;
