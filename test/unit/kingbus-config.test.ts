// kingbus's config keys (src/kingbus-config.ts): taken as ours or set aside, each with a note;
// `http://` in initial-cluster; a flag still wins over a file's kingbus alias.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../src/config.js';

function withFile<T>(yaml: string, fn: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'binrelay-kingbus-config-'));
  try {
    writeFileSync(join(dir, 'kingbus.yaml'), yaml);
    return fn(join(dir, 'kingbus.yaml'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const KINGBUS_YAML = `name: 'kingbus_0'
admin-url: http://127.0.0.1:5000
metrics-addr: 127.0.0.1:2728
heartbeat-interval: 200ms
election-timeout: 4000ms
initial-cluster: kingbus_0=http://127.0.0.1:9696,kingbus_1=http://127.0.0.1:9697,kingbus_2=http://127.0.0.1:9698
initial-cluster-state: new
peer-url: http://127.0.0.1:9696
data-dir: /tmp/kingbus/data
reserve-data-size: 20
log-dir: /tmp/kingbus/log
log-level: debug
`;

test("kingbus's etc/kingbus.yaml loads: URLs as addresses, reserve-data-size as retention, a note per key", () => {
  const config = withFile(KINGBUS_YAML, (file) => loadConfig(['--config', file], {}));
  assert.equal(config.adminAddr, '127.0.0.1:5000');
  assert.equal(config.peerAddr, '127.0.0.1:9696');
  assert.deepEqual([...config.initialCluster], [['kingbus_0', '127.0.0.1:9696'], ['kingbus_1', '127.0.0.1:9697'], ['kingbus_2', '127.0.0.1:9698']]);
  assert.equal(config.binlogRetention.maxBytes, 20e9);
  assert.equal(config.electionTimeoutMs, 4000);
  assert.deepEqual(config.notes.map((note) => note.split(' ')[0]), ['admin-url', 'peer-url', 'metrics-addr', 'log-dir', 'reserve-data-size']);
  assert.match(config.notes.find((n) => n.startsWith('metrics-addr'))!, /GET \/metrics/);
});

test('a flag wins over a kingbus alias in the file; both spellings in one source are refused', () => {
  const config = withFile(KINGBUS_YAML, (file) => loadConfig(['--config', file, '--admin-addr', '127.0.0.1:6000'], {}));
  assert.equal(config.adminAddr, '127.0.0.1:6000');
  assert.throws(() => withFile('admin-url: http://127.0.0.1:5000\nadmin-addr: 127.0.0.1:5001\n', (file) => loadConfig(['--config', file], {})),
    (err: unknown) => err instanceof ConfigError && err.key === 'admin-url');
});

test('https:// in initial-cluster needs peer-tls, and a plain reserve-data-size must be a size', () => {
  assert.throws(() => loadConfig(['--name', 'a', '--initial-cluster', 'a=https://127.0.0.1:9696'], {}),
    (err: unknown) => err instanceof ConfigError && err.key === 'initial-cluster' && /peer-tls/.test(err.message));
  assert.throws(() => loadConfig(['--reserve-data-size', 'lots'], {}),
    (err: unknown) => err instanceof ConfigError && err.key === 'reserve-data-size');
});
