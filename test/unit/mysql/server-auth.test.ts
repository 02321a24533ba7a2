import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { authenticateClient, type AuthChannel, type UserCredentials } from '../../../src/mysql/server-auth.js';
import type { HandshakeResponse41 } from '../../../src/mysql/handshake.js';
import { CLIENT_PLUGIN_AUTH, CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION } from '../../../src/mysql/capability-flags.js';
import type { AuthPluginName } from '../../../src/mysql/flavor.js';

const scramble = Buffer.from('6162636465666768696a6b6c6d6e6f7071727374', 'hex');
const hash = (alg: string, ...p: Buffer[]): Buffer => p.reduce((h, b) => h.update(b), createHash(alg)).digest();
const xor = (a: Buffer, b: Buffer): Buffer => Buffer.from(a.map((x, i) => x ^ b[i]!));
const native = (pw: string): Buffer => {
  const s1 = hash('sha1', Buffer.from(pw));
  return xor(s1, hash('sha1', scramble, hash('sha1', s1)));
};
const sha2 = (pw: string): Buffer => {
  const s1 = hash('sha256', Buffer.from(pw));
  return xor(s1, hash('sha256', hash('sha256', s1), scramble));
};

/** A channel that records what the server wrote and replays scripted client payloads. */
function scripted(replies: (Buffer | null)[]): AuthChannel & { written: Buffer[] } {
  const written: Buffer[] = [];
  return {
    written,
    write: (p) => void written.push(p),
    read: () => Promise.resolve(replies.shift() ?? null),
  };
}

function response(token: Buffer, plugin: string | null, caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH): HandshakeResponse41 {
  return {
    capabilities: caps,
    maxPacketSize: 1 << 24,
    charset: 45,
    mariadbExtendedCapabilities: 0,
    user: 'repl',
    authResponse: token,
    database: null,
    authPluginName: plugin,
    connectAttributes: {},
  };
}

function run(
  resp: HandshakeResponse41,
  credentials: UserCredentials | null,
  channel: AuthChannel,
  serverPlugin: AuthPluginName = 'mysql_native_password',
) {
  return authenticateClient({ channel, response: resp, scramble, serverPlugin, credentials, host: '10.0.0.9' });
}

describe('authenticateClient', () => {
  it('accepts a correct native-password token without further packets', async () => {
    const ch = scripted([]);
    assert.deepEqual(await run(response(native('pw'), 'mysql_native_password'), { password: 'pw' }, ch), {
      status: 'ok',
      plugin: 'mysql_native_password',
    });
    assert.equal(ch.written.length, 0);
  });

  it('denies a wrong password with 1045 naming user, host and "using password: YES"', async () => {
    const out = await run(response(native('nope'), 'mysql_native_password'), { password: 'pw' }, scripted([]));
    assert.deepEqual(out, {
      status: 'denied',
      errno: 1045,
      message: "Access denied for user 'repl'@'10.0.0.9' (using password: YES)",
    });
  });

  it('says "using password: NO" when the client sent no password', async () => {
    const out = await run(response(Buffer.alloc(0), 'mysql_native_password'), { password: 'pw' }, scripted([]));
    assert.equal(out.status === 'denied' && out.message.endsWith('(using password: NO)'), true);
  });

  it('denies an unknown user like a wrong password', async () => {
    const out = await run(response(native('pw'), 'mysql_native_password'), null, scripted([]));
    assert.equal(out.status === 'denied' && out.errno === 1045, true);
  });

  it('switches a native-password client to caching_sha2_password and verifies the fast path', async () => {
    const ch = scripted([sha2('pw')]);
    const out = await run(response(native('pw'), 'mysql_native_password'), { password: 'pw', plugin: 'caching_sha2_password' }, ch);
    assert.deepEqual(out, { status: 'ok', plugin: 'caching_sha2_password' });
    assert.deepEqual(ch.written[0], Buffer.concat([Buffer.from([0xfe]), Buffer.from('caching_sha2_password\0'), scramble, Buffer.from([0])]));
    assert.deepEqual(ch.written[1], Buffer.from([0x01, 0x03]));
  });

  it('switches a client that answered for an unknown plugin to the server plugin', async () => {
    const ch = scripted([native('pw')]);
    const out = await run(response(Buffer.from('x'), 'client_ed25519'), { password: 'pw' }, ch);
    assert.deepEqual(out, { status: 'ok', plugin: 'mysql_native_password' });
    assert.equal(ch.written[0]![0], 0xfe);
  });

  it('answers caching_sha2 fast auth with 01 03 and skips it for the empty password', async () => {
    const ch = scripted([]);
    await run(response(sha2('pw'), 'caching_sha2_password'), { password: 'pw' }, ch, 'caching_sha2_password');
    assert.deepEqual(ch.written, [Buffer.from([0x01, 0x03])]);
    const empty = scripted([]);
    const out = await run(response(Buffer.alloc(0), 'caching_sha2_password'), { password: '' }, empty, 'caching_sha2_password');
    assert.equal(out.status, 'ok');
    assert.deepEqual(empty.written, []);
  });

  it('denies a wrong caching_sha2 token outright instead of asking for full authentication', async () => {
    const ch = scripted([]);
    const out = await run(response(sha2('bad'), 'caching_sha2_password'), { password: 'pw' }, ch, 'caching_sha2_password');
    assert.equal(out.status === 'denied' && out.errno === 1045, true);
    assert.deepEqual(ch.written, []);
  });

  it('refuses a client without CLIENT_PLUGIN_AUTH when the account needs caching_sha2 (1251)', async () => {
    const resp = response(native('pw'), null, CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION);
    const out = await run(resp, { password: 'pw', plugin: 'caching_sha2_password' }, scripted([]));
    assert.equal(out.status === 'denied' && out.errno === 1251, true);
  });

  it('reports a client that hangs up during the switch as closed', async () => {
    const out = await run(response(native('pw'), 'mysql_native_password'), { password: 'pw', plugin: 'caching_sha2_password' }, scripted([null]));
    assert.deepEqual(out, { status: 'closed' });
  });
});
