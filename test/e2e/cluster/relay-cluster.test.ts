// Upstream MariaDB → a 3-node binrelay cluster (separate processes, real raft over TCP, real
// LevelDB): the syncer runs on the leader, every node applies the same relay log, and a SIGKILLed
// leader is replaced by one that resumes syncing without losing or repeating a transaction.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';

let up: MariaDb;
let cluster: RelayCluster;

interface RelayStatus { executed_gtid_set: string; last_binlog_file: string | null; last_file_position: number | null }

async function relayStatus(i: number): Promise<RelayStatus> {
  return (await cluster.api(i, 'GET', '/binlog/server/status')).body.data as RelayStatus;
}

async function upstreamPos(): Promise<string> {
  const [row] = await up.query('SELECT @@gtid_binlog_pos AS p');
  return String(row!.p);
}

async function allNodesAt(pos: string, nodes: number[]): Promise<boolean> {
  for (const i of nodes) {
    cluster.assertRunning(i);
    if ((await relayStatus(i).catch(() => null))?.executed_gtid_set !== pos) return false;
  }
  return true;
}

before(async () => {
  up = await startMariaDb({ serverId: 21, args: ['--max-binlog-size=1M'] });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1';
    CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(64), b LONGBLOB)`);
  cluster = await RelayCluster.start(3);
});

after(async () => {
  await cluster?.stop();
  await up?.stop();
});

test('a syncer started through a follower runs on the leader and every node applies the upstream binlog', async () => {
  const leader = await cluster.waitForLeader();
  const follower = (leader + 1) % 3;
  const started = await cluster.api(follower, 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  assert.ok(!JSON.stringify(started.body).includes('replpw'), 'the password is never shown');
  await up.exec(`INSERT INTO app.t (id, v) VALUES (1, 'a'), (2, 'b'); BEGIN; UPDATE app.t SET v = 'c' WHERE id = 1; DELETE FROM app.t WHERE id = 2; COMMIT;
    ALTER TABLE app.t ADD COLUMN w INT`);
  const pos = await upstreamPos();
  await waitFor(`every node at ${pos}`, () => allNodesAt(pos, [0, 1, 2]), 30_000);
  const status = await cluster.api(follower, 'GET', '/binlog/syncer/status');
  const data = status.body.data as { status: string; flavor: string; mysql_addr: string };
  assert.equal(data.status, 'running');
  assert.equal(data.flavor, 'mariadb');
  assert.ok(!JSON.stringify(status.body).includes('replpw'));
  await waitFor('lag 0 once the upstream is idle', async () =>
    ((await cluster.api(follower, 'GET', '/binlog/syncer/status')).body.data as { lag_seconds: number | null }).lag_seconds === 0, 10_000);
});

test('after the leader is SIGKILLed mid-workload a new leader resumes syncing and nothing is lost or repeated', async () => {
  const leader = await cluster.waitForLeader();
  let writing = true;
  let next = 1000;
  const writer = (async () => {
    while (writing) {
      await up.exec(`BEGIN; INSERT INTO app.t (id, v) VALUES (${next}, 'w'); INSERT INTO app.t (id, b) VALUES (${next + 1}, REPEAT('x', 20000)); COMMIT`);
      next += 2;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await new Promise((r) => setTimeout(r, 700));
  const killedAt = Date.now();
  await cluster.kill(leader);
  const others = [0, 1, 2].filter((i) => i !== leader);
  await waitFor('a new leader', async () => (await cluster.leaderIndex()) >= 0, 10_000);
  const newLeader = await cluster.leaderIndex();
  const before = (await relayStatus(newLeader)).executed_gtid_set;
  await waitFor('the new leader to sync again', async () => (await relayStatus(newLeader)).executed_gtid_set !== before, 10_000);
  const resumedMs = Date.now() - killedAt;
  await new Promise((r) => setTimeout(r, 500));
  writing = false;
  await writer;
  const pos = await upstreamPos();
  await waitFor(`surviving nodes at ${pos}`, () => allNodesAt(pos, others), 30_000);
  assert.ok(resumedMs < 5000, `syncing resumed ${resumedMs} ms after the kill`);
  const metrics = await (await fetch(`http://${cluster.nodes[newLeader]!.adminAddr}/metrics`)).text();
  assert.match(metrics, /binrelay_relay_refused_records_total 0/, 'no record was refused: nothing repeated, no gap');

  cluster.launch(leader);
  await waitFor('the restarted node to catch up', () => allNodesAt(pos, [leader]), 30_000);
});

test('malformed JSON and bad fields get 400s and the node keeps serving', async () => {
  const res = await fetch(`http://${cluster.nodes[0]!.adminAddr}/binlog/syncer/start`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"mysql_addr": ' });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'BAD_JSON');
  const bad = await cluster.api(0, 'PUT', '/binlog/syncer/start', { mysql_addr: 'nowhere', mysql_user: 'u', mysql_password: 'p' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error?.field, 'mysql_addr');
  const semi = await cluster.api(0, 'PUT', '/binlog/syncer/start', { mysql_addr: '127.0.0.1:1', mysql_user: 'u', mysql_password: 'p', semi_sync: 'yes' });
  assert.equal(semi.status, 400);
  assert.equal(semi.body.error?.field, 'semi_sync');
  assert.equal((await cluster.api(0, 'GET', '/healthz')).status, 200);
});
