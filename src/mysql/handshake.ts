// Connection phase packets: the server's HandshakeV10 greeting, the client's HandshakeResponse41,
// and AuthSwitchRequest. Layouts follow the MySQL source (sql/auth/sql_authentication.cc) and
// what MariaDB 10.11 was seen sending (see the protocol notes, §3.1).

import { randomBytes } from 'node:crypto';
import {
  CLIENT_CONNECT_ATTRS,
  CLIENT_CONNECT_WITH_DB,
  CLIENT_MYSQL,
  CLIENT_PLUGIN_AUTH,
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
  CLIENT_PROTOCOL_41,
  CLIENT_SECURE_CONNECTION,
  CLIENT_SSL,
  hasCapability,
} from './capability-flags.js';
import { encodingForCollation } from './column-types.js';
import { PayloadReader } from './payload-reader.js';
import { PayloadWriter } from './payload-writer.js';
import { MysqlProtocolError } from './protocol-error.js';
import { ER_HANDSHAKE_ERROR } from './error-codes.js';

export const PROTOCOL_VERSION = 10;
export const SCRAMBLE_LENGTH = 20;
export const AUTH_SWITCH_REQUEST_HEADER = 0xfe;

/**
 * A 20-byte nonce with no NUL bytes (clients read part 2 as a NUL-terminated string) and no '$'
 * (MySQL keeps '$' out because it separates fields of stored sha2 hashes). 7-bit, as mysqld's
 * generate_user_salt() makes it.
 */
export function generateScramble(): Buffer {
  const bytes = randomBytes(SCRAMBLE_LENGTH);
  for (let i = 0; i < bytes.length; i++) {
    let b = bytes[i]! & 0x7f;
    if (b === 0 || b === 0x24) b += 1;
    bytes[i] = b;
  }
  return bytes;
}

export interface HandshakeV10 {
  serverVersion: string;
  connectionId: number;
  /** 20 bytes. */
  scramble: Buffer;
  capabilities: number;
  /** Server default collation id. */
  charset: number;
  statusFlags: number;
  authPluginName: string;
  /** MariaDB extended capabilities; only meaningful when CLIENT_MYSQL is clear. */
  mariadbExtendedCapabilities?: number;
}

export function encodeHandshakeV10(h: HandshakeV10): Buffer {
  if (h.scramble.length !== SCRAMBLE_LENGTH || h.scramble.includes(0)) {
    throw new MysqlProtocolError('ERR_MYSQL_INVALID_ARGUMENT', 'the scramble must be 20 bytes without NUL');
  }
  if (!/^\d/.test(h.serverVersion)) {
    // Replicas refuse a master whose version does not start with a digit.
    throw new MysqlProtocolError('ERR_MYSQL_INVALID_ARGUMENT', `server version must start with a digit: '${h.serverVersion}'`);
  }
  const caps = h.capabilities >>> 0;
  const w = new PayloadWriter(128)
    .uint8(PROTOCOL_VERSION)
    .nulString(h.serverVersion)
    .uint32(h.connectionId >>> 0)
    .bytes(h.scramble.subarray(0, 8))
    .uint8(0) // filler
    .uint16(caps & 0xffff)
    .uint8(h.charset)
    .uint16(h.statusFlags)
    .uint16(caps >>> 16)
    .uint8(hasCapability(caps, CLIENT_PLUGIN_AUTH) ? SCRAMBLE_LENGTH + 1 : 0)
    .zeros(6);
  // The last 4 reserved bytes carry MariaDB's extended capabilities when CLIENT_MYSQL is clear.
  w.uint32(hasCapability(caps, CLIENT_MYSQL) ? 0 : (h.mariadbExtendedCapabilities ?? 0) >>> 0);
  if (hasCapability(caps, CLIENT_SECURE_CONNECTION)) w.bytes(h.scramble.subarray(8)).uint8(0);
  if (hasCapability(caps, CLIENT_PLUGIN_AUTH)) w.nulString(h.authPluginName);
  return w.finish();
}

/** Parses a greeting (used by tests and by client-side code). */
export function decodeHandshakeV10(payload: Buffer): HandshakeV10 {
  const r = new PayloadReader(payload);
  const version = r.uint8();
  if (version !== PROTOCOL_VERSION) {
    throw new MysqlProtocolError('ERR_MYSQL_MALFORMED_PACKET', `unsupported protocol version ${version}`);
  }
  const serverVersion = r.nulString('latin1');
  const connectionId = r.uint32();
  const part1 = r.bytes(8);
  r.skip(1);
  let capabilities = r.uint16();
  const charset = r.uint8();
  const statusFlags = r.uint16();
  capabilities = (capabilities | (r.uint16() << 16)) >>> 0;
  const authDataLength = r.uint8();
  r.skip(6);
  const ext = r.uint32();
  let part2: Buffer = Buffer.alloc(0);
  if (hasCapability(capabilities, CLIENT_SECURE_CONNECTION)) {
    part2 = r.bytes(Math.max(13, authDataLength - 8)).subarray(0, 12);
  }
  const authPluginName = hasCapability(capabilities, CLIENT_PLUGIN_AUTH) ? r.nulStringOrRest('latin1') : '';
  return {
    serverVersion,
    connectionId,
    scramble: Buffer.concat([part1, part2]),
    capabilities,
    charset,
    statusFlags,
    authPluginName,
    mariadbExtendedCapabilities: hasCapability(capabilities, CLIENT_MYSQL) ? 0 : ext,
  };
}

export interface HandshakeResponse41 {
  /** Flags as the client sent them (mysql2 sends some the server never offered). */
  capabilities: number;
  maxPacketSize: number;
  /** Client collation id. */
  charset: number;
  /** MariaDB extended client capabilities (0 unless CLIENT_MYSQL is clear). */
  mariadbExtendedCapabilities: number;
  user: string;
  authResponse: Buffer;
  database: string | null;
  /** Null when the client did not set CLIENT_PLUGIN_AUTH (then it is mysql_native_password). */
  authPluginName: string | null;
  connectAttributes: Record<string, string>;
}

/** Parses HandshakeResponse41. An SSLRequest or a pre-4.1 response is refused with a typed error. */
export function decodeHandshakeResponse41(payload: Buffer): HandshakeResponse41 {
  const r = new PayloadReader(payload);
  const capabilities = r.uint32() >>> 0;
  if (!hasCapability(capabilities, CLIENT_PROTOCOL_41)) {
    throw new MysqlProtocolError('ERR_MYSQL_UNSUPPORTED_CLIENT', 'client does not speak protocol 4.1', {
      errno: ER_HANDSHAKE_ERROR,
    });
  }
  const maxPacketSize = r.uint32();
  const charset = r.uint8();
  const filler = r.bytes(23);
  if (r.atEnd() && hasCapability(capabilities, CLIENT_SSL)) {
    throw new MysqlProtocolError('ERR_MYSQL_UNSUPPORTED_CLIENT', 'client asked for SSL, which this server does not offer', {
      errno: ER_HANDSHAKE_ERROR,
    });
  }
  const mariadbExtendedCapabilities = hasCapability(capabilities, CLIENT_MYSQL) ? 0 : filler.readUInt32LE(19);
  const encoding = encodingForCollation(charset);
  const user = r.nulString(encoding);
  let authResponse: Buffer;
  if (hasCapability(capabilities, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)) authResponse = r.lenencBytes() ?? Buffer.alloc(0);
  else if (hasCapability(capabilities, CLIENT_SECURE_CONNECTION)) authResponse = r.bytes(r.uint8());
  else authResponse = r.nulBytes();
  let database: string | null = null;
  if (hasCapability(capabilities, CLIENT_CONNECT_WITH_DB) && !r.atEnd()) {
    database = r.nulStringOrRest(encoding);
    if (database === '') database = null;
  }
  let authPluginName: string | null = null;
  if (hasCapability(capabilities, CLIENT_PLUGIN_AUTH) && !r.atEnd()) authPluginName = r.nulStringOrRest('latin1');
  const connectAttributes: Record<string, string> = Object.create(null) as Record<string, string>;
  if (hasCapability(capabilities, CLIENT_CONNECT_ATTRS) && !r.atEnd()) {
    const length = r.lenencInt() ?? 0;
    const attrs = new PayloadReader(r.bytes(length));
    while (!attrs.atEnd()) {
      const key = attrs.lenencString() ?? '';
      connectAttributes[key] = attrs.lenencString() ?? '';
    }
  }
  return {
    capabilities,
    maxPacketSize,
    charset,
    mariadbExtendedCapabilities,
    user,
    authResponse: Buffer.from(authResponse), // own copy: the payload may be a view of a socket chunk
    database,
    authPluginName,
    connectAttributes,
  };
}

/** AuthSwitchRequest: 0xfe, plugin name, plugin data. For the scramble-based plugins the data is
 *  the 20-byte nonce plus a NUL, as mysqld sends it. */
export function encodeAuthSwitchRequest(pluginName: string, pluginData: Buffer): Buffer {
  return new PayloadWriter(32 + pluginName.length + pluginData.length)
    .uint8(AUTH_SWITCH_REQUEST_HEADER)
    .nulString(pluginName, 'latin1')
    .bytes(pluginData)
    .uint8(0)
    .finish();
}
