// The admin API's socket, bound before the node opens its storage or starts raft: a node whose
// admin port is taken must stop at once, not run headless (reachable by raft, able to win an
// election, but not administrable). Until the API is attached, every request is answered
// 503 UNAVAILABLE "node starting". With admin-tls the socket serves HTTPS only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsMaterial } from '../src/tls-files.js';
import { applyHttpLimits, type HttpLimits } from './http-limits.js';

type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export class AdminListenError extends Error {
  readonly code = 'ADMIN_LISTEN_FAILED';
  constructor(addr: string, cause: Error) {
    super(`admin API cannot listen on ${addr} (admin-addr): ${cause.message}`, { cause });
  }
}

function answerStarting(_request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(503, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ message: 'node starting', error: { code: 'UNAVAILABLE' } }));
}

export class AdminListener {
  private handler: RequestHandler = answerStarting;

  private constructor(readonly server: Server) {}

  /** Binds host:port with the HTTP limits applied, HTTPS when `tls` is given (its `ca` is for
   *  calls to other nodes, not for clients: the admin API authenticates them by token); rejects
   *  with AdminListenError. */
  static async bind(host: string, port: number, limits: HttpLimits, tls?: TlsMaterial): Promise<AdminListener> {
    const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createServer();
    const listener = new AdminListener(server);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => listener.handler(request, response));
    applyHttpLimits(server, limits);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: Error) => {
      throw new AdminListenError(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`, err);
    });
    return listener;
  }

  /** From now on, requests go to `handler` (the admin API's). */
  attach(handler: RequestHandler): void {
    this.handler = handler;
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
