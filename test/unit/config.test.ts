import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, redactConfig } from '../../src/config.js';

const yamlDirs: string[] = [];
after(() => yamlDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-config-'));
  yamlDirs.push(dir);
  const path = join(dir, 'binrelay.yaml');
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
  assert.throws(() => loadConfig([], { BINRELAY_FIXTURES: '/tmp/x' }),
    { message: 'config: fixtures: unknown key (set by the environment variable BINRELAY_FIXTURES)' });
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

test('retention keeps everything by default; raft keeps 256 MiB / 100000 entries behind a snapshot', () => {
  const c = loadConfig([], {});
  assert.deepEqual(c.binlogRetention, { maxAgeMs: null, maxBytes: null, minFiles: 1 });
  assert.equal(c.binlogServerDefaults.expireLogsSeconds, undefined);
  assert.deepEqual(c.raftLogRetain, { bytes: 256 * 1024 * 1024, entries: 100000 });
});

test('retention limits come from YAML, env and dotted flags, with duration and size units', () => {
  const file = yamlFile('binlog-retention:\n  max-age: 12h\n  max-bytes: 1048576\nraft-log-retain:\n  entries: 5000\n');
  const c = loadConfig(['--config', file, '--binlog-retention.min-files', '3'], { BINRELAY_RAFT_LOG_RETAIN__BYTES: '512MiB' });
  assert.deepEqual(c.binlogRetention, { maxAgeMs: 12 * 3600_000, maxBytes: 1048576, minFiles: 3 });
  // What the binlog server reports as @@binlog_expire_logs_seconds.
  assert.equal(c.binlogServerDefaults.expireLogsSeconds, 12 * 3600);
  assert.deepEqual(c.raftLogRetain, { bytes: 512 * 1024 * 1024, entries: 5000 });
  const units: [string, number][] = [['30s', 30_000], ['15m', 900_000], ['7d', 7 * 86_400_000], ['250ms', 250], ['1500', 1500]];
  for (const [text, ms] of units) assert.equal(loadConfig(['--binlog-retention.max-age', text], {}).binlogRetention.maxAgeMs, ms, text);
  const sizes: [string, number][] = [['10GB', 10e9], ['512MiB', 512 * 2 ** 20], ['4 KiB', 4096], ['1tb', 1e12], ['1048576', 1048576], ['100B', 100]];
  for (const [text, bytes] of sizes) assert.equal(loadConfig(['--binlog-retention.max-bytes', text], {}).binlogRetention.maxBytes, bytes, text);
});

test('a bad retention value stops start-up naming its key', () => {
  const bad: [string, string][] = [
    ['--binlog-retention.max-age', '7y'], ['--binlog-retention.max-age', '0s'], ['--binlog-retention.max-age', '-1d'],
    ['--binlog-retention.max-bytes', '12PB'], ['--binlog-retention.max-bytes', '0'], ['--binlog-retention.max-bytes', 'lots'],
    ['--binlog-retention.min-files', '0'], ['--binlog-retention.min-files', '1.5'], ['--binlog-retention.min-files', 'two'],
    ['--raft-log-retain.bytes', '-5'], ['--raft-log-retain.entries', 'many'],
  ];
  for (const [flag, value] of bad) assert.equal(configErrorKey(() => loadConfig([flag, value], {})), flag.slice(2), `${flag} ${value}`);
  assert.equal(configErrorKey(() => loadConfig([], { BINRELAY_BINLOG_RETENTION__MAX_FILES: '3' })), 'binlog-retention.max-files');
  assert.equal(configErrorKey(() => loadConfig(['--config', yamlFile('raft-log-retain:\n  entries: 2.5\n')], {})), 'raft-log-retain.entries');
});

test('redaction hides the password and tokens', () => {
  const c = loadConfig(['--cluster-token', 'sekret1', '--admin-token', 'sekret2', '--binlog-server.addr', '127.0.0.1:1',
    '--binlog-server.user', 'u', '--binlog-server.password', 'sekret3'], {});
  const shown = JSON.stringify(redactConfig(c));
  assert.ok(!/sekret/.test(shown), shown);
  assert.ok(shown.includes('"user":"u"'));
});

test('a non-loopback admin-addr without admin-token stops start-up naming the key and how to set it', () => {
  assert.throws(() => loadConfig(['--admin-addr', '0.0.0.0:9595'], {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.key, 'admin-token');
    assert.match(err.message, /admin-addr 0\.0\.0\.0:9595 is not a loopback address/);
    assert.match(err.message, /BINRELAY_ADMIN_TOKEN/);
    return true;
  });
  assert.equal(configErrorKey(() => loadConfig(['--admin-addr', '10.1.2.3:9595'], {})), 'admin-token');
  assert.equal(configErrorKey(() => loadConfig(['--admin-addr', 'relay1.example.com:9595'], {})), 'admin-token');
  assert.equal(loadConfig(['--admin-addr', '0.0.0.0:9595'], { BINRELAY_ADMIN_TOKEN: 't' }).adminToken, 't');
});

test('a non-loopback peer-addr without cluster-token stops start-up; both missing are named together', () => {
  assert.throws(() => loadConfig(['--peer-addr', '[::]:9696'], {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.key, 'cluster-token');
    assert.match(err.message, /BINRELAY_CLUSTER_TOKEN/);
    return true;
  });
  assert.equal(configErrorKey(() => loadConfig(['--admin-addr', '0.0.0.0:1', '--peer-addr', '0.0.0.0:2'], {})), 'admin-token, cluster-token');
  const file = yamlFile('admin-addr: 0.0.0.0:1\npeer-addr: 0.0.0.0:2\nadvertise-peer-addr: relay1:2\nadmin-token: a\ncluster-token: c\n');
  assert.equal(loadConfig(['--config', file], {}).clusterToken, 'c');
});

test('loopback addresses need no token', () => {
  for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '[::1]']) {
    const c = loadConfig(['--admin-addr', `${host}:9595`, '--peer-addr', `${host}:9696`, '--initial-cluster', `node1=${host}:9696`], {});
    assert.equal(c.adminToken, undefined, host);
  }
});

test('addresses are host:port with a port up to 65535 and a bounded host', () => {
  assert.equal(configErrorKey(() => loadConfig(['--admin-addr', '127.0.0.1:99999'], {})), 'admin-addr');
  assert.equal(configErrorKey(() => loadConfig(['--peer-addr', `${'a'.repeat(300)}:1`], {})), 'peer-addr');
  assert.equal(configErrorKey(() => loadConfig(['--binlog-server.addr', '127.0.0.1:3306/x', '--binlog-server.user', 'u', '--binlog-server.password', 'p'], {})), 'binlog-server.addr');
  assert.equal(configErrorKey(() => loadConfig(['--initial-cluster', 'node1=127.0.0.1:0'], {})), 'initial-cluster');
});

test('admin API limits default to 30 s per request, 60 s idle and 256 connections; bad values name the key', () => {
  assert.deepEqual(loadConfig([], {}).adminLimits, { requestTimeoutMs: 30_000, connectionTimeoutMs: 60_000, maxConnections: 256 });
  const c = loadConfig(['--admin-request-timeout', '5s', '--admin-max-connections', '32'], { BINRELAY_ADMIN_CONNECTION_TIMEOUT: '2m' });
  assert.deepEqual(c.adminLimits, { requestTimeoutMs: 5000, connectionTimeoutMs: 120_000, maxConnections: 32 });
  assert.equal(configErrorKey(() => loadConfig(['--admin-request-timeout', 'soon'], {})), 'admin-request-timeout');
  assert.equal(configErrorKey(() => loadConfig(['--admin-max-connections', '0'], {})), 'admin-max-connections');
});
