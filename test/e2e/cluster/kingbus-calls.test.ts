// kingbus's documented admin calls (its docs/en/admin_api.md), replayed as its curl lines send
// them (`-H "Content-Type:application/json"`, with or without --data) against a real 3-node cluster
// pulling a real MariaDB, each sent to a follower: the syncer start/status/stop, the binlog server
// start/status/stop, and the membership calls with kingbus's fields, forwarded to the leader.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { freePort, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';

let up: MariaDb;
let cluster: RelayCluster;
let follower: number;

interface Answer {
  status: number;
  body: { message: string; data?: Record<string, unknown> & unknown[] };
}

/** `curl -H "Content-Type:application/json" -X METHOD [--data JSON] http://ADDR/PATH`: no
 *  Content-Length without --data, as curl sends it. */
function curl(addr: string, method: string, path: string, data?: unknown): Promise<Answer> {
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  const body = data === undefined ? undefined : JSON.stringify(data);
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path, headers: { 'Content-Type': 'application/json', ...(body ? { 'Content-Length': Buffer.byteLength(body) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Answer['body'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

before(async () => {
  up = await startMariaDb({ serverId: 51 });
  await up.exec(`CREATE USER 'kb'@'127.0.0.1' IDENTIFIED BY 'kb';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'kb'@'127.0.0.1'`);
  cluster = await RelayCluster.start(3);
  const leader = await cluster.waitForLeader();
  follower = (leader + 1) % 3;
  // The leader's admin address reaches the followers a round trip after its election.
  await waitFor('the follower to know the leader\'s admin address', async () =>
    ((await cluster.api(follower, 'GET', '/cluster')).body.data as { isLeader: boolean; adminURLs: string[] }[]).some((m) => m.isLeader && m.adminURLs.length > 0), 10_000);
});

after(async () => {
  await cluster?.stop();
  await up?.stop();
});

test('2.1–2.3: the syncer started, read and stopped through a follower, stop with no body', async () => {
  const addr = cluster.nodes[follower]!.adminAddr;
  const start = await curl(addr, 'PUT', '/binlog/syncer/start', {
    syncer_id: 1001, syncer_uuid: 'f7e30637-f15a-11e8-accc-244427b6b60e', mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'kb', mysql_password: 'kb', semi_sync: false,
  });
  assert.equal(start.status, 200, JSON.stringify(start.body));
  assert.equal(start.body.message, 'success');
  await up.exec('CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1)');
  const [row] = await up.query('SELECT @@gtid_binlog_pos AS p');
  let status: Answer | undefined;
  await waitFor('the syncer to hold the upstream\'s newest GTID', async () => {
    status = await curl(addr, 'GET', '/binlog/syncer/status');
    return status.body.data?.current_gtid === String(row!.p);
  }, 20_000);
  const data = status!.body.data!;
  assert.equal(data.status, 'running');
  assert.equal(data.syncer_id, 1001);
  assert.equal(data.syncer_uuid, 'f7e30637-f15a-11e8-accc-244427b6b60e');
  assert.equal(data.mysql_addr, `127.0.0.1:${up.port}`);
  assert.equal(data.mysql_user, 'kb');
  assert.equal('mysql_password' in data, false, 'unlike kingbus, the password is never shown');
  for (const key of ['executed_gtid_set', 'purged_gtid_set', 'last_binlog_file', 'last_file_position', 'semi_sync']) assert.ok(key in data, key);

  const stop = await curl(addr, 'PUT', '/binlog/syncer/stop');
  assert.equal(stop.status, 200, JSON.stringify(stop.body));
  await waitFor('the syncer to stop', async () => (await curl(addr, 'GET', '/binlog/syncer/status')).body.data?.status === 'stopped', 10_000);
});

test('3.1–3.3: the binlog server started, read and stopped with no body', async () => {
  const addr = cluster.nodes[follower]!.adminAddr;
  const start = await curl(addr, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${await freePort()}`, user: 'kb', password: 'kb' });
  assert.equal(start.status, 200, JSON.stringify(start.body));
  const status = await curl(addr, 'GET', '/binlog/server/status');
  assert.equal(status.body.data!.status, 'running');
  assert.ok(Array.isArray(status.body.data!.slaves));
  assert.equal(typeof status.body.data!.current_gtid, 'string');
  const stop = await curl(addr, 'PUT', '/binlog/server/stop');
  assert.equal(stop.status, 200, JSON.stringify(stop.body));
  assert.equal((await curl(addr, 'GET', '/binlog/server/status')).body.data!.status, 'stopped');
});

test('1.2–1.3: a member added with peer_url and admin_url and removed with peer_url, both through a follower', async () => {
  const i = await cluster.addNode();
  const joining = cluster.nodes[i]!;
  const addr = cluster.nodes[follower]!.adminAddr;
  const add = await curl(addr, 'POST', '/members', { name: joining.name, peer_url: `http://${joining.peerAddr}`, admin_url: `http://${joining.adminAddr}` });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  await waitFor('the new member to appear on the follower', async () =>
    ((await curl(addr, 'GET', '/cluster')).body.data as unknown as { name: string }[]).some((m) => m.name === joining.name), 10_000);
  await cluster.waitUp(i);
  const remove = await curl(addr, 'DELETE', '/members', { name: joining.name, peer_url: `http://${joining.peerAddr}` });
  assert.equal(remove.status, 200, JSON.stringify(remove.body));
  await waitFor('the member to be gone', async () =>
    !((await curl(addr, 'GET', '/cluster')).body.data as unknown as { name: string }[]).some((m) => m.name === joining.name), 10_000);
});
