// A hand-written MySQL client for tests: raw packets over node:net, the handshake parsed and the
// auth tokens computed here with node:crypto, independently of src/mysql, so the server is
// checked against the protocol rather than against itself.

import { createHash } from 'node:crypto';
import { type Socket, connect } from 'node:net';

export interface RawPacket {
  seq: number;
  payload: Buffer;
}

export interface Greeting {
  protocolVersion: number;
  serverVersion: string;
  connectionId: number;
  scramble: Buffer;
  capabilities: number;
  charset: number;
  statusFlags: number;
  /** The 4 MariaDB extended-capability bytes at the end of the reserved filler. */
  mariadbExtendedCapabilities: number;
  authPluginName: string;
}

const CLIENT_LONG_FLAG = 1 << 2;
const CLIENT_PROTOCOL_41 = 1 << 9;
const CLIENT_TRANSACTIONS = 1 << 13;
const CLIENT_SECURE_CONNECTION = 1 << 15;
const CLIENT_PLUGIN_AUTH = 1 << 19;
const CLIENT_CONNECT_ATTRS = 1 << 20;
const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21;
export const CLIENT_DEPRECATE_EOF = 1 << 24;
export const RAW_CLIENT_FLAGS =
  CLIENT_LONG_FLAG |
  CLIENT_PROTOCOL_41 |
  CLIENT_TRANSACTIONS |
  CLIENT_SECURE_CONNECTION |
  CLIENT_PLUGIN_AUTH |
  CLIENT_CONNECT_ATTRS |
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;

function hash(algorithm: 'sha1' | 'sha256', ...parts: Buffer[]): Buffer {
  const h = createHash(algorithm);
  for (const p of parts) h.update(p);
  return h.digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))). */
export function nativeToken(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = hash('sha1', Buffer.from(password));
  return xor(stage1, hash('sha1', scramble, hash('sha1', stage1)));
}

/** SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble). */
export function sha2Token(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = hash('sha256', Buffer.from(password));
  return xor(stage1, hash('sha256', hash('sha256', stage1), scramble));
}

export function frame(seq: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = seq & 0xff;
  return Buffer.concat([header, payload]);
}

export function parseGreeting(p: Buffer): Greeting {
  let o = 0;
  const protocolVersion = p[o++]!;
  const end = p.indexOf(0, o);
  const serverVersion = p.toString('latin1', o, end);
  o = end + 1;
  const connectionId = p.readUInt32LE(o);
  o += 4;
  const part1 = p.subarray(o, o + 8);
  o += 9;
  const capsLow = p.readUInt16LE(o);
  o += 2;
  const charset = p[o++]!;
  const statusFlags = p.readUInt16LE(o);
  o += 2;
  const capabilities = (capsLow | (p.readUInt16LE(o) << 16)) >>> 0;
  o += 2;
  const authLength = p[o++]!;
  const mariadbExtendedCapabilities = p.readUInt32LE(o + 6);
  o += 10;
  const part2Length = Math.max(13, authLength - 8);
  const part2 = p.subarray(o, o + 12);
  o += part2Length;
  const pluginEnd = p.indexOf(0, o);
  const authPluginName = p.toString('latin1', o, pluginEnd < 0 ? p.length : pluginEnd);
  return {
    protocolVersion,
    serverVersion,
    connectionId,
    scramble: Buffer.concat([part1, part2]),
    capabilities,
    charset,
    statusFlags,
    mariadbExtendedCapabilities,
    authPluginName,
  };
}

export interface HandshakeResponseSpec {
  user: string;
  authResponse: Buffer;
  pluginName: string;
  capabilities?: number;
  charset?: number;
  attrs?: Record<string, string>;
}

function lenenc(n: number): Buffer {
  if (n < 251) return Buffer.from([n]);
  const b = Buffer.alloc(3);
  b[0] = 0xfc;
  b.writeUInt16LE(n, 1);
  return b;
}

function lenencStr(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([lenenc(b.length), b]);
}

export function buildHandshakeResponse(spec: HandshakeResponseSpec): Buffer {
  const head = Buffer.alloc(32);
  head.writeUInt32LE((spec.capabilities ?? RAW_CLIENT_FLAGS) >>> 0, 0);
  head.writeUInt32LE(16 * 1024 * 1024, 4);
  head[8] = spec.charset ?? 45;
  const attrs = Object.entries(spec.attrs ?? { _client_name: 'raw-test-client' });
  const attrBytes = Buffer.concat(attrs.flatMap(([k, v]) => [lenencStr(k), lenencStr(v)]));
  return Buffer.concat([
    head,
    Buffer.from(`${spec.user}\0`),
    lenencStr(spec.authResponse),
    Buffer.from(`${spec.pluginName}\0`),
    lenenc(attrBytes.length),
    attrBytes,
  ]);
}

/** A socket with a packet queue: `read()` returns the next raw packet (no reassembly). */
export class RawClient {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  #buf = Buffer.alloc(0);
  #pending: Buffer[] = [];
  #pendingLength = 0;
  #waiters: (() => void)[] = [];
  #ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      // Chunks are merged only once a whole packet is there (no quadratic copying of big ones).
      this.#pending.push(chunk);
      this.#pendingLength += chunk.length;
      this.#notify();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#ended = true;
        this.#notify();
        resolve();
      });
    });
    socket.on('error', () => undefined);
  }

  /** `localAddress` (another loopback address, e.g. 127.0.0.2) makes the server see a second client host. */
  static connect(port: number, localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  #merge(): void {
    this.#buf = Buffer.concat([this.#buf, ...this.#pending]);
    this.#pending = [];
    this.#pendingLength = 0;
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** The next packet; rejects on timeout or when the socket closed first. */
  async read(timeoutMs = 5000): Promise<RawPacket> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const available = this.#buf.length + this.#pendingLength;
      if (this.#buf.length < 4 && available >= 4) this.#merge();
      if (this.#buf.length >= 4) {
        const len = this.#buf.readUIntLE(0, 3);
        if (this.#buf.length < 4 + len && available >= 4 + len) this.#merge();
        if (this.#buf.length >= 4 + len) {
          const packet = { seq: this.#buf[3]!, payload: this.#buf.subarray(4, 4 + len) };
          this.#buf = this.#buf.subarray(4 + len);
          return packet;
        }
      }
      if (this.#ended) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a packet');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  write(seq: number, payload: Buffer): void {
    this.socket.write(frame(seq, payload));
  }

  /** Reads the greeting and answers it with a native-password (or sha2) login. Returns the
   *  greeting and the server's first reply to the response. */
  async login(
    user: string,
    password: string,
    plugin: 'mysql_native_password' | 'caching_sha2_password' = 'mysql_native_password',
    capabilities: number = RAW_CLIENT_FLAGS,
  ): Promise<{ greeting: Greeting; reply: RawPacket }> {
    const hello = await this.read();
    const greeting = parseGreeting(hello.payload);
    const token = plugin === 'caching_sha2_password' ? sha2Token(password, greeting.scramble) : nativeToken(password, greeting.scramble);
    this.write(hello.seq + 1, buildHandshakeResponse({ user, authResponse: token, pluginName: plugin, capabilities }));
    return { greeting, reply: await this.read() };
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
