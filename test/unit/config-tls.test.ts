// TLS keys of the config: binlog-server.tls, require-secure-transport and require-client-cert (applied to every start
// of the binlog server, the admin API's too), admin-tls; unreadable files name their key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { configError } from '../helpers/config-error.js';

let dir: string;
let cert: string;
let key: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'binrelay-config-tls-'));
  cert = join(dir, 'c.pem');
  key = join(dir, 'k.pem');
  writeFileSync(cert, 'cert');
  writeFileSync(key, 'key');
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('binlog-server.tls without addr configures every start without starting one at boot', () => {
  const c = loadConfig([], { BINRELAY_BINLOG_SERVER__TLS__CERT: cert, BINRELAY_BINLOG_SERVER__TLS__KEY: key, BINRELAY_BINLOG_SERVER__REQUIRE_SECURE_TRANSPORT: 'on' });
  assert.equal(c.binlogServer, undefined);
  assert.deepEqual(c.binlogServerDefaults, { tls: { cert, key }, requireSecureTransport: true });
});

test('a boot server carries the TLS settings', () => {
  const c = loadConfig(['--binlog-server.addr', '127.0.0.1:3307', '--binlog-server.user', 'u', '--binlog-server.password', 'p',
    '--binlog-server.tls.cert', cert, '--binlog-server.tls.key', key, '--binlog-server.tls.ca', cert], {});
  assert.deepEqual(c.binlogServer, { addr: '127.0.0.1:3307', user: 'u', password: 'p', tls: { cert, key, ca: cert } });
});

test('require-secure-transport without tls, an unreadable file and half a boot server are refused naming the key', () => {
  assert.equal(configError(() => loadConfig(['--binlog-server.require-secure-transport', 'true'], {})).key, 'binlog-server.require-secure-transport');
  const missing = configError(() => loadConfig(['--binlog-server.tls.cert', join(dir, 'nope.pem'), '--binlog-server.tls.key', key], {}));
  assert.equal(missing.key, 'binlog-server.tls.cert');
  assert.match(missing.message, /cannot read .*nope\.pem: ENOENT/);
  assert.equal(configError(() => loadConfig(['--binlog-server.addr', '127.0.0.1:3307', '--binlog-server.password', 'p'], {})).key, 'binlog-server.user');
});

test('admin-tls gives the files; without it the admin API stays plain http', () => {
  assert.deepEqual(loadConfig(['--admin-tls.cert', cert, '--admin-tls.key', key, '--admin-tls.ca', cert], {}).adminTls, { cert, key, ca: cert });
  assert.equal(loadConfig([], {}).adminTls, undefined);
  assert.equal(configError(() => loadConfig(['--admin-tls.cert', cert], {})).key, 'admin-tls.key');
});

test('require-client-cert needs binlog-server.tls.ca, naming the key; with it every start wants client certificates', () => {
  const noCa = configError(() => loadConfig(['--binlog-server.tls.cert', cert, '--binlog-server.tls.key', key, '--binlog-server.require-client-cert', 'true'], {}));
  assert.equal(noCa.key, 'binlog-server.require-client-cert');
  assert.match(noCa.message, /binlog-server\.tls\.ca/);
  const c = loadConfig(['--binlog-server.tls.cert', cert, '--binlog-server.tls.key', key, '--binlog-server.tls.ca', cert, '--binlog-server.require-client-cert', 'on'], {});
  assert.deepEqual(c.binlogServerDefaults, { tls: { cert, key, ca: cert }, requireClientCert: true });
});
