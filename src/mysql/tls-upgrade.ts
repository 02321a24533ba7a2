// The server side of the MySQL protocol's STARTTLS: a client that saw CLIENT_SSL in the greeting
// sends a 32-byte SSLRequest (the first fields of its handshake response) and, without waiting
// for an answer, starts the TLS handshake on the same socket. Once TLS is up it sends the whole
// handshake response again, inside TLS, continuing the sequence ids (mysqld's
// ssl_handshake() in sql/sql_acl.cc). No plaintext byte after the SSLRequest is ever read as MySQL.
import type { Socket } from 'node:net';
import { createServer, type SecureContext, TLSSocket } from 'node:tls';
import { CLIENT_SSL, hasCapability } from './capability-flags.js';
import { MysqlProtocolError } from './protocol-error.js';
import type { TlsMaterial } from '../tls-files.js';

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
 * leaves or the handshake fails (a client that does not trust our certificate aborts it; with
 * `requireClientCert`, one without a certificate the context's CA signed is refused).
 */
export function upgradeToTls(socket: Socket, context: SecureContext, received: Buffer, clientCertificates?: TlsMaterial): Promise<TLSSocket> {
  if (received.length > 0) socket.unshift(received);
  if (clientCertificates) return upgradeVerifyingClient(socket, clientCertificates);
  return handshakeDone(new TLSSocket(socket, { isServer: true, secureContext: context, requestCert: false }));
}

/** A bare server-side TLSSocket never judges the client's certificate: a tls.Server (never
 *  listening, built from the PEM material: it takes no ready context) takes the socket as one of
 *  its connections and does, against the material's CA. */
function upgradeVerifyingClient(socket: Socket, material: TlsMaterial): Promise<TLSSocket> {
  const server = createServer({ ...material, requestCert: true, rejectUnauthorized: false });
  const secured = new Promise<TLSSocket>((resolve, reject) => {
    server.once('secureConnection', (secure: TLSSocket) => {
      if (secure.authorized) resolve(secure);
      else {
        secure.destroy();
        reject(new MysqlProtocolError('ERR_MYSQL_TLS_HANDSHAKE', `TLS handshake failed: client certificate refused: ${String(secure.authorizationError ?? 'none presented')}`));
      }
    });
    server.once('tlsClientError', (err: Error) => {
      socket.destroy();
      reject(new MysqlProtocolError('ERR_MYSQL_TLS_HANDSHAKE', `TLS handshake failed: ${err.message}`));
    });
    socket.once('close', () => reject(new MysqlProtocolError('ERR_MYSQL_TLS_HANDSHAKE', 'TLS handshake failed: the client closed the connection')));
  });
  server.emit('connection', socket);
  return secured;
}

function handshakeDone(secure: TLSSocket): Promise<TLSSocket> {
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
