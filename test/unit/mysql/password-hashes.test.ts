// An account kept as hashes only: the hashes are the ones MariaDB/MySQL verify against, survive
// the JSON round trip of the meta store, and authenticate clients exactly as the password does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isEmptyPassword, loadPasswordHashes, passwordHashes, storePasswordHashes } from '../../../src/mysql/password-hashes.js';
import { authenticateClient, type AuthChannel, type UserCredentials } from '../../../src/mysql/server-auth.js';
import { scrambleNativePassword } from '../../../src/mysql/auth-native-password.js';
import { scrambleCachingSha2 } from '../../../src/mysql/auth-caching-sha2.js';
import type { HandshakeResponse41 } from '../../../src/mysql/handshake.js';
import { CLIENT_PLUGIN_AUTH, CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION } from '../../../src/mysql/capability-flags.js';

const scramble = Buffer.from('0102030405060708090a0b0c0d0e0f1011121314', 'hex');
const silentChannel: AuthChannel = { write: () => undefined, read: () => Promise.resolve(null) };

function response(token: Buffer, plugin: string): HandshakeResponse41 {
  return {
    capabilities: CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH, maxPacketSize: 1 << 24, charset: 33,
    mariadbExtendedCapabilities: 0, user: 'relay', authResponse: token, database: null, authPluginName: plugin, connectAttributes: {},
  };
}

function login(credentials: UserCredentials, token: Buffer, plugin: string): Promise<string> {
  return authenticateClient({
    channel: silentChannel, response: response(token, plugin), scramble, serverPlugin: 'mysql_native_password', credentials, host: '127.0.0.1',
  }).then((o) => o.status);
}

describe('password hashes', () => {
  it("keeps mysql_native_password's SHA1(SHA1(pw)), what MariaDB's PASSWORD() shows", () => {
    // SELECT PASSWORD('password') on MariaDB 10.11.
    assert.equal(passwordHashes('password').mysqlNativePassword.toString('hex').toUpperCase(), '2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
  });

  it('round-trips through the stored JSON form and rejects malformed records', () => {
    const hashes = passwordHashes('relay-pw');
    assert.deepEqual(loadPasswordHashes(JSON.parse(JSON.stringify(storePasswordHashes(hashes)))), hashes);
    assert.equal(loadPasswordHashes({ mysql_native_password: 'zz', caching_sha2_password: '' }), null);
    assert.equal(loadPasswordHashes('relay-pw'), null);
    assert.equal(isEmptyPassword(passwordHashes('')), true);
    assert.equal(isEmptyPassword(hashes), false);
  });

  it('authenticates both plugins from the hashes alone, as from the password', async () => {
    const stored = { hashes: passwordHashes('relay-pw') };
    assert.equal(await login(stored, scrambleNativePassword('relay-pw', scramble), 'mysql_native_password'), 'ok');
    assert.equal(await login(stored, scrambleNativePassword('wrong', scramble), 'mysql_native_password'), 'denied');
    const sha2 = { ...stored, plugin: 'caching_sha2_password' as const };
    assert.equal(await login(sha2, scrambleCachingSha2('relay-pw', scramble), 'caching_sha2_password'), 'ok');
    assert.equal(await login(sha2, scrambleCachingSha2('wrong', scramble), 'caching_sha2_password'), 'denied');
  });
});
