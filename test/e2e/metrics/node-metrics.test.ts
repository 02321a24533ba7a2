// GET /metrics of a real node (prom-client, src/metrics.ts): the output passes `promtool check
// metrics`, and after a small sync from a real MariaDB with a real replica on the node's binlog
// server the listed series are there with sane values.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, pointReplica, slaveStatus, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';
import { parseExposition, promtoolCheckMetrics, sampleValue, type Sample } from '../../helpers/prometheus-text.js';

let up: MariaDb;
let replica: MariaDb;
let cluster: RelayCluster;
let idleMetrics: string;

async function metricsText(): Promise<string> {
  const res = await fetch(`http://${cluster.nodes[0]!.adminAddr}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

before(async () => {
  up = await startMariaDb({ serverId: 41 });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1'`);
  replica = await startMariaDb({ serverId: 42, name: 'r1' });
  cluster = await RelayCluster.start(1);
  idleMetrics = await metricsText();
  const port = await freePort();
  let res = await cluster.api(0, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${port}`, user: 'repl', password: 'relaypw' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  res = await cluster.api(0, 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await up.exec(`CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(64));
    INSERT INTO app.t VALUES (1, 'a'), (2, 'b'); UPDATE app.t SET v = 'c' WHERE id = 1`);
  await pointReplica(replica, port, 'slave_pos');
  const [row] = await up.query('SELECT @@gtid_binlog_pos AS p');
  await waitFor('the replica to catch up', async () => String((await replica.query('SELECT @@gtid_slave_pos AS p'))[0]?.p) === String(row!.p), 30_000);
});

after(async () => {
  await cluster?.stop();
  await Promise.all([up?.stop(), replica?.stop()]);
});

test('promtool check metrics passes on the output of a running node, before and after a sync', async () => {
  for (const text of [idleMetrics, await metricsText()]) {
    const check = promtoolCheckMetrics(text);
    assert.equal(check.code, 0, check.output);
  }
});

test('the syncer lag reads NaN, not 0, while the node has no syncer', () => {
  const samples = parseExposition(idleMetrics);
  assert.ok(Number.isNaN(sampleValue(samples, 'binrelay_syncer_lag_seconds')!));
  assert.equal(sampleValue(samples, 'binrelay_syncer_state', { state: 'stopped' }), 1);
  assert.equal(samples.filter((s) => s.name === 'binrelay_replica_lag_bytes').length, 0);
});

test('after a small sync the node series, the per-replica lag and the process metrics read sane values', async () => {
  const status = await slaveStatus(replica);
  assert.equal(status.Slave_IO_Running, 'Yes');
  let samples: Sample[] = [];
  // The replica's dump position reaches the relay's end a moment after its SQL thread caught up.
  await waitFor('the replica lag to read 0', async () => {
    samples = parseExposition(await metricsText());
    return sampleValue(samples, 'binrelay_replica_lag_bytes', { server_id: '42' }) === 0;
  }, 10_000);
  const value = (name: string, labels: Record<string, string> = {}): number => {
    const v = sampleValue(samples, name, labels);
    assert.ok(v !== undefined, `${name}${JSON.stringify(labels)} is missing`);
    return v;
  };
  assert.equal(value('binrelay_raft_is_leader'), 1);
  assert.ok(value('binrelay_raft_term') >= 1);
  assert.ok(value('binrelay_raft_applied_index') >= 1);
  assert.ok(value('binrelay_raft_commit_index') >= value('binrelay_raft_applied_index'));
  // The relay started empty, so it took in every byte of its whole files after the 4-byte magic.
  const files = value('binrelay_relay_files');
  assert.ok(files >= 1);
  assert.equal(value('binrelay_relay_ingested_bytes_total'), value('binrelay_relay_binlog_bytes') - 4 * files);
  assert.ok(value('binrelay_binlog_disk_bytes') >= value('binrelay_relay_binlog_bytes'));
  assert.ok(value('binrelay_relay_last_file_position_bytes') > 4);
  assert.ok(value('binrelay_server_sent_bytes_total') >= value('binrelay_relay_ingested_bytes_total'));
  assert.equal(value('binrelay_server_replicas'), 1);
  assert.equal(value('binrelay_replica_lag_seconds', { server_id: '42' }), 0);
  assert.ok(value('binrelay_raft_fsync_duration_seconds_count') > 0);
  assert.ok(value('binrelay_raft_fsync_duration_seconds_sum') > 0);
  assert.ok(value('binrelay_raft_commit_duration_seconds_count') > 0);
  assert.equal(value('binrelay_syncer_running'), 1);
  assert.equal(value('binrelay_syncer_state', { state: 'running' }), 1);
  assert.equal(value('binrelay_syncer_state', { state: 'error' }), 0);
  assert.ok(value('binrelay_syncer_lag_seconds') >= 0);
  assert.ok(value('process_resident_memory_bytes') > 10 * 2 ** 20);
  assert.ok(value('nodejs_eventloop_lag_seconds') >= 0);
  assert.ok(samples.some((s) => s.name.startsWith('nodejs_gc_duration_seconds')), 'GC durations are exported');
});
