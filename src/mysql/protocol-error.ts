// Typed errors of the wire-protocol layer. `code` is stable: callers and tests switch on it, never
// on the message. `errno`, when set, is the MySQL server error the peer should be told about
// before the connection is dropped (e.g. 1153 for an oversized packet).

export type MysqlProtocolErrorCode =
  /** A payload ended before a field it announces, or a field holds an impossible value. */
  | 'ERR_MYSQL_MALFORMED_PACKET'
  /** A payload is larger than the configured maximum (max_allowed_packet). */
  | 'ERR_MYSQL_PACKET_TOO_LARGE'
  /** The fragments of one payload do not carry consecutive sequence ids. */
  | 'ERR_MYSQL_PACKETS_OUT_OF_ORDER'
  /** A length-encoded integer does not fit in a JavaScript number without loss. */
  | 'ERR_MYSQL_UNSAFE_INTEGER'
  /** The client asks for something this server does not do (SSL, pre-4.1 protocol). */
  | 'ERR_MYSQL_UNSUPPORTED_CLIENT'
  /** A caller passed a value the protocol cannot carry. */
  | 'ERR_MYSQL_INVALID_ARGUMENT'
  /** The TLS handshake after an SSLRequest failed (the client distrusts our certificate, or left). */
  | 'ERR_MYSQL_TLS_HANDSHAKE';

export class MysqlProtocolError extends Error {
  readonly code: MysqlProtocolErrorCode;
  readonly errno: number | undefined;

  constructor(code: MysqlProtocolErrorCode, message: string, options: { errno?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MysqlProtocolError';
    this.code = code;
    this.errno = options.errno;
  }
}

export function isMysqlProtocolError(err: unknown): err is MysqlProtocolError {
  return err instanceof MysqlProtocolError;
}
