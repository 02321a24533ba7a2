// A TCP listener that turns every accepted socket into a ServerConnection with a fresh
// connection id. Used by the e2e tests and, later, by the binlog server.

import { EventEmitter } from 'node:events';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { refuseConnection } from './connection-refusal.js';
import { ER_CON_COUNT_ERROR } from './error-codes.js';
import type { Authenticate, UserCredentials } from './server-auth.js';
import type { CommandHandler, CommandHandlerFactory } from './command-handler.js';
import { ServerConnection, type ServerConnectionOptions } from './server-connection.js';

/** Users as name → password (accounts use the server's plugin), or a lookup function. */
export type UserDirectory = Readonly<Record<string, string | UserCredentials>> | Authenticate;

export interface ProtocolServerOptions
  extends Omit<ServerConnectionOptions, 'connectionId' | 'authenticate' | 'handler'> {
  users: UserDirectory;
  handler: CommandHandler | CommandHandlerFactory;
  /** Connections beyond this are refused with ER_CON_COUNT_ERROR; default unlimited. */
  maxConnections?: number;
  /** First connection id handed out; default 1. */
  firstConnectionId?: number;
}

export interface ProtocolServerEvents {
  connection: [conn: ServerConnection];
}

function toAuthenticate(users: UserDirectory): Authenticate {
  if (typeof users === 'function') return users;
  return (user) => {
    if (!Object.prototype.hasOwnProperty.call(users, user)) return null;
    const entry = users[user]!;
    return typeof entry === 'string' ? { password: entry } : entry;
  };
}

export class ProtocolServer extends EventEmitter<ProtocolServerEvents> {
  readonly server: Server;
  readonly #connections = new Map<number, ServerConnection>();
  readonly #options: ProtocolServerOptions;
  readonly #authenticate: Authenticate;
  #nextId: number;

  constructor(options: ProtocolServerOptions) {
    super();
    this.#options = options;
    this.#authenticate = toAuthenticate(options.users);
    this.#nextId = options.firstConnectionId ?? 1;
    this.server = createServer((socket) => this.#accept(socket));
  }

  /** Live connections by id (for KILL <id> and status pages). */
  get connections(): ReadonlyMap<number, ServerConnection> {
    return this.#connections;
  }

  getConnection(id: number): ServerConnection | undefined {
    return this.#connections.get(id);
  }

  /** Starts listening; port 0 picks a free one. Resolves with the bound address. */
  listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** The bound port (after listen). */
  get port(): number {
    const address = this.server.address();
    return address !== null && typeof address === 'object' ? address.port : 0;
  }

  /** Stops accepting, drops every connection, resolves when the listener is closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      for (const conn of this.#connections.values()) conn.destroy();
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
    });
  }

  #allocateId(): number {
    // Skip ids still in use after the 32-bit counter wraps.
    do {
      const id = this.#nextId;
      this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
      if (!this.#connections.has(id)) return id;
    } while (this.#connections.size < 0xffffffff);
    return 0;
  }

  #accept(socket: Socket): void {
    const max = this.#options.maxConnections;
    if (max !== undefined && this.#connections.size >= max) {
      refuseConnection(socket, ER_CON_COUNT_ERROR);
      return;
    }
    const { users: _users, handler, maxConnections: _max, firstConnectionId: _first, ...rest } = this.#options;
    const conn = new ServerConnection(socket, {
      ...rest,
      connectionId: this.#allocateId(),
      authenticate: this.#authenticate,
      handler,
    });
    this.#connections.set(conn.id, conn);
    conn.once('close', () => this.#connections.delete(conn.id));
    this.emit('connection', conn);
  }
}

export function createProtocolServer(options: ProtocolServerOptions): ProtocolServer {
  return new ProtocolServer(options);
}
