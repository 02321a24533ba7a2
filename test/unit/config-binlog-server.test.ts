// The binlog-server section of the config: its password and its limits (src/server/server-limits.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';
import { configError } from '../helpers/config-error.js';

const base = ['--binlog-server.addr', '127.0.0.1:3307', '--binlog-server.user', 'repl'];

test('an empty binlog-server password stops start-up with a message saying what to set', () => {
  const err = configError(() => loadConfig([...base, '--binlog-server.password', ''], {}));
  assert.equal(err.key, 'binlog-server.password');
  assert.match(err.message, /^config: binlog-server\.password: must not be empty/);
  assert.equal(configError(() => loadConfig(base, {})).key, 'binlog-server.password', 'a missing one too');
});

test('limits come from dotted flags and the environment; absent ones are left to the server defaults', () => {
  const c = loadConfig([...base, '--binlog-server.password', 'pw', '--binlog-server.max-connections', '500', '--binlog-server.wait-timeout', '1h',
    '--binlog-server.max-packet-size', '4MiB'], { BINRELAY_BINLOG_SERVER__HANDSHAKE_TIMEOUT: '2s', BINRELAY_BINLOG_SERVER__MAX_HANDSHAKES_PER_IP: '4' });
  assert.deepEqual(c.binlogServer, {
    addr: '127.0.0.1:3307', user: 'repl', password: 'pw',
    limits: { maxConnections: 500, maxHandshakesPerIp: 4, maxPacketSize: 4 * 2 ** 20, handshakeTimeoutMs: 2000, waitTimeoutMs: 3_600_000 },
  });
  assert.deepEqual(loadConfig([...base, '--binlog-server.password', 'pw'], {}).binlogServer, { addr: '127.0.0.1:3307', user: 'repl', password: 'pw' });
});

test('bad limits name their key', () => {
  const withPw = [...base, '--binlog-server.password', 'pw'];
  assert.equal(configError(() => loadConfig([...withPw, '--binlog-server.max-connections', '0'], {})).key, 'binlog-server.max-connections');
  assert.equal(configError(() => loadConfig([...withPw, '--binlog-server.max-packet-size', '1KiB'], {})).key, 'binlog-server.max-packet-size');
  assert.equal(configError(() => loadConfig([...withPw, '--binlog-server.wait-timeout', 'soon'], {})).key, 'binlog-server.wait-timeout');
  const err = configError(() => loadConfig([...withPw, '--binlog-server.max-connections', '50'], {}));
  assert.equal(err.key, 'binlog-server.max-handshakes');
  assert.match(err.message, /must stay below max-connections \(50\)/);
});
