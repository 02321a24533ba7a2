// The authentication exchange after the client's HandshakeResponse41, as a small async state
// machine over a two-method channel so it can be tested without sockets. It decides the plugin
// (the account's, else the one the greeting advertised), switches the client to it with an
// AuthSwitchRequest when the client answered for another one, and verifies the token.

import { CLIENT_PLUGIN_AUTH, hasCapability } from './capability-flags.js';
import { MYSQL_NATIVE_PASSWORD, verifyNativePassword } from './auth-native-password.js';
import { CACHING_SHA2_PASSWORD, FAST_AUTH_SUCCESS, verifyCachingSha2 } from './auth-caching-sha2.js';
import { ER_ACCESS_DENIED_ERROR, ER_NOT_SUPPORTED_AUTH_MODE, accessDeniedMessage, errorMessage } from './error-codes.js';
import { encodeAuthSwitchRequest, type HandshakeResponse41 } from './handshake.js';
import { encodeAuthMoreData } from './response-packets.js';
import type { AuthPluginName } from './flavor.js';
import { passwordHashes, type PasswordHashes } from './password-hashes.js';

/** An account: its password, or only the hashes the plugins verify against (password-hashes.ts). */
export type UserCredentials = ({ password: string } | { hashes: PasswordHashes }) & {
  /** The account's plugin; defaults to the server's (the one advertised in the greeting). */
  plugin?: AuthPluginName;
};

export interface AuthRequestInfo {
  connectionId: number;
  remoteAddress: string;
  database: string | null;
  connectAttributes: Readonly<Record<string, string>>;
}

/** Looks a user up: its credentials, or null when there is no such user. */
export type Authenticate = (
  user: string,
  info: AuthRequestInfo,
) => UserCredentials | null | Promise<UserCredentials | null>;

export interface AuthChannel {
  /** Sends one payload with the next sequence id. */
  write(payload: Buffer): void;
  /** The client's next payload, or null once the connection is gone. */
  read(): Promise<Buffer | null>;
}

export type AuthOutcome =
  | { status: 'ok'; plugin: AuthPluginName }
  | { status: 'denied'; errno: number; message: string }
  | { status: 'closed' };

export interface AuthExchange {
  channel: AuthChannel;
  response: HandshakeResponse41;
  scramble: Buffer;
  /** The plugin named in our greeting. */
  serverPlugin: AuthPluginName;
  credentials: UserCredentials | null;
  /** Client host for the 1045 message (the address, as servers started with skip-name-resolve). */
  host: string;
}

function usedPassword(token: Buffer): boolean {
  return token.length > 0 && !(token.length === 1 && token[0] === 0);
}

function verify(plugin: AuthPluginName, token: Buffer, scramble: Buffer, credentials: UserCredentials): boolean {
  const hashes = 'hashes' in credentials ? credentials.hashes : passwordHashes(credentials.password);
  return plugin === CACHING_SHA2_PASSWORD
    ? verifyCachingSha2(token, scramble, hashes.cachingSha2Password)
    : verifyNativePassword(token, scramble, hashes.mysqlNativePassword);
}

export async function authenticateClient(x: AuthExchange): Promise<AuthOutcome> {
  const { channel, response, scramble, credentials } = x;
  const denied = (token: Buffer): AuthOutcome => ({
    status: 'denied',
    errno: ER_ACCESS_DENIED_ERROR,
    message: accessDeniedMessage(response.user, x.host, usedPassword(token)),
  });
  let token = response.authResponse;
  if (credentials === null) return denied(token);

  const wanted = credentials.plugin ?? x.serverPlugin;
  const pluginAuth = hasCapability(response.capabilities, CLIENT_PLUGIN_AUTH);
  // Without CLIENT_PLUGIN_AUTH the token is always a native-password one.
  const answered = pluginAuth ? (response.authPluginName || x.serverPlugin) : MYSQL_NATIVE_PASSWORD;
  if (answered !== wanted) {
    if (!pluginAuth) {
      return { status: 'denied', errno: ER_NOT_SUPPORTED_AUTH_MODE, message: errorMessage(ER_NOT_SUPPORTED_AUTH_MODE) };
    }
    channel.write(encodeAuthSwitchRequest(wanted, scramble));
    const next = await channel.read();
    if (next === null) return { status: 'closed' };
    token = next;
  }
  if (!verify(wanted, token, scramble, credentials)) return denied(token);
  // caching_sha2 announces the fast-path success before the OK; an empty password skips it.
  if (wanted === CACHING_SHA2_PASSWORD && usedPassword(token)) channel.write(encodeAuthMoreData(Buffer.from([FAST_AUTH_SUCCESS])));
  return { status: 'ok', plugin: wanted };
}
