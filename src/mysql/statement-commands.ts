// The binary protocol's prepared-statement commands, for a server that prepares no statement (the
// relay answers its statements over COM_QUERY only). Clients that send them anyway (mysql2's
// execute(), CDC libraries reading table metadata) get the answers of a MariaDB server that has
// no such statement, checked live against mariadbd 10.11.19:
//   COM_STMT_PREPARE                  → 1295, the error MariaDB gives a statement it cannot prepare;
//   COM_STMT_EXECUTE / RESET / FETCH  → 1243 naming the id; 1835 when the packet is too short
//                                       (MariaDB reads past the end of a reset or fetch without
//                                       a whole id, and names what it found there);
//   COM_STMT_CLOSE / SEND_LONG_DATA   → nothing: the protocol has no reply to them, and a reply
//                                       would be read as the answer to the client's next command.
import { COM_STMT_CLOSE, COM_STMT_EXECUTE, COM_STMT_FETCH, COM_STMT_PREPARE, COM_STMT_RESET, COM_STMT_SEND_LONG_DATA } from './command-codes.js';
import { ER_MALFORMED_PACKET, ER_UNKNOWN_STMT_HANDLER, ER_UNSUPPORTED_PS, errorMessage } from './error-codes.js';

export type StatementCommandReply = { readonly kind: 'none' } | { readonly kind: 'error'; readonly code: number; readonly message: string };

/** By command: the server function MariaDB names in 1243, and the fewest bytes after the command
 *  byte it insists on (execute: id, flags, iteration count; reset and fetch: id). */
const HANDLERS: ReadonlyMap<number, { name: string; minBytes: number }> = new Map([
  [COM_STMT_EXECUTE, { name: 'mysqld_stmt_execute', minBytes: 9 }],
  [COM_STMT_RESET, { name: 'mysqld_stmt_reset', minBytes: 4 }],
  [COM_STMT_FETCH, { name: 'mysqld_stmt_fetch', minBytes: 4 }],
]);

/** The reply to a prepared-statement command, or null when `command` is not one. */
export function statementCommandReply(command: number, payload: Buffer): StatementCommandReply | null {
  if (command === COM_STMT_PREPARE) return { kind: 'error', code: ER_UNSUPPORTED_PS, message: errorMessage(ER_UNSUPPORTED_PS) };
  if (command === COM_STMT_CLOSE || command === COM_STMT_SEND_LONG_DATA) return { kind: 'none' };
  const handler = HANDLERS.get(command);
  if (handler === undefined) return null;
  if (payload.length - 1 < handler.minBytes) return { kind: 'error', code: ER_MALFORMED_PACKET, message: errorMessage(ER_MALFORMED_PACKET) };
  // The statement id (u32) follows the command byte.
  return { kind: 'error', code: ER_UNKNOWN_STMT_HANDLER, message: errorMessage(ER_UNKNOWN_STMT_HANDLER, payload.readUInt32LE(1), handler.name) };
}
