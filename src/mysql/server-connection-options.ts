// What a ServerConnection is given and what it tells: its options with their defaults, its
// states and its events (server-connection.ts is the connection itself).
import type { SecureContext } from 'node:tls';
import type { TlsMaterial } from '../tls-files.js';
import type { CommandHandler, CommandHandlerFactory } from './command-handler.js';
import type { AuthPluginName, ServerFlavor } from './flavor.js';
import type { MysqlProtocolError } from './protocol-error.js';
import type { Authenticate } from './server-auth.js';

export interface ServerConnectionOptions {
  /** The thread id clients see (and send in KILL); allocated by the server. */
  connectionId: number;
  authenticate: Authenticate;
  /** A handler, or a factory called once per authenticated connection (per-session state). */
  handler: CommandHandler | CommandHandlerFactory;
  flavor?: ServerFlavor;
  serverVersion?: string;
  /** Plugin advertised in the greeting and used for accounts that do not name one. */
  authPlugin?: AuthPluginName;
  /** Capability flags to advertise; flags this library cannot honour are removed. */
  capabilities?: number;
  /** Server default collation id for the greeting. */
  charset?: number;
  /** Largest payload accepted from a logged-in client (max_allowed_packet); default 16 MiB. */
  maxPacketSize?: number;
  /** Largest payload accepted before authentication; default 64 KiB (a handshake response with
   *  connect attributes is well under 1 KiB). */
  preAuthMaxPacketSize?: number;
  /** Time allowed from connect to successful authentication (connect_timeout); default 5 s. */
  handshakeTimeoutMs?: number;
  /** wait_timeout: a logged-in connection that sends no command for this long is closed; time
   *  spent inside a command (a binlog dump streams for as long as it likes) never counts.
   *  Default 28800 s, as on MySQL and MariaDB. */
  idleTimeoutMs?: number;
  /** Offer TLS (CLIENT_SSL) with this certificate; a client's SSLRequest upgrades the socket. */
  tls?: SecureContext;
  /** With `tls`: the client must present a certificate this material's CA signed. */
  clientCertificates?: TlsMaterial;
  /** require_secure_transport: a login over plaintext TCP is refused with 1045, as MariaDB does. */
  requireSecureTransport?: boolean;
}

/** max_allowed_packet's default on MySQL 8 and MariaDB 10.6+. */
export const DEFAULT_MAX_PACKET_SIZE = 16 * 1024 * 1024;
export const DEFAULT_PRE_AUTH_MAX_PACKET_SIZE = 64 * 1024;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;
export const DEFAULT_IDLE_TIMEOUT_MS = 28_800_000;
export type ConnectionState = 'handshake' | 'command' | 'closed';

export type AuthFailure = 'credentials' | 'insecure-transport';

export interface ServerConnectionEvents {
  authenticated: [user: string];
  /** The client was refused (1045 and the like); `user` as it sent it. `reason` tells a wrong
   *  password or unknown user from a plaintext login under requireSecureTransport. */
  authFailed: [user: string, reason: AuthFailure];
  /** Closed for sending no command within idleTimeoutMs. */
  idleTimeout: [];
  close: [];
  /** A handler threw or rejected; the client got a bare ER_UNKNOWN_ERROR ("Unknown error", the
   *  detail stays in the server's log) if nothing was sent yet. */
  handlerError: [error: unknown];
  /** The client broke the protocol (bad handshake, oversized or out-of-order packets). */
  protocolError: [error: MysqlProtocolError];
}
