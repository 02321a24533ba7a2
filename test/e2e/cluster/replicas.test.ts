// Real MariaDB replicas on a 3-node binrelay cluster: a GTID replica on a follower and a
// file/position replica stay identical to the upstream while the leader is SIGKILLed; the GTID
// replica then moves to another node; `mariadb-binlog -R --raw` from a node yields the upstream's
// bytes; a restarted node serves again without a new PUT.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, mariadbBinlog, pointReplica, slaveStatus, startMariaDb, type MariaDb } from '../../helpers/mariadb.js';
import { RelayCluster } from '../../helpers/relay-cluster.js';
import { waitFor } from '../../helpers/local-relay.js';

let up: MariaDb;
let gtidReplica: MariaDb;
let fileReplica: MariaDb;
let cluster: RelayCluster;
const serverPorts: number[] = [];

async function pos(db: MariaDb, variable: string): Promise<string> {
  const [row] = await db.query(`SELECT @@${variable} AS p`);
  return String(row!.p);
}

async function tableChecksums(db: MariaDb): Promise<string> {
  const rows = await db.query('CHECKSUM TABLE app.t, app.u');
  return JSON.stringify(rows);
}

before(async () => {
  up = await startMariaDb({ serverId: 31, args: ['--max-binlog-size=4M'] });
  await up.exec(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw';
    GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'127.0.0.1'`);
  gtidReplica = await startMariaDb({ serverId: 32, name: 'r1' });
  fileReplica = await startMariaDb({ serverId: 33, name: 'r2' });
  cluster = await RelayCluster.start(3);
  for (let i = 0; i < 3; i++) {
    serverPorts.push(await freePort());
    const res = await cluster.api(i, 'PUT', '/binlog/server/start', { addr: `127.0.0.1:${serverPorts[i]}`, user: 'repl', password: 'relaypw' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  const res = await cluster.api(0, 'PUT', '/binlog/syncer/start', { mysql_addr: `127.0.0.1:${up.port}`, mysql_user: 'repl', mysql_password: 'replpw' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
});

after(async () => {
  await cluster?.stop();
  await Promise.all([up?.stop(), gtidReplica?.stop(), fileReplica?.stop()]);
});

test('replicas on followers stay identical to the upstream through large transactions and a leader SIGKILL', async () => {
  await up.exec(`CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(64), b LONGBLOB);
    CREATE TABLE app.u (id INT PRIMARY KEY AUTO_INCREMENT, n INT)`);
  const leader = await cluster.waitForLeader();
  const followers = [0, 1, 2].filter((i) => i !== leader);
  await pointReplica(gtidReplica, serverPorts[followers[0]!]!, 'slave_pos');
  await pointReplica(fileReplica, serverPorts[followers[1]!]!, 'no');

  await up.exec(`INSERT INTO app.t (id, v) VALUES (1, 'a'), (2, 'b'); UPDATE app.t SET v = 'c' WHERE id = 1; DELETE FROM app.t WHERE id = 2;
    BEGIN; INSERT INTO app.u (n) VALUES (1); INSERT INTO app.u (n) VALUES (2); UPDATE app.u SET n = n + 10; COMMIT;`);
  await up.exec(`BEGIN; ${Array.from({ length: 20 }, (_, i) => `INSERT INTO app.t (id, b) VALUES (${100 + i}, REPEAT('z', 1000000));`).join(' ')} COMMIT;`);
  await up.exec(`INSERT INTO app.t (id, b) VALUES (999, REPEAT('q', 17 * 1024 * 1024))`);

  let writing = true;
  let n = 0;
  const writer = (async () => {
    while (writing) {
      await up.exec(`BEGIN; INSERT INTO app.u (n) VALUES (${n}); UPDATE app.t SET v = '${n}' WHERE id = 1; COMMIT`);
      n++;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await new Promise((r) => setTimeout(r, 500));
  await cluster.kill(leader);
  await new Promise((r) => setTimeout(r, 2500));
  writing = false;
  await writer;
  await up.exec('FLUSH BINARY LOGS; INSERT INTO app.u (n) VALUES (-1)');

  const target = await pos(up, 'gtid_binlog_pos');
  await waitFor(`the GTID replica at ${target}`, async () => (await pos(gtidReplica, 'gtid_slave_pos')) === target, 60_000);
  await waitFor(`the file/position replica at ${target}`, async () => (await pos(fileReplica, 'gtid_slave_pos')) === target, 60_000);
  const expected = await tableChecksums(up);
  assert.equal(await tableChecksums(gtidReplica), expected);
  assert.equal(await tableChecksums(fileReplica), expected);
  for (const replica of [gtidReplica, fileReplica]) {
    const s = await slaveStatus(replica);
    assert.equal(s.Slave_IO_Running, 'Yes', String(s.Last_IO_Error));
    assert.equal(s.Slave_SQL_Running, 'Yes', String(s.Last_SQL_Error));
  }

  // The killed node restarts from its data dir and serves again without a new PUT.
  cluster.launch(leader);
  await waitFor('the restarted node to serve the upstream position', async () => {
    const res = await cluster.api(leader, 'GET', '/binlog/server/status').catch(() => null);
    const data = res?.body.data as { status: string; executed_gtid_set: string } | undefined;
    return data?.status === 'running' && data.executed_gtid_set === target;
  }, 30_000);

  // The GTID replica moves to the restarted node and keeps replicating.
  await pointReplica(gtidReplica, serverPorts[leader]!, 'slave_pos');
  await up.exec('INSERT INTO app.u (n) VALUES (-2); UPDATE app.t SET v = \'moved\' WHERE id = 1');
  const moved = await pos(up, 'gtid_binlog_pos');
  await waitFor(`the moved replica at ${moved}`, async () => (await pos(gtidReplica, 'gtid_slave_pos')) === moved, 30_000);
  assert.equal(await tableChecksums(gtidReplica), await tableChecksums(up));
  const status = await cluster.api(leader, 'GET', '/binlog/server/status');
  const slaves = (status.body.data as { slaves: { server_id: number; mode: string }[] }).slaves;
  assert.ok(slaves.some((s) => s.server_id === 32 && s.mode === 'gtid'), JSON.stringify(slaves));
});

test('mariadb-binlog -R --raw against a relay node writes the upstream files byte for byte', async () => {
  const files = (await up.binlogPaths()).map((p) => p.split('/').pop()!);
  const fromUp = mkdtempSync(join(tmpdir(), 'binrelay-raw-up-'));
  const fromRelay = mkdtempSync(join(tmpdir(), 'binrelay-raw-relay-'));
  try {
    const node = (await cluster.waitForLeader() + 1) % 3;
    await mariadbBinlog(['-R', '--raw', '--to-last-log', '-h127.0.0.1', `-P${up.port}`, '-urepl', '-preplpw', `--result-file=${fromUp}/`, files[0]!]);
    await mariadbBinlog(['-R', '--raw', '--to-last-log', '-h127.0.0.1', `-P${serverPorts[node]}`, '-urepl', '-prelaypw', `--result-file=${fromRelay}/`, files[0]!]);
    const names = readdirSync(fromUp).sort();
    assert.deepEqual(readdirSync(fromRelay).sort(), names);
    assert.ok(names.length >= 2);
    for (const name of names) assert.ok(readFileSync(join(fromRelay, name)).equals(readFileSync(join(fromUp, name))), `${name} differs`);
  } finally {
    rmSync(fromUp, { recursive: true, force: true });
    rmSync(fromRelay, { recursive: true, force: true });
  }
});
