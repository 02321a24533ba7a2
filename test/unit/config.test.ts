import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, redactConfig } from '../../src/config.js';

function yamlFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'binrelay-config-')), 'binrelay.yaml');
  writeFileSync(path, text);
  return path;
}

function configErrorKey(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.ok(err.message.includes(err.key), 'the message names the key');
    return err.key;
  }
  assert.fail('expected a ConfigError');
}

test('defaults describe a single local node', () => {
  const c = loadConfig([], {});
  assert.equal(c.name, 'node1');
  assert.equal(c.dataDir, './data/node1');
  assert.equal(c.adminAddr, '127.0.0.1:9595');
  assert.equal(c.peerAddr, '127.0.0.1:9696');
  assert.deepEqual([...c.initialCluster], [['node1', '127.0.0.1:9696']]);
  assert.equal(c.heartbeatIntervalMs, 100);
  assert.equal(c.electionTimeoutMs, 1000);
  assert.equal(c.binlogServer, undefined);
});

test('flags win over environment, environment over the YAML file', () => {
  const file = yamlFile('name: n2\nadmin-addr: 127.0.0.1:1000\npeer-addr: 127.0.0.1:2000\nlog-level: warn\n' +
    'initial-cluster: n1=127.0.0.1:3001,n2=127.0.0.1:2000\n');
  const c = loadConfig(['--config', file, '--admin-addr=127.0.0.1:1002'], {
    BINRELAY_ADMIN_ADDR: '127.0.0.1:1001',
    BINRELAY_LOG_LEVEL: 'debug',
  });
  assert.equal(c.name, 'n2');
  assert.equal(c.adminAddr, '127.0.0.1:1002');
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.peerAddr, '127.0.0.1:2000');
  assert.deepEqual([...c.initialCluster.keys()], ['n1', 'n2']);
});

test('durations accept ms, s and plain milliseconds', () => {
  const c = loadConfig(['--heartbeat-interval', '50ms', '--election-timeout', '2s'], {});
  assert.equal(c.heartbeatIntervalMs, 50);
  assert.equal(c.electionTimeoutMs, 2000);
});

test('nested binlog-server settings come from dotted flags and double-underscore env', () => {
  const c = loadConfig(['--binlog-server.addr', '127.0.0.1:3307', '--binlog-server.user', 'repl'], {
    BINRELAY_BINLOG_SERVER__PASSWORD: 'pw',
  });
  assert.deepEqual(c.binlogServer, { addr: '127.0.0.1:3307', user: 'repl', password: 'pw' });
});

test('an unknown key stops start-up naming the key', () => {
  assert.equal(configErrorKey(() => loadConfig(['--bogus-key', '1'], {})), 'bogus-key');
  assert.equal(configErrorKey(() => loadConfig([], { BINRELAY_DATADIR: 'x' })), 'datadir');
  const file = yamlFile('binlog-server:\n  addr: 127.0.0.1:3307\n  user: u\n  password: p\n  colour: red\n');
  assert.equal(configErrorKey(() => loadConfig(['--config', file], {})), 'binlog-server.colour');
});

test('a bad value names its key', () => {
  assert.equal(configErrorKey(() => loadConfig(['--admin-addr', 'nowhere'], {})), 'admin-addr');
  assert.equal(configErrorKey(() => loadConfig(['--election-timeout', 'soon'], {})), 'election-timeout');
  assert.equal(configErrorKey(() => loadConfig(['--initial-cluster-state', 'old'], {})), 'initial-cluster-state');
  assert.equal(configErrorKey(() => loadConfig(['--initial-cluster', 'a=1.2.3.4'], {})), 'initial-cluster');
  assert.equal(configErrorKey(() => loadConfig(['--initial-cluster', 'a=127.0.0.1:1'], {})), 'initial-cluster');
  assert.equal(configErrorKey(() => loadConfig(['--heartbeat-interval', '600ms'], {})), 'election-timeout');
  assert.equal(configErrorKey(() => loadConfig(['--name'], {})), 'name');
});

test('redaction hides the password and tokens', () => {
  const c = loadConfig(['--cluster-token', 'sekret1', '--admin-token', 'sekret2', '--binlog-server.addr', '127.0.0.1:1',
    '--binlog-server.user', 'u', '--binlog-server.password', 'sekret3'], {});
  const shown = JSON.stringify(redactConfig(c));
  assert.ok(!/sekret/.test(shown), shown);
  assert.ok(shown.includes('"user":"u"'));
});
