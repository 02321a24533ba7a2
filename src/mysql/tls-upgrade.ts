// The server side of the MySQL protocol's STARTTLS: a client that saw CLIENT_SSL in the greeting
// sends a 32-byte SSLRequest (the first fields of its handshake response) and, without waiting
// for an answer, starts the TLS handshake on the same socket. Once TLS is up it sends the whole
// handshake response again, inside TLS, continuing the sequence ids (mysqld's
// ssl_handshake() in sql/sql_acl.cc). No plaintext byte after the SSLRequest is ever read as MySQL.
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { CLIENT_SSL, hasCapability } from './capability-flags.js';
import { MysqlProtocolError } from './protocol-error.js';

/** capabilities(4) max_packet(4) charset(1) filler(23): a handshake response cut before the user. */
export const SSL_REQUEST_LENGTH = 32;

/** True when a client's first payload asks for TLS instead of logging in. */
export function isSslRequest(payload: Buffer): boolean {
  return payload.length === SSL_REQUEST_LENGTH && hasCapability(payload.readUInt32LE(0), CLIENT_SSL);
}

/**
 * Wraps `socket` in a server-side TLSSocket and resolves once the handshake is done. `received`
 * are bytes already read off the socket behind the SSLRequest (the start of the ClientHello):
 * they are put back so TLS sees them first. Rejects with ERR_MYSQL_TLS_HANDSHAKE when the client
 * leaves or the handshake fails (a client that does not trust our certificate aborts it).
 */
export function upgradeToTls(socket: Socket, context: SecureContext, received: Buffer): Promise<TLSSocket> {
  if (received.length > 0) socket.unshift(received);
  const secure = new TLSSocket(socket, { isServer: true, secureContext: context, requestCert: false });
  return new Promise((resolve, reject) => {
    const settle = (err: Error | null): void => {
      secure.off('secure', onSecure);
      secure.off('error', onError);
      secure.off('close', onClose);
      if (err === null) {
        resolve(secure);
        return;
      }
      secure.destroy();
      reject(new MysqlProtocolError('ERR_MYSQL_TLS_HANDSHAKE', `TLS handshake failed: ${err.message}`));
    };
    const onSecure = (): void => settle(null);
    const onError = (err: Error): void => settle(err);
    const onClose = (): void => settle(new Error('the client closed the connection'));
    secure.once('secure', onSecure);
    secure.once('error', onError);
    secure.once('close', onClose);
  });
}
