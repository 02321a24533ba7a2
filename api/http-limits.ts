// Limits that keep one client from holding the admin API's HTTP server: a request (headers and
// body) must arrive within requestTimeoutMs (a body dripped byte by byte is cut off), a connection
// idle for connectionTimeoutMs (also between keep-alive requests) is closed, and at most
// maxConnections sockets are open at once.
// The idle limit never cuts a request the API is still handling (an import may take minutes
// without a byte on the wire); once its answer is being written, it applies again.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpLimits {
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  maxConnections: number;
}

/** The defaults of the config keys admin-request-timeout, admin-connection-timeout and
 *  admin-max-connections. */
export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = { requestTimeoutMs: 30_000, connectionTimeoutMs: 60_000, maxConnections: 256 };

/** Node checks request and header deadlines on an interval (30 s by default), which would let a
 *  dripped body live up to 30 s past its deadline: check a few times per deadline instead. */
function checkingIntervalMs(requestTimeoutMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(requestTimeoutMs / 4)));
}

/** Applies `limits` to `server`; call before it listens (the checking interval is read then). */
export function applyHttpLimits(server: Server, limits: HttpLimits): void {
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = Math.min(limits.requestTimeoutMs, 60_000);
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = checkingIntervalMs(limits.requestTimeoutMs);
  server.maxConnections = limits.maxConnections;
  server.setTimeout(limits.connectionTimeoutMs);
  // Between keep-alive requests node uses this instead of the socket timeout: idle is idle.
  server.keepAliveTimeout = limits.connectionTimeoutMs;

  const handling = new WeakMap<Socket, ServerResponse>();
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    handling.set(socket, response);
    response.once('close', () => {
      if (handling.get(socket) === response) handling.delete(socket);
    });
  });
  // With a 'timeout' listener node leaves the socket to us: close it unless its request is still
  // being handled (no answer started), then look again after another idle period.
  server.on('timeout', (socket: Socket) => {
    const response = handling.get(socket);
    if (response && !response.headersSent && !socket.destroyed) {
      socket.setTimeout(limits.connectionTimeoutMs);
      return;
    }
    socket.destroy();
  });
}
