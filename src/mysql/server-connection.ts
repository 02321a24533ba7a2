// One client connection on the server side: greeting, authentication, then a loop that reads one
// command at a time and hands it to a CommandHandler. Replies go out through the write helpers,
// each reply framed into one Buffer for one socket write. The connection never throws on a dead
// socket: writes to it return false, and 'close' is emitted exactly once whatever killed it.

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import {
  CLIENT_DEPRECATE_EOF,
  CLIENT_PROTOCOL_41,
  CLIENT_SSL,
  UNSUPPORTED_SERVER_CAPABILITIES,
  hasCapability,
  negotiateCapabilities,
} from './capability-flags.js';
import { COM_INIT_DB, COM_PING, COM_QUERY, COM_QUIT } from './command-codes.js';
import { encodingForCollation } from './column-types.js';
import { ER_ACCESS_DENIED_ERROR, ER_UNKNOWN_COM_ERROR, ER_UNKNOWN_ERROR, accessDeniedMessage, errorMessage, sqlStateFor } from './error-codes.js';
import { type AuthPluginName, type ServerFlavor, flavorDefaults } from './flavor.js';
import { decodeHandshakeResponse41, encodeHandshakeV10, generateScramble } from './handshake.js';
import type { CommandHandler } from './command-handler.js';
import { type FramedPayload, PacketWriter } from './packet-framer.js';
import { PayloadInbox } from './payload-inbox.js';
import { statementCommandReply } from './statement-commands.js';
import { MysqlProtocolError } from './protocol-error.js';
import { type ColumnDefinition, type ResultSetOptions, type ResultValue, encodeResultSet, encodeResultSetEnd, encodeResultSetHead, encodeTextRow } from './result-set.js';
import { type OkOptions, encodeEndOfData, encodeErr, encodeOk } from './response-packets.js';
import { type AuthChannel, type UserCredentials, authenticateClient } from './server-auth.js';
import { DEFAULT_SERVER_STATUS } from './server-status.js';
import { isSslRequest, upgradeToTls } from './tls-upgrade.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_PACKET_SIZE, DEFAULT_PRE_AUTH_MAX_PACKET_SIZE,
  type ConnectionState, type ServerConnectionEvents, type ServerConnectionOptions,
} from './server-connection-options.js';

export * from './server-connection-options.js';

// Unread input buffered before the socket is paused, before and after login.
const PRE_AUTH_HIGH_WATER_MARK = 64 * 1024;
const HIGH_WATER_MARK = 1024 * 1024;

// Payloads at least this big are written as header + view (no copy), under cork().
const ZERO_COPY_THRESHOLD = 64 * 1024;
// After close(), a peer that never closes its side is cut off after this long.
const CLOSE_GRACE_MS = 5000;

/** setTimeout fires at once for delays above 2^31 − 1 ms (24.8 days): hold longer ones there. */
function timerMs(ms: number): number {
  return Math.min(ms, 0x7fffffff);
}

function clientHost(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export class ServerConnection extends EventEmitter<ServerConnectionEvents> {
  readonly id: number;
  readonly flavor: ServerFlavor;
  readonly serverVersion: string;
  readonly serverCapabilities: number;
  readonly serverAuthPlugin: AuthPluginName;
  readonly remoteAddress: string;
  readonly remotePort: number;

  #options: ServerConnectionOptions;
  /** The TCP socket as accepted; #socket is the TLSSocket over it once TLS is up. */
  readonly #tcpSocket: Socket;
  #socket: Socket;
  #inbox: PayloadInbox;
  #writer = new PacketWriter(0);
  #scramble = generateScramble();
  #charsetId: number;
  #state: ConnectionState = 'handshake';
  #handler: CommandHandler | null = null;
  #user: string | null = null;
  #database: string | null = null;
  #authPlugin: AuthPluginName | null = null;
  #clientCapabilities = 0;
  #capabilities = 0;
  #clientCharset = 0;
  #connectAttributes: Readonly<Record<string, string>> = {};
  #responded = false;
  #handshakeTimer: NodeJS.Timeout | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  #lastError: Error | null = null;

  constructor(socket: Socket, options: ServerConnectionOptions) {
    super();
    const defaults = flavorDefaults(options.flavor ?? 'mariadb');
    this.#tcpSocket = socket;
    this.#socket = socket;
    this.#options = options;
    this.id = options.connectionId >>> 0;
    this.flavor = options.flavor ?? 'mariadb';
    this.serverVersion = options.serverVersion ?? defaults.serverVersion;
    const offered = (options.capabilities ?? defaults.capabilities) & ~UNSUPPORTED_SERVER_CAPABILITIES;
    this.serverCapabilities = (options.tls ? offered | CLIENT_SSL : offered) >>> 0;
    this.serverAuthPlugin = options.authPlugin ?? defaults.authPlugin;
    this.#charsetId = options.charset ?? defaults.charset;
    this.remoteAddress = clientHost(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
    this.#inbox = new PayloadInbox(socket, {
      maxPayloadLength: options.preAuthMaxPacketSize ?? DEFAULT_PRE_AUTH_MAX_PACKET_SIZE,
      highWaterMark: PRE_AUTH_HIGH_WATER_MARK,
    });

    // Replies are one write each; Nagle would hold them back waiting for the client's ACK.
    socket.setNoDelay(true);
    this.#watch(socket);
    if (socket.destroyed) {
      process.nextTick(() => this.#onClosed());
      return;
    }
    const timeout = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.#handshakeTimer = setTimeout(() => {
      if (this.#state === 'handshake') this.destroy();
    }, timerMs(timeout));
    this.#handshakeTimer.unref();
    void this.#run();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The socket replies go to: the TCP socket, or the TLSSocket over it after an SSLRequest. */
  get socket(): Socket {
    return this.#socket;
  }

  /** True once the connection runs over TLS. */
  get secure(): boolean {
    return this.#socket !== this.#tcpSocket;
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** The authenticated user, null before authentication. */
  get user(): string | null {
    return this.#user;
  }

  /** The default database from the handshake or the last COM_INIT_DB. */
  get database(): string | null {
    return this.#database;
  }

  get authPlugin(): AuthPluginName | null {
    return this.#authPlugin;
  }

  /** Flags as the client sent them. */
  get clientCapabilities(): number {
    return this.#clientCapabilities;
  }

  /** Flags in effect: offered by us and asked for by the client. */
  get capabilities(): number {
    return this.#capabilities;
  }

  get clientCharset(): number {
    return this.#clientCharset;
  }

  get connectAttributes(): Readonly<Record<string, string>> {
    return this.#connectAttributes;
  }

  /** Result sets end with OK(0xfe) instead of EOF packets. */
  get deprecateEof(): boolean {
    return hasCapability(this.#capabilities, CLIENT_DEPRECATE_EOF);
  }

  /** The sequence id the next packet we write will carry. */
  get sequenceId(): number {
    return this.#writer.sequenceId;
  }

  /** The last socket error seen, if any (the connection is closed after one). */
  get lastError(): Error | null {
    return this.#lastError;
  }

  /** False once the socket cannot take writes any more. */
  get writable(): boolean {
    return this.#state !== 'closed' && !this.socket.destroyed && !this.socket.writableEnded;
  }

  sendOk(options: OkOptions = {}): boolean {
    return this.writeFrames([encodeOk(options)]);
  }

  /** ERR with the catalogue's SQLSTATE (HY000 when unknown) and, by default, its message. */
  sendError(code: number, message: string = errorMessage(code), sqlState: string = sqlStateFor(code)): boolean {
    const protocol41 = hasCapability(this.#clientCapabilities, CLIENT_PROTOCOL_41);
    return this.writeFrames([encodeErr(code, sqlState, message, protocol41)]);
  }

  /** EOF, as the client negotiated it (an OK with the EOF header under CLIENT_DEPRECATE_EOF). */
  sendEof(warnings = 0, statusFlags: number = DEFAULT_SERVER_STATUS): boolean {
    return this.writeFrames([encodeEndOfData(this.deprecateEof, warnings, statusFlags)]);
  }

  /** A whole text result set in one socket write, ended the way the client negotiated. */
  sendResultSet(
    columns: readonly ColumnDefinition[],
    rows: Iterable<readonly ResultValue[]>,
    options: Omit<ResultSetOptions, 'deprecateEof'> = {},
  ): boolean {
    return this.writeFrames(encodeResultSet(columns, rows, { ...options, deprecateEof: this.deprecateEof }));
  }

  /**
   * A text result set whose rows come in batches, each written as it arrives, waiting while the
   * socket is full (a listing may be longer than memory should hold). A source that fails with
   * an error carrying an `errno` ends the set with that ERR packet, as servers end a listing they
   * cannot finish; any other failure propagates.
   */
  async streamResultSet(columns: readonly ColumnDefinition[], batches: AsyncIterable<readonly (readonly ResultValue[])[]>): Promise<void> {
    this.writeFrames(encodeResultSetHead(columns, { deprecateEof: this.deprecateEof }));
    try {
      for await (const rows of batches) {
        if (!this.writable) return;
        if (!this.writeFrames(rows.map(encodeTextRow))) await this.waitForDrain();
      }
    } catch (err) {
      const errno = (err as { errno?: unknown }).errno;
      if (typeof errno !== 'number') throw err;
      this.sendError(errno, (err as Error).message);
      return;
    }
    this.writeFrames([encodeResultSetEnd({ deprecateEof: this.deprecateEof })]);
  }

  /** One raw payload with the next sequence id(s); payloads ≥ 16 MiB are split. Returns false
   *  when the socket buffer is full (await waitForDrain()) or the socket is gone. */
  writePayload(payload: Buffer): boolean {
    return this.writeFrames([payload]);
  }

  /** Several payloads framed with consecutive sequence ids and written at once. */
  writeFrames(payloads: readonly Buffer[]): boolean {
    this.#responded = true;
    if (!this.writable) return false;
    let total = 0;
    for (const p of payloads) total += p.length;
    if (total < ZERO_COPY_THRESHOLD) return this.socket.write(this.#writer.frameAll(payloads));
    const parts: Buffer[] = [];
    for (const p of payloads) parts.push(...this.#writer.frameParts(p));
    this.socket.cork();
    let ok = true;
    for (const part of parts) ok = this.socket.write(part);
    this.socket.uncork();
    return ok;
  }

  /** Resolves once the socket buffer drained, or at once if it is not full or closed. */
  waitForDrain(): Promise<void> {
    if (!this.writable || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.on('close', done);
    });
  }

  /** Ends the connection after pending writes are flushed; no further command is read. */
  close(): void {
    this.#inbox.stop();
    if (!this.writable) return;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Drops the connection at once (KILL, fatal errors). */
  destroy(): void {
    this.#socket.destroy();
    this.#tcpSocket.destroy();
  }

  #watch(socket: Socket): void {
    // MySQL clients never half-close: FIN means gone (a replica's STOP SLAVE sends nothing else).
    socket.on('end', () => socket.destroy());
    socket.on('error', (err) => {
      this.#lastError = err;
    });
    socket.on('close', () => this.#onClosed());
  }

  /** Answers an SSLRequest: TLS over the same socket, then a fresh inbox reading inside it. */
  async #startTls(context: SecureContext): Promise<void> {
    const received = this.#inbox.detach();
    const secure = await upgradeToTls(this.#tcpSocket, context, received, this.#options.clientCertificates);
    secure.setNoDelay(true);
    this.#socket = secure;
    this.#watch(secure);
    this.#inbox = new PayloadInbox(secure, {
      maxPayloadLength: this.#options.preAuthMaxPacketSize ?? DEFAULT_PRE_AUTH_MAX_PACKET_SIZE,
      highWaterMark: PRE_AUTH_HIGH_WATER_MARK,
    });
  }

  async #run(): Promise<void> {
    try {
      this.#writeRaw(
        this.#writer.frame(
          encodeHandshakeV10({
            serverVersion: this.serverVersion,
            connectionId: this.id,
            scramble: this.#scramble,
            capabilities: this.serverCapabilities,
            charset: this.#charsetId,
            statusFlags: DEFAULT_SERVER_STATUS,
            authPluginName: this.serverAuthPlugin,
          }),
        ),
      );
      if (!(await this.#authenticate())) return;
      for (;;) {
        const framed = await this.#nextCommand();
        if (framed === null) return;
        await this.#dispatch(framed);
      }
    } catch (err) {
      this.#fail(err);
    }
  }

  async #authenticate(): Promise<boolean> {
    let first = await this.#inbox.next();
    if (first === null) return false;
    if (this.#options.tls && isSslRequest(first.payload)) {
      await this.#startTls(this.#options.tls);
      // The full handshake response follows inside TLS, its sequence id continuing the SSLRequest's.
      first = await this.#inbox.next();
      if (first === null) return false;
    }
    this.#writer.sequenceId = first.lastSequenceId + 1;
    if (first.payload.length >= 4) this.#clientCapabilities = first.payload.readUInt32LE(0);
    const response = decodeHandshakeResponse41(first.payload);
    this.#capabilities = negotiateCapabilities(this.serverCapabilities, response.capabilities);
    this.#clientCharset = response.charset;
    this.#connectAttributes = response.connectAttributes;
    this.#database = response.database;
    let credentials: UserCredentials | null = null;
    try {
      credentials = await this.#options.authenticate(response.user, {
        connectionId: this.id,
        remoteAddress: this.remoteAddress,
        database: response.database,
        connectAttributes: response.connectAttributes,
      });
    } catch (err) {
      this.emit('handlerError', err);
    }
    const channel: AuthChannel = {
      write: (payload) => this.#writeRaw(this.#writer.frame(payload)),
      read: async () => {
        const next = await this.#inbox.next();
        if (next === null) return null;
        this.#writer.sequenceId = next.lastSequenceId + 1;
        return next.payload;
      },
    };
    if (this.#options.requireSecureTransport && !this.secure) {
      // MariaDB 10.11 answers a plaintext login under require_secure_transport with the plain
      // 1045, whatever the password: the client learns nothing about the account.
      this.emit('authFailed', response.user, 'insecure-transport');
      this.sendError(ER_ACCESS_DENIED_ERROR, accessDeniedMessage(response.user, this.remoteAddress, response.authResponse.length > 0));
      this.close();
      return false;
    }
    const outcome = await authenticateClient({
      channel,
      response,
      scramble: this.#scramble,
      serverPlugin: this.serverAuthPlugin,
      credentials,
      host: this.remoteAddress,
    });
    if (outcome.status === 'closed') return false;
    if (outcome.status === 'denied') {
      this.emit('authFailed', response.user, 'credentials');
      this.sendError(outcome.errno, outcome.message);
      this.close();
      return false;
    }
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#inbox.setLimits({ maxPayloadLength: this.#options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE, highWaterMark: HIGH_WATER_MARK });
    const h = this.#options.handler;
    this.#handler = typeof h === 'function' ? h(this) : h;
    this.#user = response.user;
    this.#authPlugin = outcome.plugin;
    this.#state = 'command';
    this.sendOk();
    this.emit('authenticated', response.user);
    return true;
  }

  /** The next command, or null; the idle timer runs only while waiting for it. */
  async #nextCommand(): Promise<FramedPayload | null> {
    this.#idleTimer = setTimeout(() => {
      if (this.#state !== 'command') return;
      this.emit('idleTimeout');
      this.destroy();
    }, timerMs(this.#options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS));
    this.#idleTimer.unref();
    try {
      return await this.#inbox.next();
    } finally {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = null;
    }
  }

  async #dispatch(framed: FramedPayload): Promise<void> {
    const { payload } = framed;
    // Every command starts a new exchange: the reply continues the client's sequence.
    this.#writer.sequenceId = framed.lastSequenceId + 1;
    this.#responded = false;
    const command = payload.length > 0 ? payload[0]! : -1;
    const encoding = encodingForCollation(this.#clientCharset);
    switch (command) {
      case COM_QUIT:
        this.close();
        return;
      case COM_PING:
        this.sendOk();
        return;
      case COM_INIT_DB:
        this.#database = payload.toString(encoding, 1);
        this.sendOk();
        return;
    }
    const handler = this.#handler!;
    try {
      if (command === COM_QUERY) {
        await handler.onQuery(payload.toString(encoding, 1), this);
        if (!this.#responded && !this.closed) {
          this.sendError(ER_UNKNOWN_ERROR, 'binrelay: the query handler sent no reply');
        }
        return;
      }
      const handled = handler.onCommand ? await handler.onCommand(command, payload, this) : false;
      if (!handled && !this.#responded) this.#decline(command, payload);
    } catch (err) {
      this.emit('handlerError', err);
      // Half a reply cannot be finished safely: drop the connection instead.
      if (this.#responded) this.destroy();
      // The detail (a stack overflow, a file path) is for the server's log, not for the client.
      else this.sendError(ER_UNKNOWN_ERROR);
    }
  }

  /** The answer to a command no handler took: a server without prepared statements for the
   *  statement commands, else ER_UNKNOWN_COM_ERROR. */
  #decline(command: number, payload: Buffer): void {
    const reply = statementCommandReply(command, payload);
    if (reply === null) this.sendError(ER_UNKNOWN_COM_ERROR);
    else if (reply.kind === 'error') this.sendError(reply.code, reply.message);
  }

  #writeRaw(frames: Buffer): boolean {
    if (!this.writable) return false;
    return this.socket.write(frames);
  }

  #fail(err: unknown): void {
    if (err instanceof MysqlProtocolError) {
      this.emit('protocolError', err);
      if (err.errno !== undefined) this.sendError(err.errno);
      this.close();
      return;
    }
    this.emit('handlerError', err);
    this.destroy();
  }

  #onClosed(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    if (!this.#socket.destroyed) this.#socket.destroy();
    if (!this.#tcpSocket.destroyed) this.#tcpSocket.destroy();
    this.#inbox.stop();
    this.emit('close');
  }
}
