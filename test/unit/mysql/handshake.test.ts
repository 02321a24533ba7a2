import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  decodeHandshakeResponse41,
  decodeHandshakeV10,
  encodeAuthSwitchRequest,
  encodeHandshakeV10,
  generateScramble,
} from '../../../src/mysql/handshake.js';
import {
  CLIENT_CONNECT_ATTRS,
  CLIENT_DEPRECATE_EOF,
  CLIENT_MYSQL,
  CLIENT_PLUGIN_AUTH,
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
  CLIENT_PROTOCOL_41,
  CLIENT_SECURE_CONNECTION,
  CLIENT_SSL,
  hasCapability,
} from '../../../src/mysql/capability-flags.js';
import { flavorDefaults } from '../../../src/mysql/flavor.js';
import { MysqlProtocolError } from '../../../src/mysql/protocol-error.js';

// Captured on this machine: mariadbd 10.11.19's greeting, and the `mariadb` CLI (libmariadb
// 3.3.20) answering it as repl/replpw with -Dmydb.
const REAL_GREETING = Buffer.from(
  '0a352e352e352d31302e31312e31392d4d6172696144422d302b646562313275310007000000766a304c7071642400fef7080200ff81150000000000001d000000242631627c697b4c4a6d673f006d7973716c5f6e61746976655f70617373776f726400',
  'hex',
);
const REAL_RESPONSE = Buffer.from(
  '8ca2bf000000100021000000000000000000000000000000000000001d0000007265706c0014d24d215bf1c10cb96456d5a11355eb761b2490d96d796462006d7973716c5f6e61746976655f70617373776f7264007f035f6f73054c696e75780c5f636c69656e745f6e616d650a6c69626d617269616462045f7069640531313934320f5f636c69656e745f76657273696f6e06332e332e3230095f706c6174666f726d067838365f36340c70726f6772616d5f6e616d65056d7973716c0c5f7365727665725f686f7374093132372e302e302e31',
  'hex',
);

describe('HandshakeV10', () => {
  it('decodes a real MariaDB 10.11 greeting', () => {
    const g = decodeHandshakeV10(REAL_GREETING);
    assert.equal(g.serverVersion, '5.5.5-10.11.19-MariaDB-0+deb12u1');
    assert.equal(g.connectionId, 7);
    assert.equal(g.capabilities, 0x81fff7fe);
    assert.equal(g.charset, 8);
    assert.equal(g.statusFlags, 2);
    assert.equal(g.mariadbExtendedCapabilities, 0x1d);
    assert.equal(g.authPluginName, 'mysql_native_password');
    assert.equal(g.scramble.toString('latin1'), 'vj0Lpqd$$&1b|i{LJmg?');
  });

  it('encodes the same bytes a real server sends for the same fields', () => {
    const g = decodeHandshakeV10(REAL_GREETING);
    assert.deepEqual(encodeHandshakeV10(g), REAL_GREETING);
  });

  it('advertises the MariaDB defaults: CLIENT_MYSQL clear, no DEPRECATE_EOF or SSL, extended caps 0', () => {
    const d = flavorDefaults('mariadb');
    const payload = encodeHandshakeV10({
      serverVersion: d.serverVersion,
      connectionId: 42,
      scramble: generateScramble(),
      capabilities: d.capabilities,
      charset: d.charset,
      statusFlags: 2,
      authPluginName: d.authPlugin,
    });
    const g = decodeHandshakeV10(payload);
    assert.match(g.serverVersion, /^5\.5\.5-10\.11\.\d+-MariaDB/);
    assert.equal(hasCapability(g.capabilities, CLIENT_MYSQL), false);
    for (const flag of [CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION, CLIENT_PLUGIN_AUTH, CLIENT_CONNECT_ATTRS, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA]) {
      assert.equal(hasCapability(g.capabilities, flag), true, `flag 0x${flag.toString(16)}`);
    }
    assert.equal(hasCapability(g.capabilities, CLIENT_DEPRECATE_EOF), false);
    assert.equal(hasCapability(g.capabilities, CLIENT_SSL), false);
    assert.equal(g.mariadbExtendedCapabilities, 0);
    assert.equal(g.authPluginName, 'mysql_native_password');
    assert.equal(g.connectionId, 42);
  });

  it('sets CLIENT_MYSQL and caching_sha2_password for the MySQL flavor', () => {
    const d = flavorDefaults('mysql');
    assert.equal(hasCapability(d.capabilities, CLIENT_MYSQL), true);
    assert.equal(d.authPlugin, 'caching_sha2_password');
    assert.match(d.serverVersion, /^8\./);
  });

  it('refuses a version string that does not start with a digit (replicas reject it)', () => {
    assert.throws(
      () => encodeHandshakeV10({ ...decodeHandshakeV10(REAL_GREETING), serverVersion: 'binrelay' }),
      (e: unknown) => e instanceof MysqlProtocolError && e.code === 'ERR_MYSQL_INVALID_ARGUMENT',
    );
  });

  it('generates 20-byte scrambles with no NUL and no $', () => {
    for (let i = 0; i < 500; i++) {
      const s = generateScramble();
      assert.equal(s.length, 20);
      assert.equal(s.includes(0), false);
      assert.equal(s.includes(0x24), false);
      assert.ok(s.every((b) => b < 0x80));
    }
  });
});

describe('HandshakeResponse41', () => {
  it('decodes the real mariadb CLI response: caps, charset, user, token, db, plugin, attrs', () => {
    const r = decodeHandshakeResponse41(REAL_RESPONSE);
    assert.equal(r.capabilities, 0x00bfa28c);
    assert.equal(r.maxPacketSize, 1024 * 1024);
    assert.equal(r.charset, 33);
    assert.equal(r.mariadbExtendedCapabilities, 0x1d);
    assert.equal(r.user, 'repl');
    assert.equal(r.database, 'mydb');
    assert.equal(r.authPluginName, 'mysql_native_password');
    assert.equal(r.connectAttributes._client_name, 'libmariadb');
    assert.equal(r.connectAttributes._client_version, '3.3.20');
    assert.equal(r.connectAttributes.program_name, 'mysql');
    // The token proves 'replpw' for the captured greeting's scramble (checked with node:crypto).
    const sha1 = (...p: Buffer[]): Buffer => p.reduce((h, b) => h.update(b), createHash('sha1')).digest();
    const scramble = decodeHandshakeV10(REAL_GREETING).scramble;
    const stage1 = sha1(Buffer.from('replpw'));
    const mask = sha1(scramble, sha1(stage1));
    assert.deepEqual(r.authResponse, Buffer.from(stage1.map((b, i) => b ^ mask[i]!)));
  });

  it('refuses an SSLRequest with a typed error carrying ER_HANDSHAKE_ERROR', () => {
    const ssl = Buffer.alloc(32);
    ssl.writeUInt32LE((CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION) >>> 0, 0);
    assert.throws(
      () => decodeHandshakeResponse41(ssl),
      (e: unknown) => e instanceof MysqlProtocolError && e.code === 'ERR_MYSQL_UNSUPPORTED_CLIENT' && e.errno === 1043,
    );
  });

  it('refuses a pre-4.1 client', () => {
    assert.throws(
      () => decodeHandshakeResponse41(Buffer.from('0000000000000000000000', 'hex')),
      (e: unknown) => e instanceof MysqlProtocolError && e.code === 'ERR_MYSQL_UNSUPPORTED_CLIENT',
    );
  });

  it('reports a truncated response as malformed', () => {
    assert.throws(
      () => decodeHandshakeResponse41(REAL_RESPONSE.subarray(0, 40)),
      (e: unknown) => e instanceof MysqlProtocolError && e.code === 'ERR_MYSQL_MALFORMED_PACKET',
    );
  });
});

describe('AuthSwitchRequest', () => {
  it('is fe, plugin name NUL, scramble, NUL', () => {
    const scramble = Buffer.alloc(20, 0x41);
    const p = encodeAuthSwitchRequest('caching_sha2_password', scramble);
    assert.deepEqual(p, Buffer.concat([Buffer.from([0xfe]), Buffer.from('caching_sha2_password\0'), scramble, Buffer.from([0])]));
  });
});
